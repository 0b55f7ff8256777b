"""§3.6, §4.3: every task notify delivers carries the family's language needs, flagged when an
interpreter or key person is needed and none is arranged."""

from datetime import date

from contracts.events import ApplicationFiled, LanguageNeeds, LanguageNeedsReported, ResidencePermitGranted, data_of
from services.notify import state
from services.notify.rules import task_message
from tests.support.chain import Chain

PERMIT = ResidencePermitGranted(date_of_birth=date(2011, 5, 17), municipality="GM0855", permit_date=date(2026, 1, 10))


def delivered_tasks(chain: Chain) -> dict[str, object]:
    """kind -> the TaskOpened its owner received."""
    return {
        data_of(e).kind: data_of(task_message(e)) for e in chain.events if e.event_type == "HandoffNotified"
    }


def filed_with(needs: LanguageNeedsReported | None) -> Chain:
    c = Chain("case-lang02")
    c.report(date(2026, 1, 10), "nidos", PERMIT)
    if needs is not None:
        c.report(date(2026, 1, 12), "nidos", needs)
    c.report(date(2026, 2, 1), "nidos", ApplicationFiled(filed_on=date(2026, 2, 1)))
    return c


def test_a_task_carries_the_needs_and_the_flag_when_nothing_is_arranged() -> None:
    needs = LanguageNeedsReported(languages=("ti",), interpreter_needed=True, key_person_needed=True, key_person_arranged=True)
    tasks = delivered_tasks(filed_with(needs))
    assert set(tasks) == {"plan-transition-meeting", "plan-family-housing"}
    for task in tasks.values():
        assert task.language == LanguageNeeds(languages=("ti",), interpreter_needed=True, key_person_needed=True,
                                              key_person_arranged=True)
        assert task.language_support_missing is True


def test_arranged_needs_travel_unflagged_and_no_report_means_no_language() -> None:
    arranged = LanguageNeedsReported(languages=("ar",), interpreter_needed=True, interpreter_arranged=True)
    for task in delivered_tasks(filed_with(arranged)).values():
        assert (task.language.languages, task.language_support_missing) == (("ar",), False)
    for task in delivered_tasks(filed_with(None)).values():
        assert (task.language, task.language_support_missing) == (None, False)


def test_notify_keeps_the_latest_report() -> None:
    c = filed_with(LanguageNeedsReported(languages=("ti",), interpreter_needed=True))
    c.report(date(2026, 2, 3), "vwn-gm0855", LanguageNeedsReported(languages=("ti",), interpreter_needed=True,
                                                                    interpreter_arranged=True))
    assert state.empty("case-lang02").language is None
    assert c.case("notify").language.interpreter_arranged is True
