"""The escalation chain (issue 15, point 6): a task nobody accepted in time goes first to the owner
organisation's own coordinator, then to the municipality's integral meeting; the system raises it in
the coordinator's name, never the late organisation's; it resolves itself when the task is answered."""

from datetime import timedelta

import pytest

from contracts.events import HandoffCancelled, HandoffCompleted, TaskAccepted, TaskCancelled, TaskDeclined, data_of
from contracts.inbox import Rejection
from services.notify import rules, state
from services.runtime.directory import Directory
from tests.services.notify.test_rules import DUE, delivered, requested
from tests.support.domain import DIRECTORY, Story, data, types_of

LATE = "wijkteam-gm0855"
WEEK = timedelta(weeks=1)


def raised(s: Story, events) -> list:
    """Deliver every escalation among `events` (notify reacts to its HandoffRequested)."""
    for event in events:
        if event.event_type == "HandoffRequested":
            s.react(event)
    return events


def escalations(s: Story) -> dict[str, object]:
    """step -> the escalation task, as notify holds it."""
    return {t.escalation_step: t for t in s.case.tasks.values() if t.kind == "escalation"}


def test_the_day_after_the_due_date_a_task_is_overdue_and_goes_to_its_owners_own_coordinator() -> None:
    s = delivered(requested())
    assert s.days(DUE - timedelta(days=3), DUE) == []
    day_one = s.day(DUE + timedelta(days=1))
    assert types_of(day_one) == ["HandoffOverdue", "HandoffEscalated", "HandoffRequested"]
    [escalation] = data(day_one, "HandoffRequested")
    [escalated] = data(day_one, "HandoffEscalated")
    assert (escalation.kind, escalation.escalation_step, escalation.escalates) == ("escalation", "own-coordinator", "h-1")
    assert escalation.owner == LATE  # its own coordinator (the directory names none other for a district team)
    assert escalation.requester == "regie-gm0855", "raised in the coordinator's name, never the late organisation's"
    assert escalation.due == DUE + timedelta(days=1) + WEEK  # settings.escalation_due_weeks
    assert (escalated.step, escalated.escalation_id, escalated.escalated_to) == ("own-coordinator", escalation.handoff_id, LATE)


def test_still_not_accepted_after_the_first_escalation_is_due_it_goes_to_the_integral_meeting_once() -> None:
    s = delivered(requested())
    first = s.day(DUE + timedelta(days=1))
    s.react(first[-1])  # the first escalation is delivered
    assert s.days(DUE + timedelta(days=2), DUE + timedelta(days=1) + WEEK) == []
    then = s.day(DUE + timedelta(days=2) + WEEK)
    assert types_of(then) == ["HandoffEscalated", "HandoffRequested", "HandoffOverdue"]  # the first escalation is overdue too
    [integral] = data(then, "HandoffRequested")
    assert (integral.kind, integral.escalation_step, integral.owner) == ("escalation", "integral-meeting", "regie-gm0855")
    assert integral.due == DUE + timedelta(days=2) + 3 * WEEK  # settings.escalation_integral_due_weeks (2)
    raised(s, then)
    assert [e for e in s.days(DUE + 3 * WEEK, DUE + 20 * WEEK) if e.event_type != "HandoffOverdue"] == []
    assert s.case.tasks["h-1"].escalations == (
        ("own-coordinator", data(first, "HandoffRequested")[0].handoff_id), ("integral-meeting", integral.handoff_id)
    )


def test_the_filing_deadline_escalates_within_nidos_first() -> None:
    s = delivered(requested(owner="nidos", kind="file-reunification-application"))
    [first] = data(s.day(DUE + timedelta(days=1)), "HandoffRequested")
    assert (first.owner, first.requester, first.escalation_step) == ("nidos", "regie-gm0855", "own-coordinator")


def test_a_municipalitys_own_coordinator_is_its_regie_and_the_directory_may_name_another() -> None:
    assert DIRECTORY.own_coordinator("gm0855") == "regie-gm0855"
    assert DIRECTORY.own_coordinator("nidos") == "nidos"
    raw = DIRECTORY.model_dump(mode="json") | {"own_coordinators": {"vwn-gm0855": "gm0855"}}
    assert Directory.model_validate(raw).own_coordinator("vwn-gm0855") == "gm0855"
    with pytest.raises(ValueError, match="own_coordinators.nidos: 'teamlead' is not an organisation id"):
        Directory.model_validate(raw | {"own_coordinators": {"nidos": "teamlead"}})


