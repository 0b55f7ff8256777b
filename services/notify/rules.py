"""notify's decisions: every handoff request becomes a task for its owner; only the owner works
it and only the requester withdraws it, along the HL7 FHIR Task states; a task nobody accepted in
time is escalated, once; a task that can no longer be done is closed with the reason (at 18).

Numbers the source document does not give are local policy, read from the directory's settings
(`directory.settings_for(municipality)`, services/runtime/rulesettings.py; docs/rules.md)."""

from datetime import date, timedelta

from contracts.envelope import CloudEvent
from contracts.events import (
    ChecklistItemChecked,
    ChecklistItemTicked,
    DomainEvent,
    HandoffAccepted,
    HandoffCancelled,
    HandoffCompleted,
    HandoffDeclined,
    HandoffEscalated,
    HandoffNotified,
    HandoffRequested,
    HandoffStarted,
    TaskAccepted,
    TaskCancelled,
    TaskCompleted,
    TaskDeclined,
    TaskOpened,
    TaskStarted,
    Turned18,
    data_of,
    derive,
    derive_on_day,
)
from contracts.ids import municipality_of
from contracts.inbox import Rejection, Report
from services.handoffs import requested_on_day
from services.notify.state import NotifyCase, Task
from services.runtime.directory import Directory

SERVICE = "notify"
NOT_ESCALATED = frozenset({"escalation", "support-gap"})  # escalations are never escalated again

# The HL7 FHIR Task lifecycle: (status now, answer) -> status after. Anything not listed is
# refused and changes nothing. A small task may be completed straight after accepting; ticking a
# checklist item leaves the status as it is; once completed, rejected or cancelled, a task is closed.
TRANSITIONS = {
    ("requested", "TaskAccepted"): "accepted",
    ("requested", "TaskDeclined"): "rejected",
    ("accepted", "TaskStarted"): "in-progress",
    ("accepted", "TaskCompleted"): "completed",
    ("in-progress", "TaskCompleted"): "completed",
    ("accepted", "ChecklistItemTicked"): "accepted",
    ("in-progress", "ChecklistItemTicked"): "in-progress",
    ("requested", "TaskCancelled"): "cancelled",
    ("accepted", "TaskCancelled"): "cancelled",
    ("in-progress", "TaskCancelled"): "cancelled",
}
# Who may give each answer: the owner works the task; the requester may withdraw it.
ANSWERED_BY = {
    "TaskAccepted": "owner",
    "TaskDeclined": "owner",
    "TaskStarted": "owner",
    "TaskCompleted": "owner",
    "ChecklistItemTicked": "owner",
    "TaskCancelled": "requester",
}


def react(case: NotifyCase, event: CloudEvent, directory: Directory) -> list[CloudEvent]:
    """What notify derives from a stored event: a task for a handoff request, or closing at 18."""
    match event.event_type:
        case "HandoffRequested":
            return deliver(case, event)
        case "Turned18":
            return closed_at_18(case, event)
    return []


ENDS_AT_18 = frozenset({"petition-guardianship-transfer"})  # tasks that only make sense while guardianship lasts


def closed_at_18(case: NotifyCase, turned: CloudEvent) -> list[CloudEvent]:
    """§2.3: guardianship lasts until 18 ("tot ze 18 jaar worden"), so at 18 there is nothing left to
    transfer to the parents: an open court-petition task is cancelled, in its requester's name,
    with that reason (issue 15, point 8)."""
    birthday = Turned18.model_validate(turned.data).birthday
    reason = f"the young person turned 18 on {birthday.isoformat()}: guardianship ended, nothing left to transfer"
    return [
        derive(
            HandoffCancelled(handoff_id=task.task_id, cancelled_by=task.requester, reason=reason),
            turned, f"closed-at-18-{task.task_id}", SERVICE,
        )
        for task in case.tasks.values()
        if task.kind in ENDS_AT_18 and task.is_open
    ]


def deliver(case: NotifyCase, event: CloudEvent) -> list[CloudEvent]:
    """§4.1, hand over warmly: a handoff request becomes a task delivered to its owner, once.
    §3.6/§4.3: it carries the family's language needs, flagged when an interpreter or key person
    is needed and none is arranged."""
    handoff = data_of(event)  # upcast to the current version, as every stored event is read
    assert isinstance(handoff, HandoffRequested)
    task = case.tasks.get(handoff.handoff_id)
    if task is not None and task.status != "draft":
        return []
    notified = HandoffNotified(
        handoff_id=handoff.handoff_id, kind=handoff.kind, requester=handoff.requester, owner=handoff.owner,
        due=handoff.due, municipality=handoff.municipality, invited=handoff.invited, checklist=handoff.checklist,
        language=case.language, language_support_missing=case.language is not None and case.language.support_missing,
    )
    return [derive(notified, event, "handoff-notified", SERVICE)]


