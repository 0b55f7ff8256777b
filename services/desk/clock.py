"""The desk's "today": the day of the last `DayStarted` on amv.clock.day (time is an event, see
contracts/clock.py); the calendar date only while no day has ever started."""

from datetime import UTC, date, datetime
from typing import Literal

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from contracts import subjects
from contracts.clock import day_of


class LatestDay:
    """The day of the last `DayStarted` on amv.clock.day, kept current by an ordered consumer that
    starts at the last stored day (a scheduled day is seen only by JetStream consumers)."""

    def __init__(self) -> None:
        self.day: date | None = None
        self._subscription = None

    async def start(self, nc: NATS) -> None:
        self._subscription = await nc.jetstream().subscribe(
            subjects.CLOCK_DAY, ordered_consumer=True, deliver_policy=DeliverPolicy.LAST_PER_SUBJECT, cb=self._on_msg
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    async def _on_msg(self, msg: Msg) -> None:
        day = day_of(msg.data, msg.metadata.timestamp)
        if isinstance(day, date):
            self.day = day

    def today(self) -> tuple[date, Literal["clock", "wall-clock"]]:
        """The day for display: the last day started; the calendar date only while no day ever started."""
        if self.day is not None:
            return self.day, "clock"
        return datetime.now(UTC).date(), "wall-clock"
