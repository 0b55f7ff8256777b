"""Nothing is lost or doubled while the NATS server itself is killed with SIGKILL and started again
on the same port and file store, under a load of whole cases. Partners re-publish until JetStream
acknowledges (the same CloudEvent id, so a report that was stored after all counts once); the
services reconnect by themselves."""

import asyncio
import random

import pytest

from services.runtime.natsserver import EmbeddedNats, free_port
from tests.faults.harness import assert_nothing_lost_or_doubled, under_load

pytestmark = pytest.mark.integration
CASES = 300  # x 5 reports = 1,500 partner events
CRASHES = 3


async def crash_server(server: EmbeddedNats, rng: random.Random) -> None:
    """SIGKILL the server while the load runs, then start it on the same port and store."""
    for _ in range(CRASHES):
        await asyncio.sleep(rng.uniform(2.0, 4.0))
        server.kill()
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        await asyncio.to_thread(server.start)


async def test_killing_the_nats_server_mid_load_loses_and_doubles_nothing(tmp_path) -> None:
    rng = random.Random()
    server = EmbeddedNats(tmp_path / "store", port=free_port()).start()
    try:
        async with under_load(server.url, tmp_path / "logs", CASES) as trial:
            await trial.survive(crash_server(server, rng), chaos_within_s=30)  # raises unless all CRASHES ran

            assert trial.procs.dead() == [], {name: trial.procs.tail(name) for name in trial.procs.dead()}
            await assert_nothing_lost_or_doubled(trial.nc, trial.cases)
    finally:
        server.stop()
