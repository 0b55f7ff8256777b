"""The guardianship case: every event of the case (all services) folded into what guardianship's rules need."""

from dataclasses import dataclass, field
from datetime import date

from contracts.envelope import CloudEvent, service_source
from contracts.events import (
    EducationEnrolled,
    FamilyRelocated,
    GuardianAssigned,
    GuardianshipTransferRequested,
    GuardianshipTransferred,
    HandoffAccepted,
    HandoffDeclined,
    HandoffRequested,
    HousingAssigned,
    ParentsArrived,
    ResidencePermitGranted,
    SchoolAbsenceReported,
    SupportEnded,
    SupportExtended,
    SupportGapClosed,
    SupportGapDetected,
    Turned18,
    data_of,
)
from services import involvement
from services.dates import birthday
from services.runtime.directory import Directory

GUARDIANSHIP = service_source("guardianship")


@dataclass
class GuardianshipCase:
    case_id: str
    event_ids: set[str] = field(default_factory=set)
    # intake's facts
    permit: ResidencePermitGranted | None = None
    arrived: ParentsArrived | None = None
    # housing's and intake's facts: where the family lives now (latest of arrival, family home, relocation)
    family_home: str | None = None
    # guardianship's own facts
    guardian: GuardianAssigned | None = None
    education: EducationEnrolled | None = None  # the latest enrolment
    absences: list[SchoolAbsenceReported] = field(default_factory=list)
    petition: GuardianshipTransferRequested | None = None
    transferred: GuardianshipTransferred | None = None
    turned_18: Turned18 | None = None
    extensions: list[SupportExtended] = field(default_factory=list)
    handoffs: dict[str, HandoffRequested] = field(default_factory=dict)  # guardianship's own, by handoff id
    ended: SupportEnded | None = None
    gap: SupportGapDetected | None = None
    gap_event_id: str | None = None
    gap_closed: SupportGapClosed | None = None
    # notify's facts: answers to handoffs
    accepted: set[str] = field(default_factory=set)
    declined: set[str] = field(default_factory=set)

    @property
    def exists(self) -> bool:
        return self.permit is not None

    @property
    def birthday_18(self) -> date | None:
        """The 18th birthday; None without a permit or once the case is erased (its date of birth
        reads as None): the birthday rules then simply do not fire."""
        if self.permit is None or self.permit.date_of_birth is None:
            return None
        return birthday(self.permit.date_of_birth, 18)

    @property
    def nidos_is_guardian(self) -> bool:
        """Nidos is every AMV's guardian (§2.3) until the court transfers guardianship to the parents."""
        return self.exists and self.transferred is None

    @property
    def family_municipality(self) -> str | None:
        """The family's municipality: where it lives now, else where the young person got the permit."""
        if self.family_home is not None:
            return self.family_home
        return self.permit.municipality if self.permit else None

    @property
    def young_persons_municipality(self) -> str | None:
        """Where the young person lives: with the family once the parents arrived, else where the permit was granted."""
        if self.arrived is not None:
            return self.family_municipality
        return self.permit.municipality if self.permit else None

    @property
    def nidos_extended_until(self) -> date | None:
        """The last day of Nidos' extended support, if any extension of it was reported."""
        return max((e.until for e in self.extensions if e.by == "nidos"), default=None)

    @property
    def support_over(self) -> bool:
        """Nidos' support already ended, warmly or with a gap: it ends once."""
        return self.ended is not None or self.gap is not None

    @property
    def open_gap(self) -> SupportGapDetected | None:
        return self.gap if self.gap is not None and self.gap_closed is None else None

    def handoff_of(self, kind: str) -> HandoffRequested | None:
        """The (first) handoff of `kind` guardianship requested."""
        return next((h for h in self.handoffs.values() if h.kind == kind), None)

    def is_accepted(self, handoff: HandoffRequested | None) -> bool:
        return handoff is not None and handoff.handoff_id in self.accepted


def empty(case_id: str) -> GuardianshipCase:
    return GuardianshipCase(case_id)


def apply(case: GuardianshipCase, envelope: CloudEvent) -> GuardianshipCase:
    case.event_ids.add(envelope.id)
    event = data_of(envelope)
    match event:
        case ResidencePermitGranted():
            case.permit = event
        case ParentsArrived():
            case.arrived = event
            case.family_home = event.municipality
        case HousingAssigned(housing="family-home" | "temporary-family-home"):
            case.family_home = event.municipality
        case FamilyRelocated():
            case.family_home = event.to_municipality
        case GuardianAssigned():
            case.guardian = event
        case EducationEnrolled():
            case.education = event
        case SchoolAbsenceReported():
            case.absences.append(event)
        case GuardianshipTransferRequested():
            case.petition = event
        case GuardianshipTransferred():
            case.transferred = event
        case Turned18():
            case.turned_18 = event
        case SupportExtended():
            case.extensions.append(event)
        case HandoffRequested() if envelope.source == GUARDIANSHIP:
            case.handoffs.setdefault(event.handoff_id, event)
        case HandoffAccepted():
            case.accepted.add(event.handoff_id)
        case HandoffDeclined():
            case.declined.add(event.handoff_id)
        case SupportEnded():
            case.ended = event
        case SupportGapDetected():
            case.gap, case.gap_event_id = event, envelope.id
        case SupportGapClosed():
            case.gap_closed = event
    return case


def roles(case: GuardianshipCase, directory: Directory) -> involvement.Holders | None:
    """Who holds which role in the case (contracts/involvement.py); None while there is no case.
    COA reports nothing guardianship decides, so its reception role is not looked for."""
    if not case.exists:
        return None
    school = case.education.school if case.education is not None else None
    return involvement.holders(
        directory, young_persons=(case.young_persons_municipality,), family=(case.family_municipality,),
        in_reception=False, school=school,
    )