def test_the_late_organisation_cannot_withdraw_its_escalation() -> None:
    s = delivered(requested())
    raised(s, s.day(DUE + timedelta(days=1)))
    [escalation] = escalations(s).values()
    refused = s.decide(LATE, TaskCancelled(task_id=escalation.task_id, reason="we are busy"))
    assert isinstance(refused, Rejection) and refused.code == "not-requester"


@pytest.mark.parametrize(
    ("answer", "by", "resolved_as"),
    [
        (TaskAccepted(task_id="h-1"), LATE, HandoffCompleted),
        (TaskDeclined(task_id="h-1", reason="not our area"), LATE, HandoffCancelled),
        (TaskCancelled(task_id="h-1", reason="no longer needed"), "nidos", HandoffCancelled),
    ],
)
def test_an_escalation_resolves_itself_when_its_task_is_answered(answer, by, resolved_as) -> None:
    s = delivered(requested())
    raised(s, s.day(DUE + timedelta(days=1)))
    raised(s, s.day(DUE + timedelta(days=2) + WEEK))  # both steps delivered
    stored = s.report(by, answer)
    assert types_of(stored)[1:] == [resolved_as.__name__] * 2
    for resolution in stored[1:]:
        assert "resolved: the escalated task was" in data_of(resolution).reason
    assert {t.status for t in escalations(s).values()} == {"completed" if resolved_as is HandoffCompleted else "cancelled"}
    assert [e for e in s.days(DUE + 3 * WEEK, DUE + 10 * WEEK) if e.event_type != "HandoffOverdue"] == []


def test_an_escalation_not_delivered_yet_is_cancelled_and_never_delivered() -> None:
    s = delivered(requested())
    raised = s.day(DUE + timedelta(days=1))
    stored = s.report(LATE, TaskAccepted(task_id="h-1"))
    assert types_of(stored) == ["HandoffAccepted", "HandoffCancelled"]
    assert s.react(raised[-1]) == []


def test_closing_a_task_at_18_closes_its_escalations_too() -> None:
    s = delivered(requested(owner="nidos", kind="petition-guardianship-transfer"))
    raised(s, s.day(DUE + timedelta(days=1)))
    from contracts.events import Turned18

    turned = s.fact("nidos", Turned18(birthday=DUE + 2 * WEEK))
    assert types_of(s.react(turned)) == ["HandoffCancelled", "HandoffCancelled"]
    assert {t.status for t in s.case.tasks.values()} == {"cancelled"}


@pytest.mark.parametrize("status", ["accepted", "in-progress"])
def test_an_accepted_task_past_its_due_date_is_overdue_once_but_never_escalated(status: str) -> None:
    from tests.services.notify.test_rules import task_in

    s = task_in(status, "TaskAccepted")
    assert types_of(s.days(DUE, DUE + timedelta(days=30))) == ["HandoffOverdue"]


@pytest.mark.parametrize("status", ["completed", "rejected", "cancelled"])
def test_a_closed_task_is_neither_overdue_nor_escalated(status: str) -> None:
    from tests.services.notify.test_rules import task_in

    s = task_in(status, "TaskAccepted")
    assert s.days(DUE, DUE + timedelta(days=30)) == []


def test_a_replay_gives_the_same_chain() -> None:
    s = delivered(requested())
    raised(s, s.day(DUE + timedelta(days=1)))
    assert rules.on_day(s.case, DUE + timedelta(days=1), DIRECTORY) == []
    assert state.empty("x").tasks == {}


def test_a_task_escalated_before_the_chain_existed_is_not_escalated_again() -> None:
    from contracts.events import HandoffEscalated, derive_on_day

    s = delivered(requested())
    legacy = HandoffEscalated(handoff_id="h-1", escalated_to="regie-gm0855", overdue_since=DUE + timedelta(days=1))
    s.store([derive_on_day(legacy, s.case_id, DUE + timedelta(days=1), "handoff-escalated", "notify", "h-1")])
    assert s.case.tasks["h-1"].escalations == ()
    assert types_of(s.days(DUE + timedelta(days=1), DUE + 20 * WEEK)) == ["HandoffOverdue"]
