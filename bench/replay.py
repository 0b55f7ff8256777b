"""One replay pass in a fresh process, as a service rebuilds its read model when it starts (so no
pass inherits another's warm caches): `python -m bench.replay NATS_URL raw|intake|guardianship|
housing|notify` prints the pass's result as JSON.

raw: a raw ordered consumer reads the whole event store, counting (the baseline).
<service>: that service's Projection (services/runtime/projection.py) folds the whole event store
with the service's own state module, exactly as at its start-up.
"""

import asyncio
import json
import os
import random
import sys
import time

import nats
from nats.aio.client import Client as NATS

from bench.nats_io import raw_ordered_read
from bench.system import rss_mb
from contracts import subjects
from services.bootstrap import DECIDERS
from services.runtime.decider import Decider
from services.runtime.projection import Projection
from services.runtime.streams import EVENTS_STREAM

STATES = {decider.service: decider for decider in DECIDERS}  # each service's read model, as it reads


async def replay_pass(nc: NATS, decider: Decider) -> dict:
    rss_before = rss_mb(os.getpid())
    projection = Projection.of(nc, decider)
    cpu_before = time.process_time()
    started = time.perf_counter()
    await projection.start(timeout_s=3600)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    # Only the event types the service reads reach its read model (Decider.read_filters).
    folded = max(projection.received, 1)
    result = {"events": projection.received, "store_last_seq": projection.last_seq, "seconds": round(seconds, 2),
              "cases": len(projection.cases), "events_per_s": round(folded / seconds, 1),
              "cpu_us_per_event": round(cpu / folded * 1e6, 1),
              "read_model_rss_mb": round(rss_mb(os.getpid()) - rss_before, 1),
              "state_lookup_p99_us": state_lookup_p99_us(projection)}
    await projection.stop()
    return result


def state_lookup_p99_us(projection: Projection, samples: int = 1000) -> float:
    """p99 of what a service does to get a case's state and version before deciding
    (`Projection.state_of`, services/runtime/service.py), over random cases, in µs."""
    cases = list(projection.cases)
    rng = random.Random(11)
    timings = []
    for _ in range(samples):
        case = cases[rng.randrange(len(cases))]
        started = time.perf_counter()
        projection.state_of(case)
        timings.append((time.perf_counter() - started) * 1e6)
    timings.sort()
    return round(timings[int(0.99 * len(timings)) - 1], 2)


async def raw_pass(nc: NATS) -> dict:
    rss_before = rss_mb(os.getpid())
    cpu_before = time.process_time()
    count, seconds = await raw_ordered_read(nc, EVENTS_STREAM, f"{subjects.EVENTS_PREFIX}.>")
    return {"events": count, "seconds": round(seconds, 2), "events_per_s": round(count / seconds, 1),
            "cpu_us_per_event": round((time.process_time() - cpu_before) / count * 1e6, 1),
            "rss_growth_mb": round(rss_mb(os.getpid()) - rss_before, 1)}


async def one_pass(url: str, which: str) -> dict:
    nc = await nats.connect(url)
    try:
        return await (raw_pass(nc) if which == "raw" else replay_pass(nc, STATES[which]))
    finally:
        await nc.close()


async def in_fresh_process(url: str, which: str) -> dict:
    """Run one pass in a new Python process; its JSON result."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.replay", url, which,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"replay pass {which} exited with {process.returncode}")
    return json.loads(out.decode().strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(asyncio.run(one_pass(sys.argv[1], sys.argv[2]))), flush=True)
