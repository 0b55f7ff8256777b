"""What the handoff desk shows, decided without I/O: which cases an organisation may see, its inbox
in the order a caseworker should work it, who is responsible for the young person now, and what a
municipality's coordinator must look after. The API and the pages (`core.py`, `api.py`, `pages.py`)
only render these.

"Today" is the day of the last `DayStarted` (time is an event, see contracts/clock.py); callers
pass it in, so the same projection and day always give the same page.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from contracts.envelope import CloudEvent
from contracts.events import (
    HandoffAccepted,
    HandoffCancelled,
    HandoffRequested,
    SupportEnded,
    SupportGapClosed,
    SupportGapDetected,
    data_of,
)
from contracts.ids import municipality_of, organisation_kind
from services.notify.rules import ANSWERED_BY, TRANSITIONS
from services.notify.state import NotifyCase, Task
from services.monitoring.timeline import KIND_TEXT, describe, who

GUARDIAN = "nidos"  # every AMV's guardian until support ends (§2.3)


# --- who may see what ------------------------------------------------------------------------------


def coordinated_municipality(org: str) -> str | None:
    """The municipality code a coordinator ('regie-gm0855') looks after; None for any other organisation."""
    return municipality_of(org) if organisation_kind(org) == "coordinator" else None


def can_see_case(org: str, case: NotifyCase) -> bool:
    """An organisation sees a case only if it owns or requested one of its tasks, or coordinates a
    municipality the case touched. Everyone else does not even learn that it exists."""
    if any(org in (task.owner, task.requester) for task in case.tasks.values()):
        return True
    code = coordinated_municipality(org)
    return code is not None and code in case.municipalities


# --- the inbox -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxItem:
    case_id: str
    task: Task
    overdue: bool

    @property
    def kind_text(self) -> str:
        return KIND_TEXT.get(self.task.kind, self.task.kind)


def is_overdue(task: Task, today: date | None) -> bool:
    """Still waiting for its owner's answer after its due date (what rule 10 escalates)."""
    return today is not None and task.status == "requested" and today > task.due


def _inbox_order(item: InboxItem) -> tuple:
    return (not item.overdue, item.task.due, item.case_id, item.task.task_id)


def open_tasks(org: str, cases: Iterable[NotifyCase], today: date | None) -> list[InboxItem]:
    """The open tasks `org` owns: overdue first, then by due date (then case, task: a stable order)."""
    items = [
        InboxItem(case.case_id, task, is_overdue(task, today))
        for case in cases
        for task in case.tasks.values()
        if task.owner == org and task.is_open
    ]
    return sorted(items, key=_inbox_order)


def requested_tasks(org: str, cases: Iterable[NotifyCase], today: date | None) -> list[InboxItem]:
    """The open tasks `org` asked others for (it may cancel them), in the same order."""
    items = [
        InboxItem(case.case_id, task, is_overdue(task, today))
        for case in cases
        for task in case.tasks.values()
        if task.requester == org and task.is_open and task.owner != org
    ]
    return sorted(items, key=_inbox_order)


# What a caseworker can do, and the answer each sends (the rules in rules.py decide; the desk only
# offers what they would allow).
ACTION_ANSWERS = {
    "accept": "TaskAccepted",
    "decline": "TaskDeclined",
    "start": "TaskStarted",
    "tick": "ChecklistItemTicked",
    "complete": "TaskCompleted",
    "cancel": "TaskCancelled",
}


def actions_for(task: Task, org: str) -> list[str]:
    """The actions `org` may take on `task` now, by the lifecycle of rules.TRANSITIONS and who
    answers what (rules.ANSWERED_BY): ticking while items are open, completing once none are."""
    found = []
    for action, answer in ACTION_ANSWERS.items():
        if getattr(task, ANSWERED_BY[answer]) != org or (task.status, answer) not in TRANSITIONS:
            continue
        if (action == "tick" and not task.open_items) or (action == "complete" and task.open_items):
            continue
        found.append(action)
    return found


# --- the case page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Responsibility:
    """Who carries the young person's support now; `org` None means nobody (a support gap)."""

    org: str | None
    why: str
    # the same in parts, for the pages to say in the reader's language: `reason` one of "guardian",
    # "took-over", "successor-unknown", "successor-cancelled", "gap"; `facts` the values in `why`
    reason: str = "guardian"
    facts: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return f"{self.org}: {self.why}" if self.org else f"nobody — support gap: {self.why}"


