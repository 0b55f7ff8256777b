"""Time as an event: which day a message on amv.clock.day starts.

Operators, tests and demos publish `{"date": "2026-03-01"}` (or a CloudEvent whose data has a
date), so a year of a case runs in seconds and a replay gives the same result. In production a
JetStream schedule publishes a fixed body every midnight; then the day is the stored message's
timestamp in Europe/Amsterdam.
"""

import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from contracts.rejections import Rejection

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


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
