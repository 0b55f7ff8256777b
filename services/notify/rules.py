"""notify's decisions: every handoff request becomes a task for its owner; only the owner works
it and only the requester withdraws it, along the HL7 FHIR Task states; a task still open after its
due date is noted overdue; a task nobody accepted in time is escalated along a chain (the owner's
own coordinator, then the municipality's integral meeting), and an escalation resolves itself when
that task is answered; a task that can no longer be done is closed with the reason (at 18).

Numbers the source document does not give are local policy, read from the directory's settings
(`directory.settings_for(municipality)`, services/runtime/rulesettings.py; docs/rules.md)."""

from datetime import date, timedelta

from contracts.envelope import CloudEvent, derived_event_id
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
    HandoffOverdue,
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
    events = []
    for task in case.tasks.values():
        if task.kind in ENDS_AT_18 and task.is_open:
            cancelled = HandoffCancelled(handoff_id=task.task_id, cancelled_by=task.requester, reason=reason)
            events += [derive(cancelled, turned, f"closed-at-18-{task.task_id}", SERVICE)]
            events += resolved_escalations(case, cancelled, turned)
    return events


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
        escalates=handoff.escalates, escalation_step=handoff.escalation_step,
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
        language_support_missing=event.language_support_missing, escalates=event.escalates,
        escalation_step=event.escalation_step,
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
    recorded = recorded_answer(task, answer, report.org)
    return [
        derive(recorded, report.envelope, f"answer-{answer.event_type}", SERVICE),
        *resolved_escalations(case, recorded, report.envelope),
    ]


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
    """§4.4, never let a case fall between two organisations: a task still open the day after its due
    date is noted overdue, once; a task still not accepted then is escalated along the chain
    (`escalation_step`)."""
    events: list[CloudEvent] = []
    for task in list(case.tasks.values()):
        if task.is_open and not task.overdue and day > task.due:
            overdue = HandoffOverdue(handoff_id=task.task_id, due=task.due, status=task.status)
            events.append(derive_on_day(overdue, case.case_id, day, "handoff-overdue", SERVICE, key=task.task_id))
        events += escalation_step(case, task, day, directory)
    return events


def escalation_step(case: NotifyCase, task: Task, day: date, directory: Directory) -> list[CloudEvent]:
    """The next step of the chain for a task nobody accepted in time, raised by the system in the name
    of the municipality's coordinator (never in the late organisation's): the day after the due date,
    the owner organisation's own coordinator (`Directory.own_coordinator`: for a task of Nidos, Nidos'
    own), due after `escalation_due_weeks`; the day after that escalation's due date, with the task still
    not accepted, the municipality's integral meeting (its coordinator, regie-gm…), due after
    `escalation_integral_due_weeks`. Each step once; an escalation is never escalated itself, and a
    task escalated before the chain existed (no step) is not escalated again."""
    if task.status != "requested" or task.kind in NOT_ESCALATED:
        return []
    code = municipality_of(task.owner) or task.municipality
    local = directory.of(code) or directory.of(task.municipality)
    if local is None:
        return []
    settings = directory.settings_for(code if directory.of(code) else task.municipality)
    steps = tuple(step for step, _ in task.escalations)
    if not task.escalated and day > task.due:
        owner, weeks, step = directory.own_coordinator(task.owner), settings.escalation_due_weeks, "own-coordinator"
    elif steps == ("own-coordinator",) and day > case.tasks[task.escalations[0][1]].due:
        owner, weeks, step = local.coordinator, settings.escalation_integral_due_weeks, "integral-meeting"
    else:
        return []
    key = task.task_id if step == "own-coordinator" else f"{task.task_id}/{step}"
    rule = "escalation" if step == "own-coordinator" else "escalation-integral"
    escalation = HandoffRequested(
        handoff_id=derived_event_id(f"{case.case_id}/{key}", rule), kind="escalation", requester=local.coordinator,
        owner=owner, due=day + timedelta(weeks=weeks), municipality=task.municipality, escalates=task.task_id,
        escalation_step=step,
    )
    escalated = HandoffEscalated(
        handoff_id=task.task_id, escalated_to=owner, overdue_since=task.due + timedelta(days=1), step=step,
        escalation_id=escalation.handoff_id,
    )
    return [
        derive_on_day(escalated, case.case_id, day, "handoff-escalated", SERVICE, key=key),
        derive_on_day(escalation, case.case_id, day, rule, SERVICE, key),
    ]


# How an escalation resolves itself when the task it escalates is answered: its goal is reached
# (the task was taken up: completed) or gone (the task was declined or cancelled: cancelled).
RESOLVED_BY = {
    "HandoffAccepted": ("completed", "accepted", "accepted_by"),
    "HandoffCompleted": ("completed", "completed", "completed_by"),
    "HandoffDeclined": ("cancelled", "declined", "declined_by"),
    "HandoffCancelled": ("cancelled", "cancelled", "cancelled_by"),
}


def resolved_escalations(case: NotifyCase, change: DomainEvent, cause: CloudEvent) -> list[CloudEvent]:
    """§4.4: an escalation is about a task nobody took up. When that task is accepted or completed,
    its open escalations are completed; when it is declined or cancelled, they are cancelled, in the
    name of whoever raised them; each with the reason. One not delivered yet is cancelled, so it
    never arrives."""
    if change.event_type not in RESOLVED_BY:
        return []
    outcome, what, by_field = RESOLVED_BY[change.event_type]
    task_id, by = getattr(change, "handoff_id"), getattr(change, by_field)
    resolved = []
    for escalation in case.tasks.values():
        if escalation.escalates != task_id or not (escalation.is_open or escalation.status == "draft"):
            continue
        reason = f"resolved: the escalated task was {what} by {by}"
        if outcome == "completed" and escalation.status != "draft":
            event: DomainEvent = HandoffCompleted(handoff_id=escalation.task_id, completed_by=by, reason=reason)
        else:
            event = HandoffCancelled(handoff_id=escalation.task_id, cancelled_by=escalation.requester, reason=reason)
        resolved.append(derive(event, cause, f"escalation-resolved-{escalation.task_id}", SERVICE))
    return resolved
