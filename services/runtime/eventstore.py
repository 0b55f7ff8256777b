"""The event store: one JetStream stream (AMV_EVENTS), one subject tree per service and case.

`append` is optimistic: it carries the case's version (the stream sequence of the case's last
event) and JetStream refuses the write if another writer got there first (error 10071), which the
caller handles by reloading and deciding again. Several events are written as one atomic batch.
nats-py has no keywords for these headers, so this module speaks them directly.
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import nats.errors
from nats.aio.client import Client as NATS

from contracts import subjects
from contracts.envelope import CloudEvent
from services.runtime.directget import StoredMessage, StoreError, read_messages
from services.runtime.privacy import KEYRING, PERSONAL_FIELDS, CaseKeyNotLoaded, cases_with_personal_events
from services.runtime.streams import EVENTS_STREAM

WRONG_LAST_SEQUENCE = 10071


class VersionConflict(Exception):
    """Another writer appended to the case since it was loaded: reload and decide again."""


@dataclass(frozen=True)
class CaseHistory:
    events: list[CloudEvent]
    version: int  # stream sequence of the case's last event; 0 when the case has none


def encode(event: CloudEvent) -> bytes:
    """The stored bytes of `event`; its personal fields sealed with the case key (privacy.py)."""
    if event.type in PERSONAL_FIELDS:
        event = KEYRING.seal_event(event)
    return event.model_dump_json(exclude_none=True).encode()


def decode(body: bytes) -> CloudEvent:
    """The event of stored bytes; personal fields opened, None once the case is erased (privacy.py)."""
    event = CloudEvent.model_validate_json(body)
    return KEYRING.open_event(event) if event.type in PERSONAL_FIELDS else event


async def decode_loading_key(nc: NATS, body: bytes) -> CloudEvent:
    """`decode`, first loading the case's key when the event has personal fields and the key is
    not loaded yet (one lookup, then cached)."""
    try:
        return decode(body)
    except CaseKeyNotLoaded as missing:
        await KEYRING.load(nc, [missing.case_id])
        return decode(body)


class EventStore:
    def __init__(self, nc: NATS, ack_timeout_s: float = 5.0, stream: str = EVENTS_STREAM) -> None:
        self._nc = nc
        self._timeout = ack_timeout_s
        self._stream = stream

    async def load(self, service: str, case_id: str) -> CaseHistory:
        """All events of one case in one service's store, in order, and the case's version."""
        stored = await read_stream(self._nc, self._stream, subjects.case_events(service, case_id), self._timeout)
        return CaseHistory([decode(msg.data) for msg in stored], stored[-1].seq if stored else 0)

    async def load_case(self, service: str, case_id: str) -> CaseHistory:
        """Every event of one case across all services, in order, with `service`'s version of it:
        rules decide on the whole picture, but only conflict with writers of their own subjects."""
        stored = await read_stream(self._nc, self._stream, subjects.case_events("*", case_id), self._timeout)
        own = f"{subjects.EVENTS_PREFIX}.{service}."
        version = max((msg.seq for msg in stored if msg.subject.startswith(own)), default=0)
        return CaseHistory([decode(msg.data) for msg in stored], version)

    async def append(
        self, service: str, case_id: str, events: Sequence[CloudEvent], expected_version: int
    ) -> int:
        """Append `events` to the case if its version is still `expected_version`; returns the new version."""
        if not events:
            return expected_version
        for event in events:
            if event.subject != case_id:
                raise ValueError(f"event {event.id} is about case {event.subject}, not {case_id}")
        if any(event.type in PERSONAL_FIELDS for event in events):
            await KEYRING.for_writing(self._nc, case_id)  # `encode` seals with it
        guard = {
            "Nats-Expected-Last-Subject-Sequence": str(expected_version),
            "Nats-Expected-Last-Subject-Sequence-Subject": subjects.case_events(service, case_id),
        }
        if len(events) == 1:
            reply = await self._request(events[0], service, {**guard, "Nats-Msg-Id": events[0].idempotency_key})
            return int(reply["seq"])
        batch_id = uuid.uuid4().hex
        last = len(events)
        for number, event in enumerate(events, start=1):
            headers = {"Nats-Msg-Id": event.idempotency_key, "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(number)}
            if number == 1:
                headers.update(guard)
            if number == last:
                headers["Nats-Batch-Commit"] = "1"
                reply = await self._request(event, service, headers)
                return int(reply["seq"])
            await self._nc.publish(subjects.event(service, case_id, event.event_type), encode(event), headers=headers)
        raise AssertionError("unreachable")

    async def _request(self, event: CloudEvent, service: str, headers: dict[str, str]) -> dict:
        subject = subjects.event(service, event.subject, event.event_type)
        try:
            msg = await self._nc.request(subject, encode(event), timeout=self._timeout, headers=headers)
        except nats.errors.NoRespondersError as exc:
            raise StoreError(f"no stream stores {subject}: is {self._stream} provisioned?") from exc
        reply = json.loads(msg.data)
        error = reply.get("error")
        if error:
            if error.get("err_code") == WRONG_LAST_SEQUENCE:
                raise VersionConflict(error.get("description", "wrong last sequence"))
            raise StoreError(f"append to {subject} refused: {error}")
        return reply


async def read_stream(nc: NATS, stream: str, filter_subject: str, timeout_s: float = 5.0) -> list[StoredMessage]:
    """Every message of `stream` on `filter_subject`, in order (`read_messages`). Read from the
    event store, the keys of the cases with personal fields are loaded too, so `decode` opens them."""
    found = await read_messages(nc, stream, filter_subject, timeout_s)
    if filter_subject.startswith(subjects.EVENTS_PREFIX):
        await KEYRING.load(nc, cases_with_personal_events(msg.subject for msg in found))
    return found
