"""Folding a case's events with a service's state module as it is, every event applied (the services
fold through their Decider, `Decider.replay`, which applies only what a decider reads): for tests
that look at a state module's `apply` directly, and for the fixture recorder."""

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
