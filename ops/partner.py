"""Publishing as a partner does: plain nats-py and hand-written CloudEvent JSON, no SDK."""

import json
import uuid
from datetime import UTC, date, datetime

from nats.aio.client import Client as NATS

from contracts import subjects
from contracts.envelope import type_name
from contracts.events import EVENT_TYPES


def envelope(
    org: str, event_type: str, case_id: str, data: dict, event_id: str | None = None, time: datetime | None = None
) -> dict:
    """The CloudEvent JSON a partner publishes to amv.inbox.<org>.<EventType>."""
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": f"urn:nld:warmeoverdracht:org:{org}",
        "type": type_name(event_type, EVENT_TYPES[event_type].version if event_type in EVENT_TYPES else 1),
        "subject": case_id,
        "time": (time or datetime.now(UTC)).isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


async def publish(
    nc: NATS,
    org: str,
    event_type: str,
    case_id: str,
    data: dict,
    event_id: str | None = None,
    time: datetime | None = None,
) -> int:
    """Publish a report to the organisation's inbox; returns its inbox stream sequence."""
    body = json.dumps(envelope(org, event_type, case_id, data, event_id, time)).encode()
    return await publish_raw(nc, subjects.inbox(org, event_type), body)


async def publish_raw(nc: NATS, subject: str, body: bytes) -> int:
    ack = await nc.jetstream().publish(subject, body, timeout=5)
    return ack.seq


async def start_day(nc: NATS, day: date) -> int:
    """Publish DayStarted for `day` on amv.clock.day (what the midnight schedule does in production)."""
    ack = await nc.jetstream().publish(subjects.CLOCK_DAY, json.dumps({"date": day.isoformat()}).encode(), timeout=5)
    return ack.seq
