"""Nothing is lost or doubled while the NATS server itself is killed with SIGKILL and started again
on the same port and file store, under a load of whole cases. Partners re-publish until JetStream
acknowledges (the same CloudEvent id, so a report that was stored after all counts once); the
services reconnect by themselves."""

import asyncio
import random

import pytest

from services.runtime.natsserver import EmbeddedNats, free_port
from tests.faults.harness import Load, Partner, ServiceProcesses, connect, examine, make_cases, settle

pytestmark = pytest.mark.integration
CASES = 300  # x 5 reports = 1,500 partner events
CRASHES = 3


async def crash_server(server: EmbeddedNats, load: Load, rng: random.Random, crashes: list[float]) -> None:
    """SIGKILL the server while the load runs, then start it on the same port and store."""
    for _ in range(CRASHES):
        await asyncio.sleep(rng.uniform(2.0, 4.0))
        server.kill()
        crashes.append(asyncio.get_running_loop().time())
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        await asyncio.to_thread(server.start)


async def test_killing_the_nats_server_mid_load_loses_and_doubles_nothing(tmp_path) -> None:
    rng = random.Random()
    server = EmbeddedNats(tmp_path / "store", port=free_port()).start()
    procs = ServiceProcesses(server.url, tmp_path / "logs")
    nc = chaos = None
    crashes: list[float] = []
    try:
        procs.start()
        await procs.wait_started()
        nc = await connect(server.url)
        cases = make_cases(CASES)
        load = Load(Partner(nc), cases)
        chaos = asyncio.create_task(crash_server(server, load, rng, crashes))
        await asyncio.wait_for(asyncio.gather(load.publish_reports(), load.accept_tasks(nc, timeout_s=150)), 180)
        await asyncio.wait_for(chaos, 30)
        await settle(nc, cases, timeout_s=90)

        assert len(crashes) == CRASHES
        assert procs.dead() == [], {name: procs.tail(name) for name in procs.dead()}
        found = await examine(nc, cases)
        assert found.problems == []
        assert found.events == 9 * len(cases)
        assert found.tasks == 2 * len(cases)
    finally:
        if chaos is not None:
            chaos.cancel()
        if nc is not None:
            await nc.close()
        procs.stop()
        server.stop()
