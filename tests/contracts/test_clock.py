"""Days only move forward, and a clock that was down catches up day by day (contracts/clock.py)."""

from datetime import UTC, date, datetime

from contracts.clock import day_of, days_to_decide, latest, missed_days, next_midnight, refusal, today

d = date.fromisoformat


def test_the_schedules_fixed_body_starts_the_day_it_was_stored_on_in_amsterdam() -> None:
    just_after_midnight = datetime(2026, 12, 6, 23, 0, 0, 5000, tzinfo=UTC)  # 00:00 in Amsterdam (CET)
    assert day_of(b"", just_after_midnight) == d("2026-12-07")
    assert day_of(b"{}", just_after_midnight) == d("2026-12-07")
    summer = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # 00:00 in Amsterdam (CEST)
    assert day_of(b"", summer) == d("2026-07-01")
    assert day_of(b'{"date": "2026-03-01"}', summer) == d("2026-03-01")  # an explicit date wins


def test_a_day_not_after_the_last_one_is_refused_with_a_reason() -> None:
    assert refusal(None, d("2026-03-01")) is None
    assert refusal(d("2026-03-01"), d("2026-03-02")) is None
    assert refusal(d("2026-03-01"), d("2026-03-01")) == (
        "day 2026-03-01 is not after the last day started, 2026-03-01: a day starts once, and days start in order")
    assert "not after" in refusal(d("2026-03-01"), d("2026-02-01"))
    assert days_to_decide(d("2026-03-01"), d("2026-03-01"), scheduled=True) == []


def test_the_last_day_started_is_the_latest_stored_so_refused_days_do_not_move_it() -> None:
    assert latest([]) is None
    assert latest([d("2026-03-01"), d("2026-03-05"), d("2026-03-02"), None]) == d("2026-03-05")


def test_missed_days_are_each_day_after_the_last_up_to_today_in_order() -> None:
    assert missed_days(d("2026-03-01"), d("2026-03-04")) == [d("2026-03-02"), d("2026-03-03"), d("2026-03-04")]
    assert missed_days(d("2026-03-04"), d("2026-03-04")) == []
    assert missed_days(None, d("2026-03-04")) == []  # a new system: nothing was missed
    assert missed_days(d("2027-01-01"), d("2026-03-04")) == []  # a demo ran ahead: nothing to catch up
    assert missed_days(d("2020-01-01"), d("2026-03-04")) == []  # years: an operator's decision


def test_the_schedules_day_after_a_gap_decides_the_missed_days_first_an_operators_day_only_itself() -> None:
    assert days_to_decide(d("2026-03-01"), d("2026-03-03"), scheduled=True) == [d("2026-03-02"), d("2026-03-03")]
    assert days_to_decide(d("2026-03-01"), d("2026-03-03"), scheduled=False) == [d("2026-03-03")]
    assert days_to_decide(None, d("2026-03-03"), scheduled=True) == [d("2026-03-03")]


def test_the_daily_schedule_fires_next_at_midnight_in_amsterdam() -> None:
    now = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    assert today(now) == d("2026-12-06")
    assert next_midnight(now).isoformat() == "2026-12-07T00:00:00+01:00"
    assert next_midnight(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)).isoformat() == "2026-12-08T00:00:00+01:00"
