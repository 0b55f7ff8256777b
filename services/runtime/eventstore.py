"""The event store: one JetStream stream (AMV_EVENTS), one subject tree per service and case.

`append` is optimistic: it carries the case's version (the stream sequence of the case's last
event) and JetStream refuses the write if another writer got there first (error 10071), which the
caller handles by reloading and deciding again. Several events are written as one atomic batch.
nats-py has no keywords for these headers, so this module speaks them directly.
"""

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import nats.errors
from nats.aio.client import Client as NATS

from contracts import subjects
from contracts.envelope import CloudEvent
from services.runtime.privacy import KEYRING, PERSONAL_FIELDS, CaseKeyNotLoaded, cases_with_personal_events

EVENTS_STREAM = "AMV_EVENTS"
WRONG_LAST_SEQUENCE = 10071
_DIRECT_GET_BATCH = 1024
_LITERAL_SUBJECTS_MAX = 64  # a wildcard read matching more subjects scans the stream instead


class VersionConflict(Exception):
    """Another writer appended to the case since it was loaded: reload and decide again."""


class StoreError(Exception):
    """JetStream refused an append for a reason other than a version conflict."""


@dataclass(frozen=True)
class StoredMessage:
    seq: int
    subject: str
    headers: dict[str, str]
    data: bytes


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
            reply = await self._request(events[0], service, {**guard, "Nats-Msg-Id": events[0].id})
            return int(reply["seq"])
        batch_id = uuid.uuid4().hex
        last = len(events)
        for number, event in enumerate(events, start=1):
            headers = {"Nats-Msg-Id": event.id, "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(number)}
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


async def read_messages(nc: NATS, stream: str, filter_subject: str, timeout_s: float = 5.0) -> list[StoredMessage]:
    """Every message of `stream` on `filter_subject`, in order, by batch direct get
    (`$JS.API.DIRECT.GET`, needs `allow_direct`): no consumer is created, so it is cheap.

    A filter with wildcards that matches few subjects (one case's events) is first resolved to
    those subjects from the stream's subject index, then each is read by its literal name and
    the messages merged in order: the server finds them directly instead of scanning the whole
    stream for the wildcard (with 100,000 cases stored, about 20 ms of server time per case
    down to about 1). What is read is what the stream held when the subjects were listed."""
    if "*" in filter_subject or ">" in filter_subject:
        listed = await _subjects_of(nc, stream, filter_subject, timeout_s)
        if listed is not None:
            counts, last_seq = listed
            if all(count <= _DIRECT_GET_BATCH for count in counts.values()):
                found = await _direct_get_each(nc, stream, counts, timeout_s)
            else:
                parts = await asyncio.gather(*(_direct_get(nc, stream, s, timeout_s, n) for s, n in counts.items()))
                found = [m for part in parts for m in part]
            return sorted((m for m in found if m.seq <= last_seq), key=lambda m: m.seq)
    return await _direct_get(nc, stream, filter_subject, timeout_s)


async def _direct_get_each(nc: NATS, stream: str, counts: dict[str, int], timeout_s: float) -> list[StoredMessage]:
    """The first `count` messages of each literal subject: one batch request per subject, all
    answered on one inbox (each answer ends with its own end-of-batch status)."""
    found: list[StoredMessage] = []
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    try:
        for subject, count in counts.items():
            request = {"seq": 1, "next_by_subj": subject, "batch": count}
            await nc.publish(f"$JS.API.DIRECT.GET.{stream}", json.dumps(request).encode(), reply=inbox)
        answering = len(counts)
        while answering:
            msg = await sub.next_msg(timeout=timeout_s)
            headers = dict(msg.headers or {})
            status = headers.get("Status")
            if status in ("404", "204"):  # this subject's answer is complete
                answering -= 1
            elif status:
                raise StoreError(f"direct get on {stream}: {status} {headers.get('Description', '')}")
            else:
                found.append(StoredMessage(int(headers["Nats-Sequence"]), headers.get("Nats-Subject", ""), headers, msg.data))
    finally:
        await sub.unsubscribe()
    return found


async def _subjects_of(nc: NATS, stream: str, filter_subject: str, timeout_s: float) -> tuple[dict[str, int], int] | None:
    """{subject: messages} of the subjects matching `filter_subject`, and the stream's last
    sequence; None when they are too many to read one by one (or the stream cannot tell)."""
    request = json.dumps({"subjects_filter": filter_subject}).encode()
    reply = json.loads((await nc.request(f"$JS.API.STREAM.INFO.{stream}", request, timeout=timeout_s)).data)
    if "error" in reply:
        return None
    counts = reply["state"].get("subjects") or {}
    if len(counts) > _LITERAL_SUBJECTS_MAX or reply.get("total", 0) > len(counts):
        return None
    return counts, reply["state"]["last_seq"]


async def _direct_get(
    nc: NATS, stream: str, filter_subject: str, timeout_s: float, limit: int | None = None
) -> list[StoredMessage]:
    found: list[StoredMessage] = []
    next_seq = 1
    while True:
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        received = 0
        batch = _DIRECT_GET_BATCH if limit is None else max(1, min(_DIRECT_GET_BATCH, limit - len(found)))
        try:
            request = {"seq": next_seq, "next_by_subj": filter_subject, "batch": batch}
            await nc.publish(f"$JS.API.DIRECT.GET.{stream}", json.dumps(request).encode(), reply=inbox)
            while True:
                msg = await sub.next_msg(timeout=timeout_s)
                headers = dict(msg.headers or {})
                status = headers.get("Status")
                if status == "404":  # nothing (more) on this subject
                    return found
                if status == "204":  # end of this batch
                    break
                if status:
                    raise StoreError(f"direct get on {stream} {filter_subject}: {status} {headers.get('Description', '')}")
                seq = int(headers["Nats-Sequence"])
                found.append(StoredMessage(seq, headers.get("Nats-Subject", ""), headers, msg.data))
                received += 1
        finally:
            await sub.unsubscribe()
        if received < batch or (limit is not None and len(found) >= limit):
            return found
        next_seq = found[-1].seq + 1
