"""Raw nats-py helpers of the benchmarks: bulk publishing into a stream, and the baselines."""

import asyncio
import time
import uuid
from collections.abc import Iterable

from nats.aio.client import Client as NATS
from nats.js.api import DeliverPolicy

BATCH = 1000  # the most messages JetStream takes in one atomic batch


async def publish_batches(nc: NATS, messages: Iterable[tuple[str, bytes]], batch: int = BATCH,
                          timeout_s: float = 30.0) -> int:
    """Publish `messages` in atomic batches (the stream needs allow_atomic): all but the last of
    a batch are plain publishes, the last commits and is acknowledged. Returns how many."""
    count = 0
    pending: list[tuple[str, bytes]] = []

    async def flush() -> None:
        batch_id = uuid.uuid4().hex
        last = len(pending)
        for number, (subject, body) in enumerate(pending, start=1):
            headers = {"Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(number)}
            if number == last:
                headers["Nats-Batch-Commit"] = "1"
                reply = await nc.request(subject, body, timeout=timeout_s, headers=headers)
                if b'"error"' in reply.data:
                    raise RuntimeError(f"batch refused: {reply.data[:300]!r}")
            else:
                await nc.publish(subject, body, headers=headers)
        pending.clear()

    for message in messages:
        pending.append(message)
        count += 1
        if len(pending) == batch:
            await flush()
    if pending:
        await flush()
    return count


async def publish_async_all(nc: NATS, messages: Iterable[tuple[str, bytes]], window: int = 2000) -> int:
    """Publish with `publish_async`, at most `window` unacknowledged, and wait for every ack."""
    js = nc.jetstream(publish_async_max_pending=window)
    count = 0
    futures = []
    for subject, body in messages:
        futures.append(await js.publish_async(subject, body))
        count += 1
        if len(futures) >= window:
            await asyncio.gather(*futures)
            futures.clear()
    await asyncio.gather(*futures)
    return count


async def raw_ordered_read(nc: NATS, stream: str, subject: str, timeout_s: float = 600.0) -> tuple[int, float]:
    """Read every message of `stream` with an ordered push consumer doing nothing with them but
    counting (the stream has no deletes, so all are read when the count is reached):
    (messages, seconds)."""
    js = nc.jetstream()
    total = (await js.stream_info(stream)).state.messages
    done = asyncio.Event()
    seen = 0

    async def on_msg(msg) -> None:
        nonlocal seen
        seen += 1
        if seen >= total:
            done.set()

    started = time.perf_counter()
    sub = await js.subscribe(subject, stream=stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL, cb=on_msg)
    try:
        await asyncio.wait_for(done.wait(), timeout_s)
    finally:
        await sub.unsubscribe()
    return seen, time.perf_counter() - started
