"""Time as an event: which day a message on amv.clock.day starts, and whether it may start.

Operators, tests and demos publish `{"date": "2026-03-01"}` (or a CloudEvent whose data has a
date), so a year of a case runs in seconds and a replay gives the same result. In production a
JetStream message schedule (`SCHEDULE`, in `TIME_ZONE`) publishes a fixed body every midnight;
then the day is the stored message's timestamp in Europe/Amsterdam.

Days only move forward: a day that is not after the last one started is refused (`refusal`),
so no service decides a day twice or goes back in time. The last day started is the latest
day of the messages stored before it, so every service, the operator's tools and a replay
agree on it. After downtime the missed days are started one by one, in order (`missed_days`).
"""

import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contracts.rejections import Rejection

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TIME_ZONE = "Europe/Amsterdam"
SCHEDULE = "0 0 0 * * *"  # seconds minutes hours day-of-month month day-of-week: every midnight
# Headers of a JetStream message schedule (nats-server >= 2.14), and of the message it produces.
HEADER_SCHEDULE = "Nats-Schedule"
HEADER_TARGET = "Nats-Schedule-Target"
HEADER_TIME_ZONE = "Nats-Schedule-Time-Zone"
HEADER_SCHEDULER = "Nats-Scheduler"  # on a produced message: the subject of the schedule that made it
HEADER_NEXT = "Nats-Schedule-Next"  # on a produced message: when the schedule fires next
MAX_CATCH_UP_DAYS = 400  # a longer gap is an operator's decision (`overdracht day`), not a start-up's


def day_of(body: bytes, stored_at: datetime) -> date | Rejection:
    try:
        raw = json.loads(body) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        raw = {}
    if isinstance(raw, dict) and isinstance(raw.get("data"), dict):
        raw = raw["data"]
    if isinstance(raw, dict) and "date" in raw:
        try:
            return date.fromisoformat(str(raw["date"]))
        except ValueError:
            return Rejection("data-invalid", f"field 'date': '{raw['date']}' is not a date (YYYY-MM-DD)", "date")
    return stored_at.astimezone(AMSTERDAM).date()


def start_of(day: date) -> datetime:
    """Midnight at the start of `day` in Europe/Amsterdam: the time of events a day derives."""
    return datetime.combine(day, time.min, tzinfo=AMSTERDAM)


def today(now: datetime) -> date:
    """The calendar day in Europe/Amsterdam at `now` (only the clock's publishers ask this)."""
    return now.astimezone(AMSTERDAM).date()


def latest(days: Iterable[date | Rejection | None]) -> date | None:
    """The last day started among these days as stored, in order: the latest valid one (a day
    that was refused is never after it, so refused days do not change it)."""
    valid = [day for day in days if isinstance(day, date)]
    return max(valid, default=None)


def refusal(last: date | None, day: date) -> str | None:
    """Why `day` may not start after `last` (a reason for logs and operators, not a partner's
    rejection code), or None when it may: days only move forward."""
    if last is not None and day <= last:
        return (f"day {day.isoformat()} is not after the last day started, {last.isoformat()}: "
                "a day starts once, and days start in order")
    return None


def missed_days(last: date | None, today: date) -> list[date]:
    """The days after `last` up to and including `today`, in order: what a clock that was down
    must still start. None when no day was ever started (nothing was missed) or more than
    MAX_CATCH_UP_DAYS (a stray far-past date: left to an operator)."""
    if last is None or last >= today or (today - last).days > MAX_CATCH_UP_DAYS:
        return []
    return [last + timedelta(days=n) for n in range(1, (today - last).days + 1)]


def days_to_decide(last: date | None, day: date, scheduled: bool) -> list[date]:
    """The days a service decides for a clock message starting `day` after `last`: none when it
    is refused; for a message of the schedule, every day missed since `last` first, in order
    (when NATS itself was down at midnight, the schedule fires once when it is back, with that
    day); for a day an operator, test or demo published, only that day (they choose the days)."""
    if refusal(last, day) is not None:
        return []
    if scheduled and last is not None:
        return missed_days(last, day) or [day]
    return [day]


def next_midnight(now: datetime) -> datetime:
    """When the daily schedule fires next after `now`: the next midnight in Europe/Amsterdam."""
    return start_of(today(now) + timedelta(days=1))
