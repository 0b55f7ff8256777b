"""Issue 15, point 8 and §2.3 ("AMV krijgen een voogd toegewezen tot ze 18 jaar worden"): at 18 there
is no guardianship left to transfer, so notify closes an open court-petition task with that reason;
other tasks, and tasks already closed, stay as they are."""

from datetime import date

from contracts.events import HandoffCancelled, TaskAccepted, TaskDeclined, Turned18, derive
from services.notify.rules import react
from tests.services.notify.test_rules import CAUSE, delivered, requested
from tests.support.domain import DIRECTORY, data

BIRTHDAY = date(2027, 8, 20)
TURNED_18 = derive(Turned18(birthday=BIRTHDAY), CAUSE, "turned-18", "guardianship")


def petition(handoff_id: str = "p-1"):
    return requested(handoff_id, owner="nidos", kind="petition-guardianship-transfer")


def test_an_open_petition_task_is_closed_at_18_with_the_reason() -> None:
    s = delivered(petition(), requested("h-2"))
    s.report("nidos", TaskAccepted(task_id="p-1"), "a1")
    s.store([TURNED_18])
    closed = s.react(TURNED_18)
    [cancelled] = data(closed, "HandoffCancelled")
    assert cancelled == HandoffCancelled(
        handoff_id="p-1", cancelled_by="nidos",
        reason="the young person turned 18 on 2027-08-20: guardianship ended, nothing left to transfer",
    )
    assert closed[0].causationid == TURNED_18.id
    assert {t.task_id: t.status for t in s.case.tasks.values()} == {"p-1": "cancelled", "h-2": "requested"}
    assert s.react(TURNED_18) == []  # redelivered: closed already


def test_a_petition_task_already_closed_or_none_at_all_stays_as_it_is() -> None:
    s = delivered(petition())
    s.report("nidos", TaskDeclined(task_id="p-1", reason="petition filed on paper"), "d1")
    assert react(s.case, TURNED_18, DIRECTORY) == []
    assert react(delivered(requested()).case, TURNED_18, DIRECTORY) == []
