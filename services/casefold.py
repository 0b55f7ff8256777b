"""Folding a case's events into a service's state: the one loop every service and test uses."""

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from contracts.envelope import CloudEvent


def fold(state: ModuleType, case_id: str, events: Iterable[CloudEvent]) -> Any:
    """`state.empty(case_id)` with every event applied in order (`state.apply`)."""
    case = state.empty(case_id)
    for event in events:
        case = state.apply(case, event)
    return case
