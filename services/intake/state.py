"""The intake case: every event of the case (all services) folded into what intake's rules need."""

from dataclasses import dataclass, field

from contracts.envelope import CloudEvent
from contracts.events import (
    ApplicationDecided,
    ApplicationFiled,
    DnaTestOffered,
    EducationEnrolled,
    FamilyRelocated,
    FilingDeadlineApproaching,
    FilingDeadlineMissed,
    GuardianshipTransferRequested,
    HandoffRequested,
    HousingAssigned,
    LanguageNeedsReported,
    ParentsArrived,
    ResidencePermitGranted,
    data_of,
)
from services import involvement
from services.runtime.directory import Directory


@dataclass
class IntakeCase:
    case_id: str
    event_ids: set[str] = field(default_factory=set)
    permit: ResidencePermitGranted | None = None
    filed: ApplicationFiled | None = None
    dna_offered: DnaTestOffered | None = None
    decision: ApplicationDecided | None = None
    arrived: ParentsArrived | None = None
    deadline_approaching: bool = False
    deadline_missed: bool = False
    transfer_requested: bool = False  # guardianship's fact: Nidos petitioned the court
    school: str | None = None  # guardianship's fact: the young person's school
    handoff_kinds: set[str] = field(default_factory=set)  # kinds intake already requested
    language: LanguageNeedsReported | None = None  # the latest report of the family's language needs (§3.6)
    family_home: str | None = None  # housing's and intake's facts: where the family lives now (who may report)
    housed: bool = False  # housing's fact: the family has a home of its own, so COA no longer receives the parents

    @property
    def exists(self) -> bool:
        return self.permit is not None


def empty(case_id: str) -> IntakeCase:
    return IntakeCase(case_id)


def apply(case: IntakeCase, envelope: CloudEvent) -> IntakeCase:
    case.event_ids.add(envelope.id)
    event = data_of(envelope)
    match event:
        case ResidencePermitGranted():
            case.permit = event
        case ApplicationFiled():
            case.filed = event
        case DnaTestOffered():
            case.dna_offered = event
        case ApplicationDecided():
            case.decision = event
        case ParentsArrived():
            case.arrived = event
            case.family_home = event.municipality
        case HousingAssigned(housing="family-home" | "temporary-family-home"):
            case.family_home, case.housed = event.municipality, True
        case FamilyRelocated():
            case.family_home = event.to_municipality
        case FilingDeadlineApproaching():
            case.deadline_approaching = True
        case FilingDeadlineMissed():
            case.deadline_missed = True
        case GuardianshipTransferRequested():
            case.transfer_requested = True
        case EducationEnrolled():
            case.school = event.school
        case LanguageNeedsReported():
            case.language = event
        case HandoffRequested() if envelope.source.endswith(":intake"):
            case.handoff_kinds.add(event.kind)
    return case


def roles(case: IntakeCase, directory: Directory) -> involvement.Holders | None:
    """Who holds which role in the case (contracts/involvement.py); None while there is no case."""
    if case.permit is None:
        return None
    family = case.family_home or case.permit.municipality
    return involvement.holders(
        directory, young_persons=(family if case.arrived else case.permit.municipality,), family=(family,),
        in_reception=case.decision is not None and case.decision.decision == "approved" and not case.housed,
        school=case.school,
    )
