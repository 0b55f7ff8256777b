"""Events of tasks: what an organisation receives and answers.

What an organisation receives, on amv.tasks.<org>.<Type> and by webhook: `TaskOpened` (a task for it,
the owner), and a notice of every change of a task it owns or requested, to both (`TaskChangeNotice`
types below; docs/partners.md "Tasks and their changes")."""

from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from contracts.events.base import ALL_PARTNERS, DomainEvent, EscalationStep, FreeText, HandoffKind, ShortText, TaskId
from contracts.events.intake import LanguageNeeds
from contracts.ids import OrgId

TaskStatus = Literal["requested", "accepted", "in-progress", "completed", "rejected", "cancelled"]
"""The HL7 FHIR Task status of a task after a change."""


class TaskOpened(DomainEvent):
    """Published on amv.tasks.<owner>.TaskOpened: a task for the owner organisation."""

    service: ClassVar[str] = "notify"
    change: ClassVar[str] = "opened"

    task_id: str
    kind: HandoffKind
    requester: OrgId
    owner: OrgId
    due: date
    invited: tuple[OrgId, ...] = ()
    checklist: tuple[str, ...] = ()
    language: LanguageNeeds | None = Field(
        default=None, description="The family's contact language(s) and interpreter/key-person needs (§3.6, §4.3)."
    )
    language_support_missing: bool = Field(
        default=False,
        description="True when the family needs an interpreter or key person and none is arranged: arrange one first.",
    )
    escalates: str | None = Field(default=None, description="For an escalation: the task_id of the task it escalates.")
    escalation_step: EscalationStep | None = Field(
        default=None, description="For an escalation: own-coordinator (first) or integral-meeting (then)."
    )


class TaskAccepted(DomainEvent):
    """The owner organisation accepts a task it received (published to its own inbox)."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: TaskId


class TaskDeclined(DomainEvent):
    """The owner organisation declines a task it received, saying why."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: TaskId
    reason: FreeText


class TaskCompleted(DomainEvent):
    """The owner organisation completed a task it accepted."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: TaskId


class TaskStarted(DomainEvent):
    """The owner organisation started work on a task it accepted."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: TaskId


class TaskCancelled(DomainEvent):
    """The requester organisation withdraws a task it asked for (not once it is completed), saying why."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: TaskId
    reason: FreeText


class ChecklistItemTicked(DomainEvent):
    """The owner organisation ticks one item of the task's checklist (an id from TaskOpened.checklist)."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: TaskId
    item: ShortText


# --- notices of a task's changes, to its owner and its requester ---------------------------------


class TaskChange(BaseModel):
    """What every notice of a change says about the task (a mixin of fields, not an event type)."""

    service: ClassVar[str] = "notify"

    task_id: str
    kind: HandoffKind
    requester: OrgId
    owner: OrgId
    due: date
    status: TaskStatus = Field(description="The task's FHIR Task status after the change.")
    by: OrgId | None = Field(
        default=None, description="The organisation whose answer made the change; none when the system made it."
    )
    reason: FreeText | None = Field(default=None, description="Why: of a decline or a cancellation, or how it resolved.")
    escalates: str | None = Field(default=None, description="For an escalation: the task_id of the task it escalates.")


def _notice(name: str, change: str, doc: str) -> type[DomainEvent]:
    """A notice type that says no more than `TaskChange`: its name, its change and what it tells whom."""
    namespace = {"__doc__": doc, "__module__": __name__, "__annotations__": {"change": ClassVar[str]}, "change": change}
    return type(name, (DomainEvent, TaskChange), namespace)


TaskOpenedNotice = _notice(
    "TaskOpenedNotice", "opened", "To the requester: the task it asked for was opened for its owner (who receives TaskOpened)."
)
TaskAcceptedNotice = _notice("TaskAcceptedNotice", "accepted", "To owner and requester: the owner accepted the task.")
TaskDeclinedNotice = _notice("TaskDeclinedNotice", "declined", "To owner and requester: the owner declined the task, with the reason.")
TaskStartedNotice = _notice(
    "TaskStartedNotice", "started", "To owner and requester: the owner started work on the task (in-progress)."
)
TaskCompletedNotice = _notice(
    "TaskCompletedNotice", "completed",
    "To owner and requester: the task was completed (an escalation: the task it escalates was taken up).",
)
TaskCancelledNotice = _notice(
    "TaskCancelledNotice", "cancelled",
    "To owner and requester: the task was cancelled, with the reason (by its requester, or by the system).",
)


class TaskOverdueNotice(DomainEvent, TaskChange):
    """To owner and requester: the task was still open the day after its due date."""

    change: ClassVar[str] = "overdue"

    overdue_since: date


class TaskEscalatedNotice(DomainEvent, TaskChange):
    """To owner and requester: nobody accepted the task in time, so it was escalated (one step of the chain)."""

    change: ClassVar[str] = "escalated"

    escalated_to: OrgId
    escalation_id: str = Field(description="The task_id of the escalation task the escalated_to organisation received.")
    step: EscalationStep
    overdue_since: date


TASK_CHANGES: dict[str, tuple[str, ...]] = {}
"""Each change an organisation can subscribe to -> the message types that carry it (a 'kanaal')."""
for _cls in (TaskOpened, TaskOpenedNotice, TaskAcceptedNotice, TaskDeclinedNotice, TaskStartedNotice,
             TaskCompletedNotice, TaskCancelledNotice, TaskOverdueNotice, TaskEscalatedNotice):
    TASK_CHANGES[_cls.change] = (*TASK_CHANGES.get(_cls.change, ()), _cls.event_type)
TaskChangeKind = Literal["opened", "accepted", "declined", "started", "completed", "cancelled", "overdue", "escalated"]
NOT_YET_DELIVERED = ("reassigned",)  # needs a named key worker (issue 15, point 7)
