"""Reading a stream without a consumer: every message on a subject filter, in order, by batch
direct get (`$JS.API.DIRECT.GET`, needs the stream's `allow_direct`). The event store, the key
bucket (privacy) and the operators' tools read this way.
"""

import asyncio
import json
from dataclasses import dataclass

from nats.aio.client import Client as NATS

from contracts import subjects

_DIRECT_GET_BATCH = 1024
_LITERAL_SUBJECTS_MAX = 64  # a wildcard read matching more subjects scans the stream instead


class StoreError(Exception):
    """JetStream refused an append for a reason other than a version conflict."""


@dataclass(frozen=True)
class StoredMessage:
    seq: int
    subject: str
    headers: dict[str, str]
    data: bytes


async def read_messages(
    nc: NATS, stream: str, filter_subject: str, timeout_s: float = 5.0, from_seq: int = 1
) -> list[StoredMessage]:
    """Every message of `stream` on `filter_subject` (from stream sequence `from_seq`), in order, by batch direct get
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
            return sorted((m for m in found if from_seq <= m.seq <= last_seq), key=lambda m: m.seq)
    return await _direct_get(nc, stream, filter_subject, timeout_s, from_seq=from_seq)


async def _direct_get_each(nc: NATS, stream: str, counts: dict[str, int], timeout_s: float) -> list[StoredMessage]:
    """The first `count` messages of each literal subject: one batch request per subject, all
    answered on one inbox (each answer ends with its own end-of-batch status)."""
    found: list[StoredMessage] = []
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    try:
        for subject, count in counts.items():
            request = {"seq": 1, "next_by_subj": subject, "batch": count}
            await nc.publish(subjects.js_api("DIRECT", "GET", stream), json.dumps(request).encode(), reply=inbox)
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
    reply = json.loads((await nc.request(subjects.js_api("STREAM", "INFO", stream), request, timeout=timeout_s)).data)
    if "error" in reply:
        return None
    counts = reply["state"].get("subjects") or {}
    if len(counts) > _LITERAL_SUBJECTS_MAX or reply.get("total", 0) > len(counts):
        return None
    return counts, reply["state"]["last_seq"]


async def _direct_get(
    nc: NATS, stream: str, filter_subject: str, timeout_s: float, limit: int | None = None, from_seq: int = 1
) -> list[StoredMessage]:
    found: list[StoredMessage] = []
    next_seq = from_seq
    while True:
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        received = 0
        batch = _DIRECT_GET_BATCH if limit is None else max(1, min(_DIRECT_GET_BATCH, limit - len(found)))
        try:
            request = {"seq": next_seq, "next_by_subj": filter_subject, "batch": batch}
            await nc.publish(subjects.js_api("DIRECT", "GET", stream), json.dumps(request).encode(), reply=inbox)
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
