"""What a task's owner and its requester receive when the task changes: the pure part of delivery.

Every change notify stores about a task becomes a message to each of the two (once when they are
the same organisation), published on amv.tasks.<org>.<Type> and POSTed to the webhooks that
organisation subscribed to that change (services/notify/delivery.py): the owner receives
`TaskOpened` (the task itself) and the requester `TaskOpenedNotice`; after that both receive a
`Task…Notice` of every change (contracts/events/tasks.py). A message's id depends only on the
stored change and the recipient's role, so a repeated delivery is recognisably the same one."""

import copy
from datetime import timedelta

from contracts.envelope import CloudEvent
from contracts.events import (
    DomainEvent,
    HandoffEscalated,
    HandoffNotified,
    HandoffOverdue,
    TaskAcceptedNotice,
    TaskCancelledNotice,
    TaskCompletedNotice,
    TaskDeclinedNotice,
    TaskEscalatedNotice,
    TaskOpenedNotice,
    TaskOverdueNotice,
    TaskStartedNotice,
    data_of,
    derive,
)
from services.notify import rules, state
from services.notify.state import NotifyCase, Task

# The stored change -> the notice that tells owner and requester about it.
NOTICES: dict[str, type[DomainEvent]] = {
    "HandoffAccepted": TaskAcceptedNotice,
    "HandoffDeclined": TaskDeclinedNotice,
    "HandoffStarted": TaskStartedNotice,
    "HandoffCompleted": TaskCompletedNotice,
    "HandoffCancelled": TaskCancelledNotice,
    "HandoffOverdue": TaskOverdueNotice,
    "HandoffEscalated": TaskEscalatedNotice,
}
BY_FIELDS = ("accepted_by", "declined_by", "started_by", "completed_by", "cancelled_by")


def recipients(task: Task) -> list[tuple[str, str]]:
    """(role, organisation) of everyone who hears about the task: its owner, then its requester."""
    found = [("owner", task.owner)]
    if task.requester != task.owner:
        found.append(("requester", task.requester))
    return found


def task_messages(case: NotifyCase, events: list[CloudEvent]) -> list[tuple[str, CloudEvent]]:
    """(recipient organisation, message) for every change of a delivered task among `events`, which
    are about to be stored for `case` (the state they were decided on). A task never delivered
    (still a draft, e.g. an escalation resolved before it went out) has nobody to tell."""
    case = copy.deepcopy(case)
    messages: list[tuple[str, CloudEvent]] = []
    for event in events:
        change = data_of(event)
        before = case.tasks.get(getattr(change, "handoff_id", ""))
        delivered = before is not None and before.status != "draft"
        state.apply(case, event)
        if isinstance(change, HandoffNotified):
            task = case.tasks[change.handoff_id]
            messages.append((task.owner, rules.task_message(event)))
            messages += [(org, notice(TaskOpenedNotice, task, change, event, role)) for role, org in recipients(task)[1:]]
        elif event.event_type in NOTICES and delivered:
            task = case.tasks[change.handoff_id]
            messages += [(org, notice(NOTICES[event.event_type], task, change, event, role)) for role, org in recipients(task)]
    return messages


def notice(cls: type[DomainEvent], task: Task, change: DomainEvent, stored: CloudEvent, role: str) -> CloudEvent:
    """The notice of `change` (stored as `stored`) to the task's `role`, the task as it is after it."""
    fields = dict(
        task_id=task.task_id, kind=task.kind, requester=task.requester, owner=task.owner, due=task.due,
        status=task.status, escalates=task.escalates, reason=getattr(change, "reason", None),
        by=next((getattr(change, name) for name in BY_FIELDS if hasattr(change, name)), None),
    )
    if isinstance(change, HandoffOverdue):
        fields |= dict(overdue_since=change.due + timedelta(days=1))
    if isinstance(change, HandoffEscalated):
        fields |= dict(
            escalated_to=change.escalated_to, escalation_id=change.escalation_id, step=change.step,
            overdue_since=change.overdue_since,
        )
    return derive(cls(**fields), stored, f"{cls.event_type}-{role}", rules.SERVICE)
