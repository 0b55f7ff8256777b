"""notify's pure rules: one task per handoff and the FHIR transitions only the owner makes (the
escalation chain: test_escalation.py; what owner and requester hear: test_messages.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.envelope import CloudEvent
from contracts.events import (
    ChecklistItemChecked,
    ChecklistItemTicked,
    HandoffAccepted,
    HandoffCancelled,
    HandoffRequested,
    TaskAccepted,
    TaskCancelled,
    TaskCompleted,
    TaskDeclined,
    TaskOpened,
    TaskStarted,
    data_of,
    derive,
)
from contracts.inbox import Rejection
from services.notify import rules, state
from services.notify.rules import task_message
from tests.support.domain import Story, data, types_of

CASE = "case-story1"
CAUSE = CloudEvent(
    id="filed-1",
    source="urn:nld:warmeoverdracht:org:nidos",
    type="nl.warmeoverdracht.ApplicationFiled.v1",
    subject=CASE,
    time=datetime(2026, 2, 1, 10, tzinfo=UTC),
    data={"filed_on": "2026-02-01"},
)
DUE = date(2026, 3, 1)


def requested(handoff_id: str = "h-1", owner: str = "wijkteam-gm0855", kind: str = "aftercare-district-team") -> CloudEvent:
    handoff = HandoffRequested(
        handoff_id=handoff_id, kind=kind, requester="nidos", owner=owner, due=DUE, municipality="GM0855"
    )
    return derive(handoff, CAUSE, f"rule-{handoff_id}", "guardianship")


def delivered(*handoffs: CloudEvent) -> Story:
    s = Story(state, rules, CASE)
    for handoff in handoffs:
        s.store([handoff])
        assert types_of(s.react(handoff)) == ["HandoffNotified"]
    return s


def test_a_handoff_is_notified_once_and_its_task_goes_to_the_owner() -> None:
    s = delivered(requested())
    assert s.react(requested()) == []
    task = task_message(s.events[-1])
    opened = data_of(task)
    assert isinstance(opened, TaskOpened)
    assert (opened.task_id, opened.owner, opened.requester, opened.due) == ("h-1", "wijkteam-gm0855", "nidos", DUE)
    assert task == task_message(s.events[-1])  # a re-sent task is the same task


def test_the_owner_accepts_and_the_same_answer_again_is_a_duplicate() -> None:
    s = delivered(requested())
    stored = s.report("wijkteam-gm0855", TaskAccepted(task_id="h-1"), "a1")
    assert data_of(stored[0]) == HandoffAccepted(handoff_id="h-1", accepted_by="wijkteam-gm0855")
    assert s.decide("wijkteam-gm0855", TaskAccepted(task_id="h-1"), "a1") == []


@pytest.mark.parametrize(
    ("answers", "then", "legal"),
    [
        ([], TaskAccepted(task_id="h-1"), True),
        ([], TaskDeclined(task_id="h-1", reason="no capacity this month"), True),
        ([], TaskCompleted(task_id="h-1"), False),
        ([TaskAccepted(task_id="h-1")], TaskAccepted(task_id="h-1"), False),
        ([TaskAccepted(task_id="h-1")], TaskCompleted(task_id="h-1"), True),
        ([TaskAccepted(task_id="h-1")], TaskDeclined(task_id="h-1", reason="changed our mind"), False),
        ([TaskDeclined(task_id="h-1", reason="no capacity")], TaskCompleted(task_id="h-1"), False),
        ([TaskDeclined(task_id="h-1", reason="no capacity")], TaskAccepted(task_id="h-1"), False),
        ([TaskAccepted(task_id="h-1"), TaskCompleted(task_id="h-1")], TaskCompleted(task_id="h-1"), False),
    ],
)
def test_task_transitions(answers, then, legal) -> None:
    s = delivered(requested())
    for n, answer in enumerate(answers):
        s.report("wijkteam-gm0855", answer, f"answer-{n}")
    outcome = s.decide("wijkteam-gm0855", then, "then")
    if legal:
        assert not isinstance(outcome, Rejection) and len(outcome) == 1
    else:
        assert isinstance(outcome, Rejection) and outcome.code == "illegal-transition", outcome


def test_another_organisation_cannot_answer() -> None:
    outcome = delivered(requested()).decide("gm0518", TaskAccepted(task_id="h-1"))
    assert isinstance(outcome, Rejection)
    assert (outcome.code, outcome.field) == ("not-owner", "data.task_id")


def test_an_unknown_or_undelivered_task_is_refused() -> None:
    s = delivered(requested())
    assert s.decide("wijkteam-gm0855", TaskAccepted(task_id="nope")).code == "unknown-task"
    s.store([requested("h-2")])  # requested, but not delivered yet
    assert s.decide("wijkteam-gm0855", TaskAccepted(task_id="h-2")).code == "unknown-task"


# --- the whole FHIR Task lifecycle ------------------------------------------------------------------

OWNER, REQUESTER, STRANGER = "gm0855", "nidos", "vwn-gm0518"
ITEMS = ("digid", "bank-account")
# The specification, written out: status -> {answer: status after}. Every other answer is refused.
LIFECYCLE = {
    "requested": {"TaskAccepted": "accepted", "TaskDeclined": "rejected", "TaskCancelled": "cancelled"},
    "accepted": {
        "TaskStarted": "in-progress", "TaskCompleted": "completed", "ChecklistItemTicked": "accepted",
        "TaskCancelled": "cancelled",
    },
    "in-progress": {"TaskCompleted": "completed", "ChecklistItemTicked": "in-progress", "TaskCancelled": "cancelled"},
    "completed": {},
    "rejected": {},
    "cancelled": {},
}
RECORDED = {
    "TaskAccepted": "HandoffAccepted",
    "TaskDeclined": "HandoffDeclined",
    "TaskStarted": "HandoffStarted",
    "TaskCompleted": "HandoffCompleted",
    "ChecklistItemTicked": "ChecklistItemChecked",
    "TaskCancelled": "HandoffCancelled",
}


def answer(name: str, item: str = "digid"):
    return {
        "TaskAccepted": lambda: TaskAccepted(task_id="t18"),
        "TaskDeclined": lambda: TaskDeclined(task_id="t18", reason="no capacity this month"),
        "TaskStarted": lambda: TaskStarted(task_id="t18"),
        "TaskCompleted": lambda: TaskCompleted(task_id="t18"),
        "ChecklistItemTicked": lambda: ChecklistItemTicked(task_id="t18", item=item),
        "TaskCancelled": lambda: TaskCancelled(task_id="t18", reason="the young person moved abroad"),
    }[name]()


def sender(name: str) -> str:
    return REQUESTER if name == "TaskCancelled" else OWNER


def transition_task() -> Story:
    handoff = HandoffRequested(
        handoff_id="t18", kind="transition-18-plus", requester=REQUESTER, owner=OWNER, due=DUE,
        municipality="GM0855", checklist=ITEMS,
    )
    return delivered(derive(handoff, CAUSE, "rule-t18", "guardianship"))


def task_in(status: str, then: str) -> Story:
    """A delivered 18+ task brought to `status` by legal answers; before a completion, every
    checklist item is ticked (where ticking is allowed), so only the status decides."""
    ticks = [("ChecklistItemTicked", item) for item in ITEMS]
    paths = {
        "requested": [],
        "accepted": [("TaskAccepted", "")],
        "in-progress": [("TaskAccepted", ""), ("TaskStarted", "")],
        "completed": [("TaskAccepted", ""), *ticks, ("TaskCompleted", "")],
        "rejected": [("TaskDeclined", "")],
        "cancelled": [("TaskCancelled", "")],
    }
    path = paths[status]
    if then == "TaskCompleted" and status in ("accepted", "in-progress"):
        path = path + ticks
    s = transition_task()
    for n, (name, item) in enumerate(path):
        s.report(sender(name), answer(name, item or "digid"), f"path-{n}")
    assert s.case.tasks["t18"].status == status
    return s


@pytest.mark.parametrize("status", list(LIFECYCLE))
@pytest.mark.parametrize("then", list(RECORDED))
def test_every_transition_of_the_lifecycle(status: str, then: str) -> None:
    s = task_in(status, then)
    before = s.case.tasks["t18"]
    outcome = s.decide(sender(then), answer(then), "then")
    if then in LIFECYCLE[status]:
        assert not isinstance(outcome, Rejection), outcome
        assert types_of(outcome) == [RECORDED[then]]
        s.store(outcome)
        assert s.case.tasks["t18"].status == LIFECYCLE[status][then]
    else:
        assert isinstance(outcome, Rejection), outcome
        assert outcome.code == "illegal-transition"
        assert f"is {status}" in outcome.reason and then in outcome.reason
        assert s.case.tasks["t18"] == before  # refused: nothing changed


def test_the_rules_table_is_the_lifecycle_of_the_specification() -> None:
    table = {(status, name): after for status, answers in LIFECYCLE.items() for name, after in answers.items()}
    assert rules.TRANSITIONS == table


@pytest.mark.parametrize("then", [name for name in RECORDED if name != "TaskCancelled"])
def test_only_the_owner_works_a_task(then: str) -> None:
    s = task_in("accepted" if then in ("TaskStarted", "ChecklistItemTicked", "TaskCompleted") else "requested", then)
    for org in (REQUESTER, STRANGER):
        outcome = s.decide(org, answer(then), f"by-{org}")
        assert isinstance(outcome, Rejection) and outcome.code == "not-owner", outcome
        assert OWNER in outcome.reason


@pytest.mark.parametrize("status", ["requested", "accepted", "in-progress"])
def test_only_the_requester_cancels_and_it_records_why(status: str) -> None:
    s = task_in(status, "TaskCancelled")
    for org in (OWNER, STRANGER):
        outcome = s.decide(org, answer("TaskCancelled"), f"by-{org}")
        assert isinstance(outcome, Rejection) and outcome.code == "not-requester", outcome
    [cancelled] = s.report(REQUESTER, answer("TaskCancelled"))
    assert data_of(cancelled) == HandoffCancelled(
        handoff_id="t18", cancelled_by=REQUESTER, reason="the young person moved abroad"
    )
    assert (s.case.tasks["t18"].status, s.case.tasks["t18"].status_reason) == ("cancelled", "the young person moved abroad")


def test_a_decline_keeps_its_reason() -> None:
    s = task_in("rejected", "TaskAccepted")
    assert s.case.tasks["t18"].status_reason == "no capacity this month"


def test_ticking_records_each_item_once_in_the_order_ticked() -> None:
    s = task_in("accepted", "ChecklistItemTicked")
    [checked] = s.report(OWNER, answer("ChecklistItemTicked", "bank-account"))
    assert data_of(checked) == ChecklistItemChecked(handoff_id="t18", item="bank-account", checked_by=OWNER)
    s.report(OWNER, answer("ChecklistItemTicked", "digid"))
    task = s.case.tasks["t18"]
    assert (task.checked, task.open_items, task.status) == (("bank-account", "digid"), (), "accepted")


def test_an_item_ticked_twice_or_not_on_the_checklist_is_refused() -> None:
    s = task_in("in-progress", "ChecklistItemTicked")
    s.report(OWNER, answer("ChecklistItemTicked", "digid"))
    again = s.decide(OWNER, answer("ChecklistItemTicked", "digid"), "again")
    assert (again.code, again.field) == ("already-ticked", "data.item")
    unknown = s.decide(OWNER, answer("ChecklistItemTicked", "passport"), "unknown")
    assert (unknown.code, unknown.field) == ("unknown-checklist-item", "data.item")
    assert "digid, bank-account" in unknown.reason
    assert s.case.tasks["t18"].checked == ("digid",)


def test_a_task_with_open_checklist_items_cannot_be_completed() -> None:
    s = task_in("in-progress", "ChecklistItemTicked")
    s.report(OWNER, answer("ChecklistItemTicked", "digid"))
    outcome = s.decide(OWNER, TaskCompleted(task_id="t18"), "done")
    assert isinstance(outcome, Rejection) and outcome.code == "checklist-open"
    assert "bank-account" in outcome.reason and "digid" not in outcome.reason.split(":")[-1]
    s.report(OWNER, answer("ChecklistItemTicked", "bank-account"))
    assert types_of(s.decide(OWNER, TaskCompleted(task_id="t18"), "done")) == ["HandoffCompleted"]


def test_a_task_without_checklist_has_no_items_to_tick() -> None:
    s = delivered(requested())
    s.report("wijkteam-gm0855", TaskAccepted(task_id="h-1"))
    outcome = s.decide("wijkteam-gm0855", ChecklistItemTicked(task_id="h-1", item="digid"))
    assert (outcome.code, outcome.field) == ("unknown-checklist-item", "data.item")
