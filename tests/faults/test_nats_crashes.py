"""Nothing is lost, doubled or folded past while the NATS server itself is killed with SIGKILL and
started again on the same port and file store, under a load of whole cases (a few thousand partner
reports). Partners re-publish until JetStream acknowledges (the same CloudEvent id, so a report that
was stored after all counts once); the services reconnect by themselves. Afterwards every task
exists exactly once, and every service's live read model equals a fresh replay of the store
(`overdracht replay`, as an operator checks it): no read model skipped an event it could not read
while the server was away."""

import asyncio
import random

import pytest

from services.runtime.natsserver import EmbeddedNats, free_port
from tests.faults.harness import Partner, assert_nothing_lost_or_doubled, assert_read_models_equal_a_replay, examine, under_load
from tests.ops.support import free_port_block

pytestmark = pytest.mark.integration
CASES = 500  # x 5 reports (permit, guardian, school, filing, acceptance) = 2,500 partner reports
CRASHES = 3
FIRST_CRASH_AFTER = 400  # reports acknowledged before the first SIGKILL


async def crash_server(server: EmbeddedNats, rng: random.Random, partner: Partner) -> list[int]:
    """SIGKILL the server while the load runs, the first time while partners are still publishing,
    then start it on the same port and store. Returns how many reports were acknowledged at each kill."""
    while partner.published < FIRST_CRASH_AFTER:
        await asyncio.sleep(0.01)
    at = []
    for crash in range(CRASHES):
        if crash:
            await asyncio.sleep(rng.uniform(1.5, 3.0))
        at.append(partner.published)
        server.kill()
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        await asyncio.to_thread(server.start)
    return at


async def test_killing_the_nats_server_mid_load_loses_doubles_and_skips_nothing(tmp_path) -> None:
    rng = random.Random()
    server = EmbeddedNats(tmp_path / "store", port=free_port()).start()
    metrics_base = free_port_block()
    try:
        async with under_load(server.url, tmp_path / "logs", CASES, metrics_base=metrics_base) as trial:
            # raises unless all CRASHES ran
            kills_at = await trial.survive(crash_server(server, rng, trial.load.partner), chaos_within_s=60)

            assert trial.procs.dead() == [], {name: trial.procs.tail(name) for name in trial.procs.dead()}
            await assert_nothing_lost_or_doubled(trial.nc, trial.cases)
            replays = await assert_read_models_equal_a_replay(server.url, metrics_base)
            skipped = {name: [line for line in lines if "cannot be folded" in line]
                       for name, lines in trial.procs.errors().items()}
            assert not any(skipped.values()), skipped
            found = await examine(trial.nc, trial.cases)
            print(f"{CRASHES} SIGKILLs of nats-server, at {kills_at} reports acknowledged; {trial.load.partner.published} reports acknowledged after "
                  f"{trial.load.partner.retries} re-sends; {found.inbox_duplicates} stored twice in the inbox; "
                  f"{found.events} events, {found.tasks} tasks, each once; read models equal a replay: "
                  + ", ".join(f"{n} {r['live']['cases']} cases up to {r['live']['last_seq']}" for n, r in replays.items()))
    finally:
        server.stop()
