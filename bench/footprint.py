"""Memory per 10,000 cases: each service's resident memory with N whole cases loaded, less its
memory idle on an empty store, scaled to 10,000 cases (bench/figures.py, bench/README.md).

1. A fresh store (streams provisioned, nothing in them): the four services start, settle, and
   each one's RSS is sampled (the idle figure). They stop.
2. N whole cases (the workload's played case: nine events each, with their keys) are stored, and
   the durable reaction consumers are read to their end as if the services had reacted when the
   cases happened (their reactions are already among the stored events).
3. The four services start again and load the N cases as they do at start-up; once every consumer
   is idle, each one's RSS is sampled again (the loaded figure). Their start-up time is kept.
4. Baseline: a raw nats-py ordered consumer in a fresh process reads the same stored events,
   counting, and its RSS growth is scaled the same way.
"""

import asyncio
import statistics
import time
from pathlib import Path

from nats.aio.client import Client as NATS

from bench.figures import rss_per_10k_cases
from bench.nats_io import publish_async_all, publish_batches
from bench.replay import in_fresh_process
from bench.system import Services
from bench.workload import CaseFactory
from ops.quiesce import wait_until_idle
from services.bootstrap import consumers as bootstrap_consumers
from services.runtime import provision
from services.runtime.natsserver import EmbeddedNats

SETTLE_S = 3.0  # after start-up and idle, before sampling: late allocations, the first metrics refresh
SAMPLES = 5
SAMPLE_EVERY_S = 0.5


async def sample_rss(services: Services) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    for _ in range(SAMPLES):
        for name, mb in services.rss().items():
            samples.setdefault(name, []).append(round(mb, 2))
        await asyncio.sleep(SAMPLE_EVERY_S)
    return samples


async def drain_durables(nc: NATS, batch: int = 1000) -> dict[str, int]:
    """Read every durable consumer to its end, acknowledging each message: what the services would
    have done with these events long ago. How many each had pending."""
    js = nc.jetstream()
    drained = {}
    for spec in bootstrap_consumers():
        try:
            info = await js.consumer_info(spec.stream, spec.durable)
        except Exception:  # noqa: BLE001 - not created (yet): nothing pending for it
            continue
        if not info.num_pending:
            continue
        sub = await js.pull_subscribe_bind(durable=spec.durable, stream=spec.stream)
        count = 0
        try:
            while True:
                try:
                    messages = await sub.fetch(batch, timeout=1)
                except TimeoutError:
                    messages = []
                for msg in messages:
                    await msg.ack()
                count += len(messages)
                await nc.flush()
                info = await js.consumer_info(spec.stream, spec.durable)
                if not info.num_pending and not info.num_ack_pending:
                    break
        finally:
            await sub.unsubscribe()
        drained[spec.durable] = count
    return drained


async def footprint(work: Path, factory: CaseFactory, cases: int, connect) -> dict:
    server = EmbeddedNats(work / "footprint-store", log_file=work / "footprint-nats.log").start()
    nc = await connect(server.url)
    try:
        await provision.provision_streams(nc.jetstream())
        empty = Services(server.url, work / "footprint-logs-empty")
        try:
            empty.start()
            await empty.wait_started()
            await wait_until_idle(nc, timeout_s=120)
            await asyncio.sleep(SETTLE_S)
            idle = await sample_rss(empty)
        finally:
            empty.stop()

        started = time.perf_counter()
        await publish_async_all(nc, factory.keys(range(cases)))
        events = await publish_batches(nc, factory.interleaved(cases))
        drained = await drain_durables(nc)
        seeding_s = time.perf_counter() - started

        loaded = Services(server.url, work / "footprint-logs-loaded")
        try:
            began = time.perf_counter()
            loaded.start()
            await loaded.wait_started(timeout_s=900)
            start_s = time.perf_counter() - began
            await wait_until_idle(nc, timeout_s=300)
            await asyncio.sleep(SETTLE_S)
            full = await sample_rss(loaded)
        finally:
            loaded.stop()
        raw = await in_fresh_process(server.url, "raw")
    finally:
        await nc.close()
        server.stop()
    per_10k = {name: rss_per_10k_cases(idle[name], full[name], cases) for name in idle}
    return {
        "cases": cases, "events": events, "seeding_seconds": round(seeding_s, 1),
        "reactions_already_handled": drained, "loaded_start_seconds": round(start_s, 1),
        "idle_rss_mb": {name: round(statistics.median(s), 1) for name, s in idle.items()},
        "loaded_rss_mb": {name: round(statistics.median(s), 1) for name, s in full.items()},
        "idle_rss_samples_mb": idle, "loaded_rss_samples_mb": full,
        "rss_per_10k_cases_mb": per_10k,
        "raw_reader": raw,
        "raw_rss_per_10k_cases_mb": round(raw["rss_growth_mb"] / cases * 10_000, 2),
    }
