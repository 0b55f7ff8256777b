"""The intake case: every event of the case (all services) folded into what intake's rules need."""

from dataclasses import dataclass, field

from contracts.envelope import CloudEvent
from contracts.events import (
    ApplicationDecided,
    ApplicationFiled,
    DnaTestOffered,
    EducationEnrolled,
    FilingDeadlineApproaching,
    FilingDeadlineMissed,
    GuardianshipTransferRequested,
    HandoffRequested,
    LanguageNeedsReported,
    ParentsArrived,
    ResidencePermitGranted,
    data_of,
)


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
