"""The notify case: the tasks of one case and where each stands."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from contracts.envelope import CloudEvent
from contracts.events import HandoffAccepted, HandoffNotified, data_of


@dataclass
class Task:
    task_id: str
    kind: str
    requester: str
    owner: str
    due: date
    status: str = "requested"  # FHIR Task status


@dataclass
class NotifyCase:
    # Ids of stored events and of the reports that caused them: a report seen again is a duplicate.
    handled: set[str] = field(default_factory=set)
    tasks: dict[str, Task] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return bool(self.handled)


def apply(case: NotifyCase, envelope: CloudEvent) -> NotifyCase:
    case.handled.add(envelope.id)
    if envelope.causationid:
        case.handled.add(envelope.causationid)
    event = data_of(envelope)
    if isinstance(event, HandoffNotified):
        case.tasks[event.handoff_id] = Task(event.handoff_id, event.kind, event.requester, event.owner, event.due)
    elif isinstance(event, HandoffAccepted):
        case.tasks[event.handoff_id].status = "accepted"
    return case


def fold(events: Iterable[CloudEvent]) -> NotifyCase:
    case = NotifyCase()
    for envelope in events:
        apply(case, envelope)
    return case
