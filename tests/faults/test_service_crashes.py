"""Nothing is lost or doubled while each service in turn is killed with SIGKILL and restarted
under a load of whole cases: the services run as real processes (`python -m services.<name>`)."""

import asyncio

import pytest

from services.runtime.natsserver import EmbeddedNats
from services.bootstrap import consumers
from tests.faults.harness import SERVICES, Load, ServiceProcesses, assert_nothing_lost_or_doubled, under_load

pytestmark = pytest.mark.integration
CASES = 400  # x 5 reports (permit, guardian, school, filing, acceptance) = 2,000 partner events


async def outstanding(nc, service: str) -> int:
    """Messages the service's durable consumers still have to read or acknowledge."""
    total = 0
    for spec in consumers():
        if spec.service == service:
            info = await nc.jetstream().consumer_info(spec.stream, spec.durable)
            total += info.num_pending + info.num_ack_pending
    return total


async def crash_in_turn(procs: ServiceProcesses, load: Load, nc) -> dict[str, int]:
    """Once the load is under way, kill each service in turn with SIGKILL at a moment it has
    messages in hand, and start it again at once; then wait until all four run again. Returns
    how many messages each service had outstanding when it was killed."""
    while load.partner.published < len(load.cases):  # a fifth of the reports are in
        await asyncio.sleep(0.05)
    in_flight = {}
    for name in ("intake", "notify", "guardianship", "housing"):
        deadline = asyncio.get_running_loop().time() + 20
        while not (in_flight.get(name)) and asyncio.get_running_loop().time() < deadline:
            in_flight[name] = await outstanding(nc, name)
            await asyncio.sleep(0.02)
        procs.kill(name)
        procs.start(name)
        await asyncio.sleep(0.5)
    await procs.wait_started(timeout_s=90)
    return in_flight


async def test_killing_each_service_mid_load_loses_and_doubles_nothing(tmp_path) -> None:
    server = EmbeddedNats(tmp_path / "store").start()
    try:
        async with under_load(server.url, tmp_path / "logs", CASES) as trial:
            procs = trial.procs
            in_flight = await trial.survive(crash_in_turn(procs, trial.load, trial.nc), chaos_within_s=90)

            assert all(procs.kills[name] == 1 for name in SERVICES), procs.kills
            assert all(in_flight.values()), in_flight  # each was killed with work in hand
            assert procs.dead() == []
            await assert_nothing_lost_or_doubled(trial.nc, trial.cases)
    finally:
        server.stop()
