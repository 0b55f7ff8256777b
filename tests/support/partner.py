"""Drive the system as a partner does (raw nats-py, see ops/partner.py) and read what came out."""

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from nats.aio.client import Client as NATS

from ops.partner import envelope, publish, publish_raw, start_day  # noqa: F401 - re-exported for tests
from ops.quiesce import wait_until_idle
from services.runtime.eventstore import StoredMessage, read_stream

T = TypeVar("T")


def new_case_id() -> str:
    return f"case-{uuid.uuid4().hex[:12]}"


async def report(nc: NATS, org: str, event_type: str, case_id: str, data: dict) -> None:
    """Publish as `org` and wait until every service has handled all there is."""
    await publish(nc, org, event_type, case_id, data)
    await wait_until_idle(nc)


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout_s: float = 10.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after the timeout."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)


async def rejection_of(nc: NATS, inbox_seq: int, timeout_s: float = 10.0) -> StoredMessage:
    """The rejection of the inbox message with stream sequence `inbox_seq`."""

    async def probe() -> StoredMessage | None:
        for msg in await read_stream(nc, "AMV_REJECTED", "amv.rejected.>"):
            if msg.headers.get("Wo-Original-Sequence") == str(inbox_seq):
                return msg
        return None

    return await eventually(probe, timeout_s, f"a rejection of inbox message {inbox_seq}")


async def tasks_of_case(nc: NATS, org: str, case_id: str, kind: str | None = None) -> list[dict]:
    """Every task opened for `org` (TaskOpened) about `case_id` (of `kind`, if given), in order."""
    tasks = [json.loads(m.data) for m in await read_stream(nc, "AMV_TASKS", f"amv.tasks.{org}.TaskOpened")]
    return [t for t in tasks if t["subject"] == case_id and kind in (None, t["data"]["kind"])]


async def case_events(nc: NATS, case_id: str) -> list[dict]:
    """Every stored event of a case, across services, in order."""
    return [json.loads(m.data) for m in await read_stream(nc, "AMV_EVENTS", f"amv.events.*.{case_id}.>")]
