"""The housing case: every event of the case (all services) folded into what housing's rules need."""

from dataclasses import dataclass, field

from contracts.envelope import CloudEvent
from contracts.events import ResidencePermitGranted, data_of


@dataclass
class HousingCase:
    case_id: str
    event_ids: set[str] = field(default_factory=set)
    permit: ResidencePermitGranted | None = None

    @property
    def exists(self) -> bool:
        return self.permit is not None


def empty(case_id: str) -> HousingCase:
    return HousingCase(case_id)


def apply(case: HousingCase, envelope: CloudEvent) -> HousingCase:
    case.event_ids.add(envelope.id)
    event = data_of(envelope)
    if isinstance(event, ResidencePermitGranted):
        case.permit = event
    return case
