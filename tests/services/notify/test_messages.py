"""What owner and requester hear (issue 15, point 5): every change of a task, to both, each message
with an id of its own that a repeated delivery keeps; and which webhooks subscribed to which."""

from datetime import timedelta

from contracts.envelope import CloudEvent
from contracts.events import HandoffRequested, TaskAccepted, TaskCompleted, TaskDeclined, TaskStarted, derive
from services.notify import rules, state
from services.notify.messages import task_messages
from services.notify.webhooks import WebhookTarget, subscribed
from services.runtime.directory import WebhookChannel
from tests.services.notify.test_rules import CAUSE, DUE, delivered, requested
from tests.support.domain import Story

OWNER, REQUESTER = "wijkteam-gm0855", "nidos"


def heard(s: Story, events: list[CloudEvent], before=None) -> list[tuple[str, str, str]]:
    """(recipient, message type, status) of what `events` tell, decided on the case `before` them."""
    return [(org, m.event_type, m.data["status"] if "status" in m.data else "-") for org, m in task_messages(before, events)]


def step(s: Story, run) -> list[tuple[str, str, str]]:
    before = s.case
    return heard(s, run(), before)


def test_the_owner_gets_the_task_and_the_requester_a_notice_of_it() -> None:
    s = Story(state, rules)
    handoff = s.store([requested()])[0]
    assert step(s, lambda: s.react(handoff)) == [(OWNER, "TaskOpened", "-"), (REQUESTER, "TaskOpenedNotice", "requested")]


def test_every_change_goes_to_owner_and_requester() -> None:
    s = delivered(requested())
    answers = [
        (TaskAccepted(task_id="h-1"), "TaskAcceptedNotice", "accepted"),
        (TaskStarted(task_id="h-1"), "TaskStartedNotice", "in-progress"),
        (TaskCompleted(task_id="h-1"), "TaskCompletedNotice", "completed"),
    ]
    for answer, notice, status in answers:
        assert step(s, lambda: s.report(OWNER, answer)) == [(OWNER, notice, status), (REQUESTER, notice, status)]


def test_declined_overdue_and_escalated_are_told_too_with_their_details() -> None:
    s = delivered(requested("h-1"), requested("h-2"))
    assert step(s, lambda: s.report(OWNER, TaskDeclined(task_id="h-2", reason="not our area"))) == [
        (OWNER, "TaskDeclinedNotice", "rejected"), (REQUESTER, "TaskDeclinedNotice", "rejected"),
    ]
    before = s.case
    day = s.day(DUE + timedelta(days=1))
    told = task_messages(before, day)
    assert [(org, m.event_type) for org, m in told] == [
        (OWNER, "TaskOverdueNotice"), (REQUESTER, "TaskOverdueNotice"),
        (OWNER, "TaskEscalatedNotice"), (REQUESTER, "TaskEscalatedNotice"),
    ]
    escalated = told[2][1].data
    assert (escalated["step"], escalated["escalated_to"], escalated["overdue_since"]) == (
        "own-coordinator", OWNER, (DUE + timedelta(days=1)).isoformat())
    assert len({m.id for _, m in told}) == 4, "one id per change and recipient"
    assert [m.id for _, m in task_messages(before, day)] == [m.id for _, m in told], "the same again: the same ids"


def test_an_escalation_resolving_itself_is_told_to_its_owner_and_the_coordinator() -> None:
    s = delivered(requested())
    for event in s.day(DUE + timedelta(days=1)):
        if event.event_type == "HandoffRequested":
            s.react(event)
    told = step(s, lambda: s.report(OWNER, TaskAccepted(task_id="h-1")))
    assert told == [
        (OWNER, "TaskAcceptedNotice", "accepted"), (REQUESTER, "TaskAcceptedNotice", "accepted"),
        (OWNER, "TaskCompletedNotice", "completed"), ("regie-gm0855", "TaskCompletedNotice", "completed"),
    ]


def test_a_task_whose_owner_is_its_requester_is_told_once() -> None:
    same = derive(
        HandoffRequested(handoff_id="h-9", kind="support-gap", requester="regie-gm0855", owner="regie-gm0855", due=DUE,
                         municipality="GM0855"), CAUSE, "rule-h-9", "guardianship")
    s = delivered(same)
    assert step(s, lambda: s.report("regie-gm0855", TaskAccepted(task_id="h-9"))) == [
        ("regie-gm0855", "TaskAcceptedNotice", "accepted")]


def target(**subscription) -> WebhookTarget:
    channel = WebhookChannel(type="webhook", url="https://hooks.example/x", secret_env="X_SECRET", **subscription)
    return WebhookTarget("nidos", channel, (b"k" * 32,))


def test_a_webhook_subscription_chooses_its_changes_and_roles() -> None:
    s = delivered(requested())
    before = s.case
    [(_, to_owner), (_, to_requester)] = task_messages(before, s.report(OWNER, TaskAccepted(task_id="h-1")))
    everything, opened_only, as_owner = target(), target(changes=("opened",)), target(roles=("owner",))
    assert subscribed((everything, opened_only, as_owner), to_requester, REQUESTER) == (everything,)
    assert subscribed((everything, opened_only, as_owner), to_owner, OWNER) == (everything, as_owner)
