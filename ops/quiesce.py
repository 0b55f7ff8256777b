"""Waiting until the system has nothing left to do: every durable consumer has read and
acknowledged everything. Handling one message can create work for another consumer, so it is
idle only when every consumer is idle twice in a row."""

import asyncio

from nats.aio.client import Client as NATS

from services.bootstrap import consumers


async def idle_once(nc: NATS) -> bool:
    js = nc.jetstream()
    for spec in consumers():
        info = await js.consumer_info(spec.stream, spec.durable)
        if info.num_pending or info.num_ack_pending:
            return False
    return True


async def wait_until_idle(nc: NATS, timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    streak = 0
    while streak < 2:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"the system still had work after {timeout_s}s")
        streak = streak + 1 if await idle_once(nc) else 0
        await asyncio.sleep(0.01)
