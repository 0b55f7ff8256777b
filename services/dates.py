"""Calendar arithmetic the rules share. Month ends and 29 February are where it goes wrong, so it
lives in one place with its own tests (tests/services/test_dates.py)."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months; the day of month is clamped to the target month's
    length (31 January + 1 month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def birthday(date_of_birth: date, age: int) -> date:
    """The day someone born on `date_of_birth` turns `age`. Born on 29 February: in a year
    without one, the birthday is 1 March (Dutch civil law counts the age reached the day after 28 February)."""
    year = date_of_birth.year + age
    if date_of_birth.month == 2 and date_of_birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date_of_birth.replace(year=year)
