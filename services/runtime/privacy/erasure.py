"""Erasure: crypto-shredding a case's personal data by securely deleting its key, and a report of
what that reached and what it could not.
"""

import json
from dataclasses import dataclass

import nats.js.errors
from nats.aio.client import Client as NATS
from nats.js.api import DeliverPolicy

from contracts import subjects
from services.runtime.directget import read_messages
from services.runtime.privacy.keyring import _KV_OPERATION, KEYRING
from services.runtime.privacy.sealing import PERSONAL_EVENT_TYPES, PERSONAL_FIELDS, KeysUnavailable, is_sealed
from services.runtime.streams import (
    EVENTS_STREAM,
    INBOX_STREAM,
    KEYS_BUCKET,
    KEYS_STREAM,
    KEYS_SUBJECT_PREFIX,
    REJECTED_STREAM,
)

class UnknownCase(LookupError):
    """No event of this case is stored."""


@dataclass(frozen=True)
class ErasureReport:
    """What `erase_case` did and what it could not reach."""

    case_id: str
    key_erased: bool  # False: the case had no key (nothing personal was stored encrypted, or erased before)
    events: int  # events of the case in the store, all kept
    sealed_fields: int  # personal fields now unreadable everywhere
    clear_fields: int  # personal fields stored in clear before encryption existed: NOT erased
    inbox_copies: int  # partner reports in AMV_INBOX carrying personal fields of the case, in clear until they expire
    rejected_copies: int  # refused reports about the case in AMV_REJECTED, in clear until they expire

    def lines(self) -> list[str]:
        """The report for an operator, one finding a line."""
        found = [
            f"case {self.case_id}: {self.events} events kept; {self.sealed_fields} encrypted personal fields are now "
            "unreadable everywhere (they read as erased)",
            f"key {'securely erased' if self.key_erased else 'not found (nothing encrypted, or erased before)'}"
            f" in {KEYS_BUCKET}",
        ]
        if self.clear_fields:
            found.append(f"WARNING: {self.clear_fields} personal fields were stored in clear before encryption and "
                         "cannot be shredded; they read as erased, but their bytes remain in AMV_EVENTS")
        if self.inbox_copies or self.rejected_copies:
            found.append(f"WARNING: {self.inbox_copies} partner reports in AMV_INBOX and {self.rejected_copies} refused "
                         "reports in AMV_REJECTED still hold the case's data in clear until those streams expire them")
        return found


async def _copies_about(nc: NATS, stream: str, filter_subject: str, case_id: str) -> int:
    """How many messages on `filter_subject` are CloudEvents about `case_id` (an ordered consumer:
    the inbox has no direct get)."""
    js = nc.jetstream()
    info = await js.stream_info(stream, subjects_filter=filter_subject)
    if not sum((info.state.subjects or {}).values()):
        return 0
    subscription = await js.subscribe(filter_subject, stream=stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    count = 0
    try:
        while True:
            msg = await subscription.next_msg(timeout=5.0)
            try:
                count += json.loads(msg.data).get("subject") == case_id
            except (ValueError, AttributeError):
                pass
            if msg.metadata.num_pending == 0:
                return count
    finally:
        await subscription.unsubscribe()


async def erase_case(nc: NATS, case_id: str) -> ErasureReport:
    """Crypto-shred the personal data of `case_id`: securely delete its key and mark it deleted in the
    bucket, so its personal fields read as None in every process and copy of the event store.
    The events stay. Raises UnknownCase when nothing is stored for the case."""
    stored = await read_messages(nc, EVENTS_STREAM, subjects.case_events("*", case_id))
    if not stored:
        raise UnknownCase(f"no events are stored for case {case_id}")
    js = nc.jetstream()
    key_subject = f"{KEYS_SUBJECT_PREFIX}{case_id}"
    try:
        last = await js.get_last_msg(KEYS_STREAM, key_subject)
    except nats.js.errors.NotFoundError:
        last = None
    key_erased = last is not None and bool(last.data) and (last.headers or {}).get(_KV_OPERATION) is None
    if key_erased:
        # Overwrites the key on disk; a delete marker alone would leave its bytes in the block file.
        await js.delete_msg(KEYS_STREAM, last.seq)
    kv = await js.key_value(KEYS_BUCKET)
    await kv.delete(case_id)  # the marker every process's watch sees: drop the cached key
    KEYRING.forget(case_id)
    try:
        await kv.get(case_id)
    except nats.js.errors.KeyNotFoundError:
        pass
    else:
        raise KeysUnavailable(f"the key of case {case_id} is still readable after erasing it")

    sealed = clear = 0
    for msg in stored:
        fields = PERSONAL_FIELDS.get(json.loads(msg.data).get("type", ""), ())
        data = json.loads(msg.data).get("data", {}) if fields else {}
        sealed += sum(is_sealed(data.get(field)) for field in fields)
        clear += sum(data.get(field) is not None and not is_sealed(data.get(field)) for field in fields)

    inbox = 0
    for event_type in sorted(PERSONAL_EVENT_TYPES):
        inbox += await _copies_about(nc, INBOX_STREAM, subjects.inbox("*", event_type), case_id)
    rejected = await _copies_about(nc, REJECTED_STREAM, f"{subjects.REJECTED_PREFIX}.>", case_id)
    return ErasureReport(case_id, key_erased, len(stored), sealed, clear, inbox, rejected)
