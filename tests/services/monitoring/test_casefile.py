"""The case file: which events count on a day (recorded, in effect, not before the cause), in Amsterdam time."""

from datetime import UTC, date, datetime

from contracts.envelope import CloudEvent
from contracts.events import ApplicationFiled, ResidencePermitGranted, report
from services.monitoring.casefile import case_file, in_effect, recorded_on

CASE = "case-file01"
PERMIT = ResidencePermitGranted(date_of_birth=date(2010, 1, 1), municipality="GM0855", permit_date=date(2026, 1, 5))


def reported(event, event_id: str, at: datetime) -> CloudEvent:
    return report(event, CASE, "nidos", event_id, at)


def test_the_recorded_day_is_the_day_in_amsterdam() -> None:
    late_evening_utc = reported(PERMIT, "p1", datetime(2026, 6, 30, 22, 30, tzinfo=UTC))  # 00:30 on 1 July there
    assert recorded_on(late_evening_utc) == date(2026, 7, 1)


def test_an_event_counts_from_the_later_of_recorded_and_in_effect() -> None:
    early = reported(PERMIT, "p1", datetime(2026, 1, 2, 9, tzinfo=UTC))  # reported before the permit date
    late = reported(ApplicationFiled(filed_on=date(2026, 2, 1)), "f1", datetime(2026, 3, 1, 9, tzinfo=UTC))
    assert [day for _, day in in_effect([early, late])] == [date(2026, 1, 5), date(2026, 3, 1)]


def test_a_derived_event_counts_no_earlier_than_its_cause() -> None:
    cause = reported(ApplicationFiled(filed_on=date(2026, 2, 10)), "f1", datetime(2026, 2, 1, 9, tzinfo=UTC))
    derived = cause.model_copy(update={"id": "d1", "causationid": "f1", "type": "nl.warmeoverdracht.Whatever.v1", "data": {}})
    assert [day for _, day in in_effect([cause, derived])] == [date(2026, 2, 10), date(2026, 2, 10)]


def test_the_case_file_as_of_a_day_holds_only_what_counted_by_then() -> None:
    events = [
        reported(PERMIT, "p1", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        reported(ApplicationFiled(filed_on=date(2026, 2, 1)), "f1", datetime(2026, 2, 1, 9, tzinfo=UTC)),
    ]
    assert case_file(CASE, events, date(2026, 1, 31)).filed is None
    assert case_file(CASE, events, date(2026, 2, 1)).filed == ApplicationFiled(filed_on=date(2026, 2, 1))
    assert not case_file(CASE, events, date(2026, 1, 4)).exists


def test_event_types_it_does_not_know_are_skipped() -> None:
    unknown = reported(PERMIT, "p1", datetime(2026, 1, 5, 9, tzinfo=UTC)).model_copy(
        update={"id": "x1", "type": "nl.warmeoverdracht.SomethingNewer.v1", "data": {"anything": 1}}
    )
    assert case_file(CASE, [unknown], date(2027, 1, 1)).permit is None


def test_an_event_whose_data_breaks_its_contract_is_skipped() -> None:
    broken = reported(PERMIT, "p1", datetime(2026, 1, 5, 9, tzinfo=UTC)).model_copy(update={"data": {"n": 1}})
    assert case_file(CASE, [broken], date(2027, 1, 1)).permit is None
