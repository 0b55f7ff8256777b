"""Reading the event store for chain monitoring: the one piece of I/O the agenda and the journey
figures need, shared by ops/agenda.py, ops/journey.py, `overdracht agenda` and the handoff desk."""

from collections import defaultdict

from nats.aio.client import Client as NATS

from contracts import subjects
from contracts.envelope import CloudEvent
from services.runtime.eventstore import EVENTS_STREAM, decode, read_stream


async def load_histories(nc: NATS, stream: str = EVENTS_STREAM) -> dict[str, list[CloudEvent]]:
    """Every stored event, grouped per case, each case's events in stored order (one batch direct
    get over AMV_EVENTS: no consumer is created)."""
    histories: dict[str, list[CloudEvent]] = defaultdict(list)
    for msg in await read_stream(nc, stream, f"{subjects.EVENTS_PREFIX}.>"):
        event = decode(msg.data)
        histories[event.subject].append(event)
    return dict(histories)
