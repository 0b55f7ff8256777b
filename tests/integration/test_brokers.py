"""Both ways the test fixture obtains a real nats-server work: the container and the binary."""

import nats
import pytest

from tests.support.brokers import binary_nats, container_nats, docker_engine_answers

pytestmark = pytest.mark.integration


async def _jetstream_round_trip(url: str) -> int:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="FIXTURE_CHECK", subjects=["fixture.check"])
        ack = await js.publish("fixture.check", b"hello")
        msg = await js.get_msg("FIXTURE_CHECK", ack.seq)
        assert msg.data == b"hello"
        return ack.seq
    finally:
        await nc.close()


async def test_the_binary_path_serves_jetstream() -> None:
    with binary_nats() as url:
        assert await _jetstream_round_trip(url) == 1


async def test_the_container_path_serves_jetstream() -> None:
    # Our machines and CI run a Docker engine: without one this path is untested, which must show.
    assert docker_engine_answers(), "no Docker engine answers: the broker fixture's container path cannot be tested"
    with container_nats() as url:
        assert await _jetstream_round_trip(url) == 1
