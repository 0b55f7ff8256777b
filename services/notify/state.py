"""The notify case: the tasks of one case and where each stands (HL7 FHIR Task status), and the
few facts of other services the handoff desk shows (where the case is, whether support has a gap)."""

from dataclasses import dataclass, field
from datetime import date

from contracts.envelope import CloudEvent
from contracts.events import (
    ChecklistItemChecked,
    FamilyRelocated,
    HandoffAccepted,
    HandoffCancelled,
    HandoffCompleted,
    HandoffDeclined,
    HandoffEscalated,
    HandoffNotified,
    HandoffOverdue,
    HandoffRequested,
    HandoffStarted,
    HousingAssigned,
    LanguageNeeds,
    LanguageNeedsReported,
    ParentsArrived,
    ResidencePermitGranted,
    SupportGapClosed,
    SupportGapDetected,
    data_of,
)

# FHIR Task statuses a task can be in, in the order a task moves through them.
OPEN_STATUSES = ("requested", "accepted", "in-progress")


@dataclass
class Task:
    task_id: str
    kind: str
    requester: str
    owner: str
    due: date
    municipality: str
    invited: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    # FHIR: draft until delivered, then requested, accepted, in-progress, completed; or rejected, cancelled
    status: str = "draft"
    escalated: bool = False
    escalated_to: str | None = None
    escalates: str | None = None  # for an escalation: the task it escalates
    escalation_step: str | None = None  # for an escalation: own-coordinator or integral-meeting
    escalations: tuple[tuple[str, str | None], ...] = ()  # (step, escalation task id) of each step taken
    overdue: bool = False  # still open the day after its due date (noted once)
    checked: tuple[str, ...] = ()  # checklist items ticked, in the order they were ticked
    status_reason: str | None = None  # why it was declined or cancelled

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def open_items(self) -> tuple[str, ...]:
        """Checklist items not ticked yet, in checklist order."""
        return tuple(item for item in self.checklist if item not in self.checked)


@dataclass
class NotifyCase:
    case_id: str
    # Ids of stored events and of the reports that caused them: a report seen again is a duplicate.
    handled: set[str] = field(default_factory=set)
    tasks: dict[str, Task] = field(default_factory=dict)
    language: LanguageNeeds | None = None  # the family's language needs (intake's fact, §3.6): every task carries them
    # Every municipality the case touched (permit, arrival, housing, moves, tasks): whose coordinator may look.
    municipalities: set[str] = field(default_factory=set)
    gap: SupportGapDetected | None = None
    gap_closed: bool = False

    @property
    def exists(self) -> bool:
        return bool(self.handled)

    @property
    def open_gap(self) -> SupportGapDetected | None:
        return self.gap if self.gap is not None and not self.gap_closed else None


def empty(case_id: str) -> NotifyCase:
    return NotifyCase(case_id)


def apply(case: NotifyCase, envelope: CloudEvent) -> NotifyCase:
    case.handled.add(envelope.id)
    if envelope.causationid:
        case.handled.add(envelope.causationid)
    event = data_of(envelope)
    match event:
        case HandoffRequested():
            case.municipalities.add(event.municipality)
            case.tasks.setdefault(
                event.handoff_id,
                Task(
                    event.handoff_id, event.kind, event.requester, event.owner, event.due, event.municipality,
                    event.invited, event.checklist, escalates=event.escalates, escalation_step=event.escalation_step,
                ),
            )
        case HandoffNotified():
            case.tasks[event.handoff_id].status = "requested"
        case HandoffAccepted():
            case.tasks[event.handoff_id].status = "accepted"
        case HandoffStarted():
            case.tasks[event.handoff_id].status = "in-progress"
        case HandoffDeclined():
            case.tasks[event.handoff_id].status = "rejected"
            case.tasks[event.handoff_id].status_reason = event.reason
        case HandoffCancelled():
            case.tasks[event.handoff_id].status = "cancelled"
            case.tasks[event.handoff_id].status_reason = event.reason
        case HandoffCompleted():
            case.tasks[event.handoff_id].status = "completed"
        case ChecklistItemChecked():
            task = case.tasks[event.handoff_id]
            if event.item not in task.checked:
                task.checked = (*task.checked, event.item)
        case LanguageNeedsReported():
            case.language = event.needs()
        case HandoffEscalated():
            task = case.tasks[event.handoff_id]
            task.escalated, task.escalated_to = True, event.escalated_to
            if event.step is not None:  # stored before the chain: one escalation, the last
                task.escalations = (*task.escalations, (event.step, event.escalation_id))
        case HandoffOverdue():
            case.tasks[event.handoff_id].overdue = True
        case ResidencePermitGranted() | ParentsArrived() | HousingAssigned():
            case.municipalities.add(event.municipality)
        case FamilyRelocated():
            case.municipalities.add(event.to_municipality)
        case SupportGapDetected():
            case.gap, case.gap_closed = event, False
        case SupportGapClosed():
            case.gap_closed = True
    return case
