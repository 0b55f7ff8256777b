import asyncio
import threading

import nats
import nats.js.errors
import pytest

from services.runtime.streams import CLOCK_STREAM
from tests.support.brokers import any_nats


@pytest.fixture(scope="session")
def broker_url():
    """The one real NATS server of the test session (see tests/support/brokers.py)."""
    with any_nats() as (kind, url):
        print(f"\nNATS for this session: {kind} at {url}")
        yield url


async def _purge_clock(url: str) -> None:
    nc = await nats.connect(url)
    try:
        await nc.jetstream().purge_stream(CLOCK_STREAM)
    except nats.js.errors.NotFoundError:
        pass  # no service has provisioned the streams yet
    finally:
        await nc.close()


@pytest.fixture(autouse=True)
def no_day_started_yet(request):
    """Days only move forward (contracts/clock.py), while each test picks its own days, earlier or
    later than the test before: every test that uses the session's NATS starts with no day started.
    Only tests reset time like this (AMV_CLOCK purged; a service reads the clock afresh then).
    Run in a thread of its own, away from the tests' event loops."""
    if "broker_url" in request.fixturenames:
        url = request.getfixturevalue("broker_url")
        failed: list[BaseException] = []
        thread = threading.Thread(target=lambda: _run(_purge_clock(url), failed))
        thread.start()
        thread.join(30)
        if failed:
            raise failed[0]
    yield


def _run(work, failed: list[BaseException]) -> None:
    try:
        asyncio.run(work)
    except BaseException as exc:  # noqa: BLE001 - handed to the fixture
        failed.append(exc)