def responsible_now(events: Iterable[CloudEvent]) -> Responsibility:
    """§4.2, §4.4: Nidos carries the support until it ends. It ends warmly (`SupportEnded`): then the
    owner of the accepted successor handoff carries it. It ends with nobody (`SupportGapDetected`):
    nobody does until the gap closes. A successor whose task the requester cancelled carries nothing."""
    handoffs: dict[str, HandoffRequested] = {}
    cancelled: set[str] = set()
    accepted: set[str] = set()
    ended: SupportEnded | None = None
    gap: SupportGapDetected | None = None
    for envelope in events:
        event = data_of(envelope)
        match event:
            case HandoffRequested():
                handoffs.setdefault(event.handoff_id, event)
            case HandoffAccepted():
                accepted.add(event.handoff_id)
            case HandoffCancelled():
                cancelled.add(event.handoff_id)
            case SupportEnded():
                ended, gap = event, None
            case SupportGapDetected():
                gap = event
            case SupportGapClosed():
                gap = None
    if ended is not None:
        successor = handoffs.get(ended.successor_handoff_id)
        if successor is None:
            return Responsibility(
                None, f"support by {ended.by} ended on {ended.ended_on}; its successor is unknown",
                "successor-unknown", (("by", ended.by), ("on", str(ended.ended_on))),
            )
        if successor.handoff_id in cancelled:
            return Responsibility(
                None, f"support by {ended.by} ended on {ended.ended_on}; {successor.owner}'s task was cancelled since",
                "successor-cancelled", (("by", ended.by), ("on", str(ended.ended_on)), ("owner", successor.owner)),
            )
        return Responsibility(
            successor.owner,
            f"took over from {ended.by} on {ended.ended_on} ({KIND_TEXT.get(successor.kind, successor.kind)})",
            "took-over", (("by", ended.by), ("on", str(ended.ended_on)), ("kind", successor.kind)),
        )
    if gap is not None:
        coordinators = [h.owner for h in handoffs.values() if h.kind == "support-gap"]
        asked = f"; {coordinators[-1]} is asked to close it" if coordinators else ""
        return Responsibility(
            None, f"support by {gap.by} ended on {gap.detected_on} ({gap.reason}){asked}", "gap",
            (("by", gap.by), ("on", str(gap.detected_on)), ("reason", gap.reason), ("asked", coordinators[-1] if coordinators else "")),
        )
    return Responsibility(GUARDIAN, "guardian of the young person until guardianship passes or support ends at 18")


@dataclass(frozen=True)
class TimelineEntry:
    day: date
    who: str
    text: str
    event_type: str
    task_kind: str | None  # plain language kind of the task the event is about, if any


def timeline_entries(events: Iterable[CloudEvent], tasks: Mapping[str, Task]) -> list[TimelineEntry]:
    """The case's timeline across all services, in stored order, each entry naming the task it is about."""
    entries = []
    for envelope in events:
        handoff_id = envelope.data.get("handoff_id")
        task = tasks.get(handoff_id) if isinstance(handoff_id, str) else None
        entries.append(
            TimelineEntry(
                envelope.time.date(), who(envelope), describe(envelope), envelope.event_type,
                KIND_TEXT.get(task.kind, task.kind) if task else None,
            )
        )
    return entries


# --- the coordinator's view --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenGap:
    case_id: str
    gap: SupportGapDetected
    gap_task: Task | None  # the task asking the coordinator to close it


@dataclass(frozen=True)
class OpenEscalation:
    case_id: str
    escalation: Task  # the coordinator's task
    escalated: Task | None  # the task nobody accepted in time


@dataclass(frozen=True)
class CoordinatorView:
    municipality: str
    gaps: list[OpenGap]
    escalations: list[OpenEscalation]


def coordinator_view(org: str, cases: Iterable[NotifyCase]) -> CoordinatorView | None:
    """For a coordinator: the open support gaps of cases in its municipality and the escalations
    sent to it that are not done yet. None for an organisation that coordinates nothing."""
    code = coordinated_municipality(org)
    if code is None:
        return None
    gaps: list[OpenGap] = []
    escalations: list[OpenEscalation] = []
    for case in cases:
        if case.open_gap is not None and code in case.municipalities:
            gap_tasks = [t for t in case.tasks.values() if t.kind == "support-gap"]
            gaps.append(OpenGap(case.case_id, case.open_gap, gap_tasks[-1] if gap_tasks else None))
        for task in case.tasks.values():
            if task.kind == "escalation" and task.owner == org and task.is_open:
                escalated = case.tasks.get(task.escalates) if task.escalates else None
                escalations.append(OpenEscalation(case.case_id, task, escalated))
    gaps.sort(key=lambda g: (g.gap.detected_on, g.case_id))
    escalations.sort(key=lambda e: (e.escalation.due, e.case_id))
    return CoordinatorView(code, gaps, escalations)
