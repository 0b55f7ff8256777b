"""Events of tasks: what an organisation receives and answers."""

from datetime import date
from typing import ClassVar

from pydantic import Field

from contracts.events.base import ALL_PARTNERS, DomainEvent, FreeText, HandoffKind, ShortText, TaskId
from contracts.events.intake import LanguageNeeds
from contracts.ids import OrgId

class TaskOpened(DomainEvent):
    """Published on amv.tasks.<owner>.TaskOpened: a task for the owner organisation."""

    service: ClassVar[str] = "notify"

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
