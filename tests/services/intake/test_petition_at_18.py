"""Issue 15, point 8 and §2.3 (guardianship lasts "tot ze 18 jaar worden"): no court-petition task for a
young person who is 18 or older when it would fall due, and a task never due on or after the birthday."""

from datetime import date, timedelta

from services.runtime.rulesettings import DEFAULTS
from tests.services.intake.test_rules import APPROVED, ARRIVED, FILED, PERMIT, story
from tests.support.domain import data

EXPECTED = ARRIVED.arrival_date + timedelta(weeks=DEFAULTS.petition_expected_within_weeks)  # 2026-12-14


def born(on: date):
    return story(("nidos", PERMIT.model_copy(update={"date_of_birth": on})), ("nidos", FILED), ("ind", APPROVED),
                 ("coa", ARRIVED))


def test_a_young_person_already_18_when_the_petition_is_expected_gets_no_task() -> None:
    s = born(EXPECTED.replace(year=EXPECTED.year - 18) - timedelta(days=1))  # 18 the day before
    assert data(s.days(ARRIVED.arrival_date, EXPECTED + timedelta(weeks=8)), "HandoffRequested") == []


def test_turning_18_before_the_usual_due_date_brings_the_due_date_before_the_birthday() -> None:
    adult_on = EXPECTED + timedelta(days=5)
    s = born(adult_on.replace(year=adult_on.year - 18))
    [task] = data(s.days(ARRIVED.arrival_date, EXPECTED + timedelta(weeks=8)), "HandoffRequested")
    assert (task.kind, task.due) == ("petition-guardianship-transfer", adult_on - timedelta(days=1))


def test_a_young_person_who_is_still_young_gets_the_usual_due_date() -> None:
    [task] = data(born(date(2010, 5, 17)).days(ARRIVED.arrival_date, EXPECTED), "HandoffRequested")
    assert task.due == EXPECTED + timedelta(weeks=DEFAULTS.petition_task_lead_weeks)
