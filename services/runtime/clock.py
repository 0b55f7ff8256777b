"""The clock on NATS: the schedule that starts a day every midnight, the last day started, and
catching up the days missed while the system was down.

- **One schedule**, a JetStream message schedule stored on amv.clock.schedule.day in AMV_CLOCK
  (`Nats-Schedule: 0 0 0 * * *`, `Nats-Schedule-Time-Zone: Europe/Amsterdam`,
  `Nats-Schedule-Target: amv.clock.day`). `provision_schedule` writes it only when it is missing
  or differs; a schedule is one message per subject (NATS replaces the previous one), so however
  often it is provisioned there is one. The message it produces is stored in AMV_CLOCK and has a
  fixed, empty body: its day is its timestamp in Europe/Amsterdam (contracts/clock.py).
- **The last day started** is the latest day stored on amv.clock.day (`current_day`); for a
  service deciding a clock message, the latest one stored before it (`DayHistory`).
- **Catch-up** (`catch_up`): the days after the last day started up to today, published in order,
  each once (`Nats-Msg-Id: day-<date>`). `make run` (services/runtime/supervisor.py) and the
  compose step `clock` (`python -m services.runtime.clock`) run `start_clock` at every start.

Only the operator's login (`ops`) may publish on amv.clock.>; services only read AMV_CLOCK.
`python -m services.runtime.clock` reads NATS_URL, NATS_USER and NATS_PASSWORD(_FILE) (the ops
login), WO_CLOCK_SCHEDULE, WO_STREAM_REPLICAS, WO_DUPLICATE_WINDOW_S, WO_PUBLISH_ACK_TIMEOUT_S and
LOG_LEVEL.
"""

import argparse
import asyncio
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime

import nats
import nats.js.errors
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from contracts import subjects
from contracts.clock import (
    HEADER_NEXT,
    HEADER_SCHEDULE,
    HEADER_SCHEDULER,
    HEADER_TARGET,
    HEADER_TIME_ZONE,
    SCHEDULE,
    TIME_ZONE,
    day_of,
    latest,
    missed_days,
    next_midnight,
    today,
)
from services.runtime.directget import StoredMessage, read_messages
from services.runtime.logging import configure_logging
from services.runtime.settings import Settings
from services.runtime.streams import CLOCK_STREAM

log = structlog.get_logger()
HEADER_TIMESTAMP = "Nats-Time-Stamp"  # a direct get's answer: when the message was stored (RFC 3339)
_TIMESTAMP = re.compile(r"(.+?T[\d:]+)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")


def schedule_headers(schedule: str = SCHEDULE) -> dict[str, str]:
    return {HEADER_SCHEDULE: schedule, HEADER_TARGET: subjects.CLOCK_DAY, HEADER_TIME_ZONE: TIME_ZONE}


def stored_at(headers: dict[str, str]) -> datetime:
    """The stored time of a message read by direct get (nanoseconds cut to microseconds)."""
    whole, fraction, zone = _TIMESTAMP.fullmatch(headers[HEADER_TIMESTAMP]).groups()
    micro = f".{(fraction or '')[:6].ljust(6, '0')}"
    return datetime.fromisoformat(whole + micro + ("+00:00" if zone == "Z" else zone))


def stored_day(msg: StoredMessage) -> date | None:
    day = day_of(msg.data, stored_at(msg.headers))
    return day if isinstance(day, date) else None


async def clock_messages(nc: NATS, from_seq: int = 1) -> list[StoredMessage]:
    """The messages on amv.clock.day from stream sequence `from_seq`, in order."""
    return await read_messages(nc, CLOCK_STREAM, subjects.CLOCK_DAY, from_seq=from_seq)


async def current_day(nc: NATS) -> date | None:
    """The last day started: the latest day stored on amv.clock.day (None: no day ever started)."""
    return latest(stored_day(msg) for msg in await clock_messages(nc))


class DayHistory:
    """A service's view of the days started before a clock message: the latest day stored on
    amv.clock.day before a stream sequence. Kept from one message to the next and read on from
    there; read again from the start when the messages it covers are gone (a test resetting the
    clock purges AMV_CLOCK)."""

    def __init__(self, nc: NATS) -> None:
        self.nc = nc
        self._upto = 0  # the stream sequence up to which `_last` is known
        self._last: date | None = None

    async def last_before(self, seq: int) -> date | None:
        info = await self.nc.jetstream(timeout=5).stream_info(CLOCK_STREAM)
        if self._upto and info.state.first_seq > self._upto:  # what it covered was purged or expired
            self._upto, self._last = 0, None
        if seq - 1 < self._upto:  # an earlier message again (a redelivery): read up to it afresh
            return latest(stored_day(m) for m in await clock_messages(self.nc) if m.seq < seq)
        found = [m for m in await clock_messages(self.nc, self._upto + 1) if m.seq < seq]
        self._last = latest([self._last, *(stored_day(m) for m in found)])
        self._upto = seq - 1
        return self._last


