"""Nothing is lost or doubled while each service in turn is killed with SIGKILL and restarted
under a load of whole cases: the services run as real processes (`python -m services.<name>`)."""

import asyncio
import random

import pytest

from services.runtime.natsserver import EmbeddedNats
from tests.faults.harness import SERVICES, Load, Partner, ServiceProcesses, connect, examine, make_cases, settle

pytestmark = pytest.mark.integration
CASES = 400  # x 5 reports (permit, guardian, school, filing, acceptance) = 2,000 partner events


async def crash_in_turn(procs: ServiceProcesses, load: Load, rng: random.Random) -> None:
    """Kill each service in turn, mid-load, start it again and wait until it runs, until the load
    is done and every service was killed at least once."""
    rounds = 0
    while rounds < 1 or not (load.reports_done and len(load.accepted) == len(load.cases)):
        for name in SERVICES:
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            procs.kill(name)
            procs.start(name)
            await procs.wait_started(name, timeout_s=60)
        rounds += 1


async def test_killing_each_service_mid_load_loses_and_doubles_nothing(tmp_path) -> None:
    rng = random.Random()
    server = EmbeddedNats(tmp_path / "store").start()
    procs = ServiceProcesses(server.url, tmp_path / "logs")
    nc = chaos = None
    try:
        procs.start()
        await procs.wait_started()
        nc = await connect(server.url)
        cases = make_cases(CASES)
        load = Load(Partner(nc), cases)
        chaos = asyncio.create_task(crash_in_turn(procs, load, rng))
        await asyncio.wait_for(asyncio.gather(load.publish_reports(), load.accept_tasks(nc, timeout_s=150)), 180)
        await asyncio.wait_for(chaos, 30)
        procs.start()  # whatever was killed last runs again
        await settle(nc, cases, timeout_s=90)

        assert all(procs.kills[name] >= 1 for name in SERVICES), procs.kills
        assert procs.dead() == []
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
