"""The guardianship case: every event of the case (all services) folded into what guardianship's rules need."""

from dataclasses import dataclass, field

from contracts.envelope import CloudEvent
from contracts.events import ResidencePermitGranted, data_of


@dataclass
class GuardianshipCase:
    case_id: str
    event_ids: set[str] = field(default_factory=set)
    permit: ResidencePermitGranted | None = None

    @property
    def exists(self) -> bool:
        return self.permit is not None


def empty(case_id: str) -> GuardianshipCase:
    return GuardianshipCase(case_id)


def apply(case: GuardianshipCase, envelope: CloudEvent) -> GuardianshipCase:
    case.event_ids.add(envelope.id)
    event = data_of(envelope)
    if isinstance(event, ResidencePermitGranted):
        case.permit = event
    return case
