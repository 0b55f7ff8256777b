"""The housing case: every event of the case (all services) folded into what housing's rules need."""

from dataclasses import dataclass, field
from datetime import date

from contracts.envelope import CloudEvent
from contracts.events import (
    ApplicationDecided,
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
from services import involvement
from services.runtime.directory import Directory

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
    approved: bool = False  # intake's fact: the IND approved the application, so COA receives the parents

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
        case ApplicationDecided():
            case.approved = event.decision == "approved"
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


def roles(case: HousingCase, directory: Directory) -> involvement.Holders | None:
    """Who holds which role in the case (contracts/involvement.py); None while there is no case. While
    the parents are in reception (an AZC place, perhaps elsewhere), the municipality they were assigned
    to on arrival stays the family's municipality beside the one they are housed in."""
    if case.permit is None:
        return None
    arrived = case.arrived.municipality if case.arrived else None
    family = (case.family_municipality or arrived or case.permit.municipality,
              None if case.in_family_home else arrived)
    school = case.education.school if case.education is not None else None
    return involvement.holders(
        directory, young_persons=family if case.arrived else (case.permit.municipality,), family=family,
        in_reception=(case.approved or case.arrived is not None) and not case.in_family_home, school=school,
    )
