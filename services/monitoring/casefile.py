"""What the chain knows about one case on a given day: every event of the case (all services) that
was in effect on that day, folded into one plain record, the case file.

Replayable: an event counts from the day it was recorded (its `time`, in Europe/Amsterdam) *and*
took effect (its date field, e.g. `filed_on`), and an event derived from another counts no earlier
than its cause. So the agenda "as of" a past date is what the table could have known that day, and
a report about a future date (a planned move) only counts from that date.

Only pseudonymous case ids and organisation ids are kept; the date of birth stays inside the permit
and is used only to compute the 17½ and 18th birthdays.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from contracts.clock import AMSTERDAM
from contracts.envelope import CloudEvent
from contracts.events import (
    EVENT_TYPES,
    ApplicationDecided,
    ApplicationFiled,
    CohabitationDutyEnded,
    CohabitationDutyStarted,
    CohabitationExempted,
    DnaTestOffered,
    EducationEnrolled,
    FamilyRelocated,
    FilingDeadlineMissed,
    GuardianshipTransferRequested,
    GuardianshipTransferred,
    HandoffRequested,
    HousingAssigned,
    LanguageNeeds,
    LanguageNeedsReported,
    ParentsArrived,
    ResidencePermitGranted,
    SchoolAbsenceReported,
    SupportEnded,
    SupportGapClosed,
    SupportGapDetected,
    Turned18,
    data_of,
)

# The field that says on which day an event took effect, per event type. Types not listed (handoffs,
# answers, deadlines) take effect when they are recorded.
EFFECT_DATE_FIELDS = {
    "ResidencePermitGranted": "permit_date",
    "ApplicationFiled": "filed_on",
    "DnaTestOffered": "offered_on",
    "ApplicationDecided": "decided_on",
    "ParentsArrived": "arrival_date",
    "GuardianAssigned": "since",
    "EducationEnrolled": "since",
    "SchoolAbsenceReported": "reported_on",
    "GuardianshipTransferRequested": "petition_filed_on",
    "GuardianshipTransferred": "transferred_on",
    "Turned18": "birthday",
    "SupportEnded": "ended_on",
    "SupportGapDetected": "detected_on",
    "HousingAssigned": "housed_on",
    "CohabitationDutyStarted": "starts_on",
    "CohabitationExempted": "exempted_on",
    "CohabitationDutyEnded": "ended_on",
    "FamilyRelocated": "moved_on",
}

# What each recorded answer to a handoff makes of it (FHIR Task status; "declined" is FHIR's rejected).
ANSWER_STATUS = {
    "HandoffAccepted": "accepted",
    "HandoffStarted": "in-progress",
    "HandoffCompleted": "completed",
    "HandoffDeclined": "declined",
    "HandoffCancelled": "cancelled",
}
TAKEN_OVER = frozenset({"accepted", "in-progress", "completed"})


def recorded_on(envelope: CloudEvent) -> date:
    """The day an event was recorded, in Europe/Amsterdam (where the chain partners work)."""
    return envelope.time.astimezone(AMSTERDAM).date()


def effect_date(envelope: CloudEvent) -> date | None:
    name = EFFECT_DATE_FIELDS.get(envelope.event_type)
    raw = envelope.data.get(name) if name else None
    return date.fromisoformat(raw) if isinstance(raw, str) else None


def in_effect(events: Iterable[CloudEvent]) -> list[tuple[CloudEvent, date]]:
    """Every event (stored order) with the first day it counts: recorded, in effect, and not before its cause."""
    counted_from: dict[str, date] = {}
    found = []
    for envelope in events:
        day = max(recorded_on(envelope), effect_date(envelope) or date.min)
        if envelope.causationid in counted_from:
            day = max(day, counted_from[envelope.causationid])
        counted_from[envelope.id] = day
        found.append((envelope, day))
    return found


@dataclass
class Handoff:
    """A handoff and where it stands, with the days that matter for the agenda and the figures."""

    handoff_id: str
    kind: str
    requester: str
    owner: str
    due: date
    municipality: str
    requested_on: date
    cause_id: str | None = None  # the event whose rule requested it (e.g. the school absence)
    escalates: str | None = None
    status: str = "requested"  # requested, accepted, in-progress, completed, declined, cancelled
    delivered: bool = False
    accepted_on: date | None = None
    answered_on: date | None = None  # the first answer: accepted, declined or cancelled
    escalated_to: str | None = None
    declined_reason: str | None = None

    @property
    def awaiting_answer(self) -> bool:
        """Nobody has accepted, declined or withdrawn it yet."""
        return self.status == "requested"

    @property
    def taken_over(self) -> bool:
        return self.status in TAKEN_OVER

    def overdue_on(self, day: date) -> bool:
        """Still unanswered after its due date (as notify's escalation rule counts it)."""
        return self.awaiting_answer and day > self.due


@dataclass
class Gap:
    """Nidos' support ended while nobody had taken over (a SupportGapDetected), until it closed."""

    event_id: str
    detected_on: date
    reason: str
    successor_handoff_id: str | None
    closed_on: date | None = None


@dataclass(frozen=True)
class Absence:
    """A school-absence signal (§3.4), with the id of its report: the relief tasks it caused point to it."""

    event_id: str
    reported_on: date
    days_absent: int


@dataclass(frozen=True)
class Move:
    """The case changed municipality: the young person moved with (or to) the family."""

    from_municipality: str
    to_municipality: str
    moved_on: date
    because: str  # the event type that moved it: ParentsArrived, HousingAssigned, FamilyRelocated


@dataclass
class CaseFile:
    case_id: str
    as_of: date
    permit: ResidencePermitGranted | None = None
    filed: ApplicationFiled | None = None
    dna_offered: DnaTestOffered | None = None
    decision: ApplicationDecided | None = None
    arrived: ParentsArrived | None = None
    filing_deadline_missed: FilingDeadlineMissed | None = None
    petition: GuardianshipTransferRequested | None = None
    transferred: GuardianshipTransferred | None = None
    turned_18: Turned18 | None = None
    education: EducationEnrolled | None = None
    absences: list[Absence] = field(default_factory=list)
    family_municipality: str | None = None  # latest of arrival, family home and relocation
    relocated: bool = False
    housing: HousingAssigned | None = None
    duty: CohabitationDutyStarted | None = None
    exempted: CohabitationExempted | None = None
    duty_ended: CohabitationDutyEnded | None = None
    support_ended: SupportEnded | None = None
    gaps: dict[str, Gap] = field(default_factory=dict)
    handoffs: dict[str, Handoff] = field(default_factory=dict)
    language: LanguageNeeds | None = None
    moves: list[Move] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.permit is not None

    def handoff_of(self, kind: str) -> Handoff | None:
        """The first handoff of `kind`."""
        return next((h for h in self.handoffs.values() if h.kind == kind), None)

    @property
    def open_gaps(self) -> list[Gap]:
        return [gap for gap in self.gaps.values() if gap.closed_on is None]

    @property
    def cohabitation_running(self) -> bool:
        return self.duty is not None and self.duty_ended is None and self.exempted is None


def case_municipality(case: CaseFile) -> str | None:
    """The municipality whose integral meeting a case belongs to: the young person's. Until the
    parents arrive that is where the permit placed the young person; from the arrival (or a move of
    the family) on it is the family's, because the young person lives with the family (cohabitation
    duty, §2.2). Guardianship chooses the municipality of the 18+ handoff the same way
    (`GuardianshipCase.young_persons_municipality`). The agenda and the figures use only this."""
    if case.permit is None:
        return None
    if (case.arrived is not None or case.relocated) and case.family_municipality is not None:
        return case.family_municipality
    return case.permit.municipality


def case_file(case_id: str, events: Iterable[CloudEvent], as_of: date) -> CaseFile:
    """The case file as of the end of `as_of`: every event in effect by then, in stored order."""
    case = CaseFile(case_id, as_of)
    for envelope, counted_from in in_effect(events):
        if counted_from <= as_of:
            before = case_municipality(case)
            apply(case, envelope, counted_from)
            after = case_municipality(case)
            if before is not None and after != before:
                case.moves.append(Move(before, after, counted_from, envelope.event_type))
    return case


def readable(envelope: CloudEvent) -> bool:
    """Whether the event's data matches its contract. Services store nothing else; an event that
    does not (an operator's or a test's hand-made one) is skipped rather than stop the meeting."""
    try:
        data_of(envelope)
    except (KeyError, ValidationError):
        return False
    return True


def apply(case: CaseFile, envelope: CloudEvent, day: date) -> CaseFile:
    """Fold one event, counted from `day`, into the case file. Event types this module does not
    know (a newer contract) and unreadable events are skipped, so the agenda keeps working."""
    if envelope.event_type not in EVENT_TYPES:
        return case
    try:
        event = data_of(envelope)
    except (KeyError, ValidationError):  # unreadable (see `readable`): skipped
        return case
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
            case.family_municipality = event.municipality
        case FilingDeadlineMissed():
            case.filing_deadline_missed = event
        case GuardianshipTransferRequested():
            case.petition = event
        case GuardianshipTransferred():
            case.transferred = event
        case Turned18():
            case.turned_18 = event
        case EducationEnrolled():
            case.education = event
        case SchoolAbsenceReported():
            case.absences.append(Absence(envelope.id, event.reported_on, event.days_absent))
        case HousingAssigned():
            case.housing = event
            if event.housing != "azc":  # a (temporary) family home: the family lives together there
                case.family_municipality = event.municipality
        case FamilyRelocated():
            case.family_municipality = event.to_municipality
            case.relocated = True
        case CohabitationDutyStarted():
            case.duty = event
        case CohabitationExempted():
            case.exempted = event
        case CohabitationDutyEnded():
            case.duty_ended = event
        case SupportEnded():
            case.support_ended = event
        case SupportGapDetected():
            case.gaps[envelope.id] = Gap(envelope.id, event.detected_on, event.reason, event.successor_handoff_id)
        case SupportGapClosed() if event.gap_event_id in case.gaps:
            case.gaps[event.gap_event_id].closed_on = day
        case LanguageNeedsReported():
            case.language = event.needs()
        case HandoffRequested():
            case.handoffs.setdefault(
                event.handoff_id,
                Handoff(
                    event.handoff_id, event.kind, event.requester, event.owner, event.due, event.municipality,
                    requested_on=day, cause_id=envelope.causationid, escalates=event.escalates,
                ),
            )
        case _:
            _apply_to_handoff(case, envelope, event, day)
    return case


def _apply_to_handoff(case: CaseFile, envelope: CloudEvent, event: object, day: date) -> None:
    handoff = case.handoffs.get(getattr(event, "handoff_id", ""))
    if handoff is None:
        return
    match envelope.event_type:
        case "HandoffNotified":
            handoff.delivered = True
        case "HandoffEscalated":
            handoff.escalated_to = getattr(event, "escalated_to", None)
        case answer if answer in ANSWER_STATUS:
            handoff.status = ANSWER_STATUS[answer]
            if handoff.answered_on is None and answer in ("HandoffAccepted", "HandoffDeclined", "HandoffCancelled"):
                handoff.answered_on = day
            if answer == "HandoffAccepted" and handoff.accepted_on is None:
                handoff.accepted_on = day
            if answer == "HandoffDeclined":
                handoff.declined_reason = getattr(event, "reason", None)


def case_files(histories: dict[str, list[CloudEvent]], as_of: date) -> list[CaseFile]:
    """The case file of every case that exists (has a permit) as of `as_of`, by case id."""
    files = (case_file(case_id, events, as_of) for case_id, events in sorted(histories.items()))
    return [case for case in files if case.exists]


def cases_of(histories: dict[str, list[CloudEvent]], municipality: str, as_of: date) -> list[CaseFile]:
    """The cases that belong to `municipality` as of `as_of` (`case_municipality`), and no other."""
    return [case for case in case_files(histories, as_of) if case_municipality(case) == municipality]
