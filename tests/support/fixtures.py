"""Fixtures that end-to-end test modules share; a module imports the ones it uses by name
(`from tests.support.fixtures import nc, system  # noqa: F401`), so each module still gets its own."""

import nats
import pytest

from tests.support.system import RunningSystem


@pytest.fixture(scope="module")
async def system(broker_url):
    """The four services against the session's NATS, once per test module (ack wait 2 s)."""
    running = await RunningSystem(broker_url, ack_wait_s=2.0).start()
    yield running
    await running.stop()


@pytest.fixture
async def nc(broker_url):
    """A NATS client of the test's own."""
    client = await nats.connect(broker_url)
    yield client
    await client.close()
