from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.dates import add_months, birthday


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 10, 15), 3) == date(2027, 1, 15)


def test_birthdays_on_29_february() -> None:
    assert birthday(date(2008, 2, 29), 18) == date(2026, 3, 1)
    assert birthday(date(2010, 2, 28), 18) == date(2028, 2, 28)
    assert birthday(date(2012, 2, 29), 16) == date(2028, 2, 29)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 36))
def test_add_months_lands_in_the_right_month_never_past_its_end(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day
    assert (result + timedelta(days=1)).month != result.month or result.day == day.day


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31)), st.integers(1, 30))
def test_a_birthday_is_the_same_day_of_the_year_or_1_march(born: date, age: int) -> None:
    result = birthday(born, age)
    assert result.year == born.year + age
    assert (result.month, result.day) == (born.month, born.day) or (born.month, born.day, result.month, result.day) == (
        2,
        29,
        3,
        1,
    )
