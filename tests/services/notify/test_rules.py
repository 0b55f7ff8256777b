"""notify's pure rules: one task per handoff, the FHIR transitions only the owner makes, and
escalation of overdue tasks, once."""

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.envelope import CloudEvent
from contracts.events import (
    HandoffAccepted,
    HandoffRequested,
    TaskAccepted,
    TaskCompleted,
    TaskDeclined,
    TaskOpened,
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


def test_an_overdue_task_is_escalated_to_the_coordinator_once() -> None:
    s = delivered(requested())
    assert s.days(DUE - timedelta(days=3), DUE) == []
    escalated = s.day(DUE + timedelta(days=1))
    assert types_of(escalated) == ["HandoffEscalated", "HandoffRequested"]
    [escalation] = data(escalated, "HandoffRequested")
    assert (escalation.kind, escalation.owner, escalation.escalates) == ("escalation", "regie-gm0855", "h-1")
    assert s.days(DUE + timedelta(days=2), DUE + timedelta(days=60)) == []


def test_escalations_are_delivered_but_never_escalated_in_a_loop() -> None:
    s = delivered(requested())
    escalation = s.day(DUE + timedelta(days=1))[1]
    assert types_of(s.react(escalation)) == ["HandoffNotified"]
    assert s.days(DUE + timedelta(days=2), DUE + timedelta(days=90)) == []


def test_an_accepted_or_declined_task_is_not_escalated() -> None:
    s = delivered(requested("h-1"), requested("h-2"))
    s.report("wijkteam-gm0855", TaskAccepted(task_id="h-1"))
    s.report("wijkteam-gm0855", TaskDeclined(task_id="h-2", reason="not our area"))
    assert s.days(DUE, DUE + timedelta(days=30)) == []


def test_a_nidos_task_escalates_to_the_coordinator_of_the_cases_municipality() -> None:
    s = delivered(requested(owner="nidos", kind="petition-guardianship-transfer"))
    [escalation] = data(s.day(DUE + timedelta(days=1)), "HandoffRequested")
    assert escalation.owner == "regie-gm0855"
