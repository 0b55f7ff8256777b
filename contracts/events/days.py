"""Time as an event: a day started (contracts/clock.py says which day a clock message starts)."""

from datetime import date
from typing import ClassVar

from contracts.events.base import DomainEvent

class DayStarted(DomainEvent):
    """A day started (published on amv.clock.day). Every deadline is evaluated when a day starts."""

    service: ClassVar[str] = "clock"

    date: date
