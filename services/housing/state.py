"""The housing case: every event of the case (all services) folded into what housing's rules need."""

from dataclasses import dataclass, field
from datetime import date

from contracts.envelope import CloudEvent
from contracts.events import (
    CohabitationDutyEnded,
    CohabitationDutyStarted,
    CohabitationExempted,
    EducationEnrolled,
    FamilyRelocated,
    HousingAssigned,
    ParentsArrived,
    ResidencePermitGranted,
    data_of,
)

FAMILY_LIVES_TOGETHER = frozenset({"family-home", "temporary-family-home"})  # HousingAssigned v2's kinds of home


@dataclass
class HousingCase:
    case_id: str
    event_ids: set[str] = field(default_factory=set)
    permit: ResidencePermitGranted | None = None  # intake's fact: where the young person lives
    arrived: ParentsArrived | None = None  # intake's fact: the parents' assigned municipality
    education: EducationEnrolled | None = None  # guardianship's fact: the latest enrolment
    housing: HousingAssigned | None = None  # the latest housing assigned (an AZC place or the family home)
    family_municipality: str | None = None  # where the family lives now (after any relocation)
    living_since: date | None = None  # since when the family lives there
    duty: CohabitationDutyStarted | None = None
    exempted: CohabitationExempted | None = None
    duty_ended: CohabitationDutyEnded | None = None

    @property
    def exists(self) -> bool:
        return self.permit is not None

    @property
    def in_family_home(self) -> bool:
        """The family lives together: in its own home or, for now, in a temporary one."""
        return self.housing is not None and self.housing.housing in FAMILY_LIVES_TOGETHER

    @property
    def in_permanent_family_home(self) -> bool:
        return self.housing is not None and self.housing.housing == "family-home"

    @property
    def duty_running(self) -> bool:
        """The cohabitation year started, is not over and the young person is not exempt."""
        return self.duty is not None and self.duty_ended is None and self.exempted is None


def empty(case_id: str) -> HousingCase:
    return HousingCase(case_id)


def apply(case: HousingCase, envelope: CloudEvent) -> HousingCase:
    case.event_ids.add(envelope.id)
    event = data_of(envelope)
    match event:
        case ResidencePermitGranted():
            case.permit = event
        case ParentsArrived():
            case.arrived = event
        case EducationEnrolled():
            case.education = event
        case HousingAssigned():
            case.housing = event
            case.family_municipality = event.municipality
            case.living_since = event.housed_on
        case FamilyRelocated():
            case.family_municipality = event.to_municipality
            case.living_since = event.moved_on
        case CohabitationDutyStarted():
            case.duty = event
        case CohabitationExempted():
            case.exempted = event
        case CohabitationDutyEnded():
            case.duty_ended = event
    return case
