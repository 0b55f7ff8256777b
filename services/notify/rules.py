"""notify's decisions: a handoff request becomes a task for its owner; only the owner accepts it."""

from contracts.envelope import CloudEvent
from contracts.events import HandoffAccepted, HandoffNotified, HandoffRequested, TaskAccepted, TaskOpened, derive
from contracts.inbox import Rejection, Report
from services.notify.state import NotifyCase

SERVICE = "notify"


def task_for(requested: CloudEvent) -> CloudEvent:
    """The task the owner receives on amv.tasks.<owner>.TaskOpened; its id is the handoff's id,
    so a re-sent task is recognisable as the same one (a stable delivery id)."""
    handoff = HandoffRequested.model_validate(requested.data)
    task = TaskOpened(
        task_id=handoff.handoff_id,
        kind=handoff.kind,
        requester=handoff.requester,
        owner=handoff.owner,
        due=handoff.due,
        invited=handoff.invited,
    )
    return derive(task, requested, "task-opened", SERVICE)


def notify_owner(case: NotifyCase, requested: CloudEvent) -> list[CloudEvent]:
    """Record that the handoff's task was delivered, unless it already was."""
    handoff = HandoffRequested.model_validate(requested.data)
    if handoff.handoff_id in case.tasks:
        return []
    notified = HandoffNotified(
        handoff_id=handoff.handoff_id,
        kind=handoff.kind,
        requester=handoff.requester,
        owner=handoff.owner,
        due=handoff.due,
        channel="nats",
    )
    return [derive(notified, requested, "handoff-notified", SERVICE)]


def answer(case: NotifyCase, report: Report) -> list[CloudEvent] | Rejection:
    """An organisation's answer to a task it owns."""
    if report.envelope.id in case.handled:
        return []
    event = report.event
    if not isinstance(event, TaskAccepted):
        return Rejection("unknown-event-type", f"notify does not handle {event.event_type}", "type")
    task = case.tasks.get(event.task_id)
    if task is None:
        return Rejection("unknown-task", f"case {report.case_id} has no task {event.task_id}", "data.task_id")
    if task.owner != report.org:
        return Rejection("not-owner", f"only the owner ({task.owner}) may accept task {event.task_id}", "data.task_id")
    if task.status != "requested":
        return Rejection("illegal-transition", f"task {event.task_id} is {task.status}, it cannot be accepted", "data.task_id")
    accepted = HandoffAccepted(handoff_id=task.task_id, accepted_by=report.org)
    return [derive(accepted, report.envelope, "handoff-accepted", SERVICE)]
