"""notify's pure rules: one task per handoff, and only the owner accepts it, once."""

from datetime import UTC, date, datetime

from contracts.envelope import CloudEvent
from contracts.events import HandoffAccepted, HandoffRequested, TaskAccepted, TaskOpened, data_of, derive, report
from contracts.inbox import Rejection, Report
from services.notify.rules import answer, notify_owner, task_for
from services.notify.state import fold

CASE = "case-abc123"
WHEN = datetime(2026, 2, 1, 10, tzinfo=UTC)
CAUSE = CloudEvent(
    id="filed-1",
    source="urn:nld:warmeoverdracht:org:nidos",
    type="nl.warmeoverdracht.ApplicationFiled.v1",
    subject=CASE,
    time=WHEN,
    data={"filed_on": "2026-02-01"},
)
REQUESTED = derive(
    HandoffRequested(
        handoff_id="h-1", kind="plan-transition-meeting", requester="nidos", owner="gm0855", due=date(2026, 3, 1)
    ),
    CAUSE,
    "plan-transition-meeting",
    "intake",
)


def accept(org: str, event_id: str, task_id: str = "h-1") -> Report:
    event = TaskAccepted(task_id=task_id)
    return Report(org, report(event, CASE, org, event_id, WHEN), event)


def test_the_task_goes_to_the_owner_with_the_handoffs_id() -> None:
    task = task_for(REQUESTED)
    opened = data_of(task)
    assert isinstance(opened, TaskOpened)
    assert (opened.task_id, opened.owner, opened.requester, opened.due) == ("h-1", "gm0855", "nidos", date(2026, 3, 1))
    assert task == task_for(REQUESTED)  # a re-sent task is the same task


def test_a_handoff_is_notified_once() -> None:
    notified = notify_owner(fold([]), REQUESTED)
    assert len(notified) == 1
    assert notify_owner(fold(notified), REQUESTED) == []


def test_the_owner_accepts() -> None:
    events = notify_owner(fold([]), REQUESTED)
    outcome = answer(fold(events), accept("gm0855", "a1"))
    assert not isinstance(outcome, Rejection)
    assert data_of(outcome[0]) == HandoffAccepted(handoff_id="h-1", accepted_by="gm0855")
    # the same answer again is a duplicate, not an error
    assert answer(fold(events + outcome), accept("gm0855", "a1")) == []


def test_accepting_twice_is_refused() -> None:
    events = notify_owner(fold([]), REQUESTED)
    events += answer(fold(events), accept("gm0855", "a1"))
    outcome = answer(fold(events), accept("gm0855", "a2"))
    assert isinstance(outcome, Rejection)
    assert outcome.code == "illegal-transition"


def test_another_organisation_cannot_accept() -> None:
    events = notify_owner(fold([]), REQUESTED)
    outcome = answer(fold(events), accept("gm0518", "a1"))
    assert isinstance(outcome, Rejection)
    assert (outcome.code, outcome.field) == ("not-owner", "data.task_id")


def test_an_unknown_task_is_refused() -> None:
    outcome = answer(fold(notify_owner(fold([]), REQUESTED)), accept("gm0855", "a1", task_id="nope"))
    assert isinstance(outcome, Rejection)
    assert outcome.code == "unknown-task"
