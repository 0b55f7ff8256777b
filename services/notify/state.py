"""The notify case: the tasks of one case and where each stands (HL7 FHIR Task status)."""

from dataclasses import dataclass, field
from datetime import date

from contracts.envelope import CloudEvent
from contracts.events import (
    HandoffAccepted,
    HandoffCompleted,
    HandoffDeclined,
    HandoffEscalated,
    HandoffNotified,
    HandoffRequested,
    LanguageNeeds,
    LanguageNeedsReported,
    data_of,
)


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
    status: str = "draft"  # FHIR: draft until delivered, then requested, accepted, rejected, completed
    escalated: bool = False


@dataclass
class NotifyCase:
    case_id: str
    # Ids of stored events and of the reports that caused them: a report seen again is a duplicate.
    handled: set[str] = field(default_factory=set)
    tasks: dict[str, Task] = field(default_factory=dict)
    language: LanguageNeeds | None = None  # the family's language needs (intake's fact, §3.6): every task carries them

    @property
    def exists(self) -> bool:
        return bool(self.handled)


def empty(case_id: str) -> NotifyCase:
    return NotifyCase(case_id)


def apply(case: NotifyCase, envelope: CloudEvent) -> NotifyCase:
    case.handled.add(envelope.id)
    if envelope.causationid:
        case.handled.add(envelope.causationid)
    event = data_of(envelope)
    match event:
        case HandoffRequested():
            case.tasks.setdefault(
                event.handoff_id,
                Task(
                    event.handoff_id, event.kind, event.requester, event.owner, event.due, event.municipality,
                    event.invited, event.checklist,
                ),
            )
        case HandoffNotified():
            case.tasks[event.handoff_id].status = "requested"
        case HandoffAccepted():
            case.tasks[event.handoff_id].status = "accepted"
        case HandoffDeclined():
            case.tasks[event.handoff_id].status = "rejected"
        case HandoffCompleted():
            case.tasks[event.handoff_id].status = "completed"
        case LanguageNeedsReported():
            case.language = event.needs()
        case HandoffEscalated():
            case.tasks[event.handoff_id].escalated = True
    return case
