"""The intake case: its stored events folded into what the rules need to know."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from contracts.envelope import CloudEvent
from contracts.events import ApplicationFiled, ResidencePermitGranted, data_of


@dataclass
class IntakeCase:
    event_ids: set[str] = field(default_factory=set)
    permit: ResidencePermitGranted | None = None
    filed: ApplicationFiled | None = None

    @property
    def exists(self) -> bool:
        return bool(self.event_ids)


def apply(case: IntakeCase, envelope: CloudEvent) -> IntakeCase:
    case.event_ids.add(envelope.id)
    event = data_of(envelope)
    if isinstance(event, ResidencePermitGranted):
        case.permit = event
    elif isinstance(event, ApplicationFiled):
        case.filed = event
    return case


def fold(events: Iterable[CloudEvent]) -> IntakeCase:
    case = IntakeCase()
    for envelope in events:
        apply(case, envelope)
    return case
