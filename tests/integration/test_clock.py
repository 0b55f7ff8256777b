"""The clock on a real nats-server: the one schedule fires by itself, a clock that was down catches
up the missed days in order, and the services refuse a day not after the last one."""

import asyncio
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import nats
import pytest

from contracts import subjects
from contracts.clock import HEADER_SCHEDULER, today
from ops.quiesce import wait_until_idle
from services.runtime import provision
from services.runtime.clock import catch_up, clock_messages, current_day, provision_schedule, start_clock, stored_day
from services.runtime.natsserver import EmbeddedNats
from services.runtime.streams import CLOCK_STREAM
from tests.support.fixtures import nc, system  # noqa: F401 - fixtures
from tests.support.partner import case_events, eventually, new_case_id, report, start_day

pytestmark = pytest.mark.integration
EVERY_TWO_SECONDS = "*/2 * * * * *"  # nats-server 2.15 takes cron with seconds; "@every 2s" it refuses with a time zone


@pytest.fixture
async def own_nats():
    """A server of this test's own: a schedule must not fire into the session's."""
    with tempfile.TemporaryDirectory(prefix="wo-clock-") as store, EmbeddedNats(Path(store)) as server:
        client = await nats.connect(server.url)
        await provision.provision_streams(client.jetstream())
        yield client
        await client.close()


async def schedules(client) -> dict[str, int]:
    info = await client.jetstream().stream_info(CLOCK_STREAM, subjects_filter=f"{subjects.CLOCK_PREFIX}.schedule.>")
    return dict(info.state.subjects or {})


async def test_the_one_schedule_fires_by_itself_however_often_it_is_provisioned(own_nats) -> None:
    assert await provision_schedule(own_nats.jetstream(), EVERY_TWO_SECONDS) is True
    assert await provision_schedule(own_nats.jetstream(), EVERY_TWO_SECONDS) is False  # there already
    assert await schedules(own_nats) == {subjects.CLOCK_SCHEDULE: 1}

    async def fired() -> bool:
        return any(m.headers.get(HEADER_SCHEDULER) == subjects.CLOCK_SCHEDULE for m in await clock_messages(own_nats))

    await eventually(fired, 10, "the schedule to publish on amv.clock.day")
    [first, *_] = await clock_messages(own_nats)
    assert stored_day(first) == today(datetime.now(UTC))  # a fixed body: the day is when it was stored
    assert await current_day(own_nats) == today(datetime.now(UTC))

    # changed (the daily one): written again, and still one schedule
    assert await provision_schedule(own_nats.jetstream()) is True
    assert await schedules(own_nats) == {subjects.CLOCK_SCHEDULE: 1}


async def test_a_clock_that_was_down_publishes_each_missed_day_in_order_once(own_nats) -> None:
    now = datetime.now(UTC)
    assert await catch_up(own_nats, now) == []  # no day ever started: nothing was missed
    await start_day(own_nats, today(now) - timedelta(days=3))
    written, missed = await start_clock(own_nats, "0 0 0 * * *", now)
    assert written and missed == [today(now) - timedelta(days=n) for n in (2, 1, 0)]
    assert [stored_day(m) for m in await clock_messages(own_nats)] == [today(now) - timedelta(days=n) for n in (3, 2, 1, 0)]
    assert await start_clock(own_nats, "0 0 0 * * *", now) == (False, [])  # started again: nothing twice


async def test_the_services_refuse_a_day_not_after_the_last_one(system, nc) -> None:
    late, refused_then_later = new_case_id(), new_case_id()
    permit = {"date_of_birth": "2012-05-01", "municipality": "GM0855", "permit_date": "2026-01-05"}
    await report(nc, "nidos", "ResidencePermitGranted", late, permit)
    await start_day(nc, date(2026, 4, 10))  # the filing deadline of 2026-01-05's permit has passed
    await wait_until_idle(nc)
    assert await missed_filing(nc, late)

    await report(nc, "nidos", "ResidencePermitGranted", refused_then_later, permit)
    for earlier in (date(2026, 4, 10), date(2026, 4, 7)):  # the same day again, and an earlier one
        await start_day(nc, earlier)
        await wait_until_idle(nc)
    await asyncio.sleep(0.5)
    assert not await missed_filing(nc, refused_then_later), "a refused day was decided"
    assert await current_day(nc) == date(2026, 4, 10)  # the latest stored: refused days do not move it

    await start_day(nc, date(2026, 4, 11))
    await wait_until_idle(nc)
    assert await missed_filing(nc, refused_then_later)


async def missed_filing(nc, case_id: str) -> bool:
    return any(e["type"].endswith("FilingDeadlineMissed.v1") for e in await case_events(nc, case_id))


async def test_the_demo_plays_on_a_system_of_its_own_when_the_clock_is_past_its_first_day(own_nats) -> None:
    from ops.demo import clock_ahead_of

    assert await clock_ahead_of(own_nats, date(2026, 1, 5)) is None  # no day started yet
    await start_day(own_nats, date(2026, 4, 10))
    assert "not after the last day started, 2026-04-10" in await clock_ahead_of(own_nats, date(2026, 1, 5))
    assert await clock_ahead_of(own_nats, date(2026, 4, 11)) is None