def task_message(notified: CloudEvent) -> CloudEvent:
    """The task the owner receives on amv.tasks.<owner>.TaskOpened. Its id depends only on the
    handoff, so a re-sent task is recognisably the same one (a stable delivery id)."""
    event = data_of(notified)
    assert isinstance(event, HandoffNotified)
    task = TaskOpened(
        task_id=event.handoff_id, kind=event.kind, requester=event.requester, owner=event.owner, due=event.due,
        invited=event.invited, checklist=event.checklist, language=event.language,
        language_support_missing=event.language_support_missing,
    )
    return derive(task, notified, "task-opened", SERVICE)


def decide(case: NotifyCase, report: Report, directory: Directory) -> list[CloudEvent] | Rejection:
    """An organisation's answer to a task, along the FHIR Task lifecycle (`TRANSITIONS`): the owner
    accepts, declines (with a reason), starts, ticks checklist items and completes (only once every
    item is ticked); the requester may cancel (with a reason) until the task is completed."""
    if report.envelope.id in case.handled:
        return []
    answer = report.event
    task_id = getattr(answer, "task_id", None)
    task = case.tasks.get(task_id) if task_id else None
    if task is None:
        return Rejection("unknown-task", f"case {report.case_id} has no task {task_id}", "data.task_id")
    if task.status == "draft":  # delivered, but its delivery is not recorded yet: wait for it
        return Rejection(
            "unknown-task", f"task {task_id} is not delivered yet", "data.task_id", awaits_other_service=True
        )
    refusal = check_answer(task, answer, report.org)
    if refusal is not None:
        return refusal
    return [derive(recorded_answer(task, answer, report.org), report.envelope, f"answer-{answer.event_type}", SERVICE)]


def check_answer(task: Task, answer: DomainEvent, org: str) -> Rejection | None:
    """Why `org` may not give `answer` to `task` now, or None when it may."""
    role = ANSWERED_BY.get(answer.event_type)
    if role == "owner" and org != task.owner:
        return Rejection("not-owner", f"only the owner ({task.owner}) may answer task {task.task_id}", "data.task_id")
    if role == "requester" and org != task.requester:
        return Rejection(
            "not-requester", f"only the requester ({task.requester}) may cancel task {task.task_id}", "data.task_id"
        )
    if (task.status, answer.event_type) not in TRANSITIONS:
        return Rejection(
            "illegal-transition", f"task {task.task_id} is {task.status}: it cannot take {answer.event_type}", "type"
        )
    match answer:
        case ChecklistItemTicked(item=item) if item not in task.checklist:
            listed = ", ".join(task.checklist) or "none"
            return Rejection(
                "unknown-checklist-item", f"task {task.task_id} has no checklist item '{item}' (items: {listed})",
                "data.item",
            )
        case ChecklistItemTicked(item=item) if item in task.checked:
            return Rejection("already-ticked", f"checklist item '{item}' of task {task.task_id} is ticked already", "data.item")
        case TaskCompleted() if task.open_items:
            return Rejection(
                "checklist-open",
                f"task {task.task_id} cannot be completed: checklist items still open: {', '.join(task.open_items)}",
                "type",
            )
    return None


def recorded_answer(task: Task, answer: DomainEvent, org: str) -> DomainEvent:
    match answer:
        case TaskAccepted():
            return HandoffAccepted(handoff_id=task.task_id, accepted_by=org)
        case TaskDeclined():
            return HandoffDeclined(handoff_id=task.task_id, declined_by=org, reason=answer.reason)
        case TaskStarted():
            return HandoffStarted(handoff_id=task.task_id, started_by=org)
        case TaskCompleted():
            return HandoffCompleted(handoff_id=task.task_id, completed_by=org)
        case TaskCancelled():
            return HandoffCancelled(handoff_id=task.task_id, cancelled_by=org, reason=answer.reason)
        case ChecklistItemTicked():
            return ChecklistItemChecked(handoff_id=task.task_id, item=answer.item, checked_by=org)
    raise ValueError(f"not an answer: {answer.event_type}")


def on_day(case: NotifyCase, day: date, directory: Directory) -> list[CloudEvent]:
    """§4.4, never let a case fall between two organisations: a task still not accepted after its
    due date is escalated to the coordinator of the owner's municipality, once per task; the
    escalation is due after the local-policy `escalation_due_weeks`."""
    events: list[CloudEvent] = []
    for task in case.tasks.values():
        if task.status != "requested" or task.escalated or task.kind in NOT_ESCALATED or day <= task.due:
            continue
        code = municipality_of(task.owner) or task.municipality
        local = directory.of(code) or directory.of(task.municipality)
        if local is None:
            continue
        overdue_since = task.due + timedelta(days=1)
        events.append(
            derive_on_day(
                HandoffEscalated(handoff_id=task.task_id, escalated_to=local.coordinator, overdue_since=overdue_since),
                case.case_id, day, "handoff-escalated", SERVICE, key=task.task_id,
            )
        )
        events.append(
            requested_on_day(
                case.case_id, day, "escalation", SERVICE, key=task.task_id, kind="escalation", requester=task.owner,
                owner=local.coordinator, due=day + timedelta(weeks=directory.settings_for(code if directory.of(code) else task.municipality).escalation_due_weeks),
                municipality=task.municipality,
                escalates=task.task_id,
            )
        )
    return events