@dataclass(frozen=True)
class Schedule:
    """The clock's schedule as stored, and when it fires next (None: not known)."""

    schedule: str
    time_zone: str
    next_at: datetime | None


async def stored_schedule(js: JetStreamContext) -> dict[str, str] | None:
    """The headers of the schedule message on amv.clock.schedule.day (None: there is none)."""
    try:
        msg = await js.get_last_msg(CLOCK_STREAM, subjects.CLOCK_SCHEDULE)
    except nats.js.errors.NotFoundError:
        return None
    return dict(msg.headers or {})


async def schedule_state(nc: NATS, now: datetime) -> Schedule | None:
    """The schedule, and its next firing: from the last message it produced (`Nats-Schedule-Next`),
    else for the daily schedule the next midnight in Europe/Amsterdam."""
    headers = await stored_schedule(nc.jetstream(timeout=5))
    if headers is None:
        return None
    schedule = headers.get(HEADER_SCHEDULE, "")
    next_at = None
    fired = [m for m in await clock_messages(nc) if m.headers.get(HEADER_SCHEDULER) == subjects.CLOCK_SCHEDULE]
    if fired and HEADER_NEXT in fired[-1].headers:
        candidate = datetime.fromisoformat(fired[-1].headers[HEADER_NEXT].replace("Z", "+00:00"))
        next_at = candidate if candidate > now else None
    if next_at is None and schedule == SCHEDULE:
        next_at = next_midnight(now)
    return Schedule(schedule, headers.get(HEADER_TIME_ZONE, ""), next_at)


async def provision_schedule(js: JetStreamContext, schedule: str = SCHEDULE) -> bool:
    """The one schedule of the clock, written when missing or different (True: it was written).
    NATS keeps one schedule per subject: a second write replaces the first, never adds one."""
    wanted = schedule_headers(schedule)
    stored = await stored_schedule(js)
    if stored is not None and all(stored.get(k) == v for k, v in wanted.items()):
        return False
    await js.publish(subjects.CLOCK_SCHEDULE, b"", headers=wanted)
    return True


async def catch_up(nc: NATS, now: datetime) -> list[date]:
    """Publish, in order, every day after the last day started up to today (Europe/Amsterdam)
    that the schedule missed while the system was down; each once (`Nats-Msg-Id: day-<date>`).
    Nothing when no day was ever started: a new system starts with the next midnight."""
    missed = missed_days(await current_day(nc), today(now))
    js = nc.jetstream(timeout=5)
    for day in missed:
        body = f'{{"date": "{day.isoformat()}"}}'.encode()
        await js.publish(subjects.CLOCK_DAY, body, headers={"Nats-Msg-Id": f"day-{day.isoformat()}"})
    return missed


async def start_clock(nc: NATS, schedule: str, now: datetime | None = None) -> tuple[bool, list[date]]:
    """Provision the schedule and catch up the missed days: (schedule written, days published).
    The streams must exist (services/provisioning.py)."""
    written = await provision_schedule(nc.jetstream(timeout=5), schedule)
    caught_up = await catch_up(nc, now or datetime.now(UTC))
    log.info("clock started", schedule=schedule, time_zone=TIME_ZONE, schedule_written=written,
             caught_up=[d.isoformat() for d in caught_up])
    return written, caught_up


async def _start(settings: Settings) -> None:
    nc = await nats.connect(settings.nats_url.split(","), connect_timeout=5, max_reconnect_attempts=10,
                            **settings.nats_login())
    try:  # the streams are the provisioner's (compose's `provision` step runs first)
        await start_clock(nc, settings.clock_schedule)
    finally:
        await nc.close()


def main(argv: list[str] | None = None) -> int:
    """The compose step `clock`: provision the schedule (the streams exist), catch up, exit."""
    help_only = argparse.ArgumentParser(prog="python -m services.runtime.clock", description=__doc__,
                                        formatter_class=argparse.RawDescriptionHelpFormatter)
    help_only.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    asyncio.run(_start(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
