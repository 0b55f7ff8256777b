"""The case keys of this process (`KEYRING`): loaded from the key-value bucket AMV_CASE_KEYS once
per case, watched so a key changed or erased elsewhere is dropped, read without I/O when an event
is sealed or opened.
"""

import asyncio
import weakref
from collections.abc import Callable, Iterable
from typing import Any

import nats.js.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.kv import KeyValue

from contracts import subjects
from contracts.envelope import CloudEvent
from services.runtime.directget import read_messages
from services.runtime.privacy.sealing import PERSONAL_EVENT_TYPES, PERSONAL_FIELDS, CaseKey, KeysUnavailable, open_sealed, seal
from services.runtime.streams import KEYS_BUCKET, KEYS_STREAM, KEYS_SUBJECT_PREFIX

_BULK_LOAD = 64  # more unknown cases than this: read the whole bucket in batches instead of key by key
_KV_OPERATION = "KV-Operation"


class CaseKeyNotLoaded(LookupError):
    """An event with personal fields was decoded before its case's key was loaded into `KEYRING`
    (an async reader calls `KEYRING.load` first; the event store's readers do)."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"the key of case {case_id} is not loaded: await KEYRING.load(nc, [{case_id!r}]) first")
        self.case_id = case_id


class CaseKeyring:
    """The case keys this process has loaded: case id -> key, or None for a case without one
    (never had one, or erased: then it is in `erased` too). Filled by `load`/`for_writing`
    (async, one lookup per unknown case, or the whole bucket in batches for many), read by
    `seal_event`/`open_event` (sync, no I/O)."""

    def __init__(self) -> None:
        self._keys: dict[str, CaseKey | None] = {}
        self._erased: set[str] = set()
        self._revisions: dict[str, int] = {}
        self._buckets: weakref.WeakKeyDictionary[NATS, KeyValue] = weakref.WeakKeyDictionary()
        self._watching: weakref.WeakKeyDictionary[NATS, Any] = weakref.WeakKeyDictionary()
        self._listeners: set[Callable[[str], None]] = set()

    # sync, for encode/decode

    def cached(self, case_id: str) -> CaseKey | None:
        try:
            return self._keys[case_id]
        except KeyError:
            raise CaseKeyNotLoaded(case_id) from None

    def seal_event(self, event: CloudEvent) -> CloudEvent:
        fields = PERSONAL_FIELDS.get(event.type)
        if not fields:
            return event
        key = self.cached(event.subject)
        if key is None:
            raise KeysUnavailable(f"case {event.subject} has no key to seal {event.event_type} with")
        return seal(event, fields, key)

    def open_event(self, event: CloudEvent) -> CloudEvent:
        fields = PERSONAL_FIELDS.get(event.type)
        if not fields:
            return event
        return open_sealed(event, fields, self.cached(event.subject), event.subject in self._erased)

    def forget(self, case_id: str) -> None:
        self._keys.pop(case_id, None)
        self._erased.discard(case_id)
        self._revisions.pop(case_id, None)
        for listener in list(self._listeners):
            listener(case_id)

    def on_forget(self, listener: Callable[[str], None]) -> None:
        """Call `listener(case_id)` whenever another process changed (e.g. erased) a case's key:
        whoever kept something decoded with the old key learns it may be out of date."""
        self._listeners.add(listener)

    def remove_listener(self, listener: Callable[[str], None]) -> None:
        self._listeners.discard(listener)

    # async, talking to the bucket

    async def load(self, nc: NATS, case_ids: Iterable[str]) -> None:
        """Make the keys of `case_ids` available to `open_event` (a no-op for cached ones)."""
        missing = {case_id for case_id in case_ids if case_id not in self._keys}
        if not missing:
            return
        await self._watch(nc)
        kv = await self._bucket(nc)
        if kv is None:  # no bucket, so no keys: whatever was sealed is unreadable
            self._keys.update(dict.fromkeys(missing))
            return
        if len(missing) > _BULK_LOAD:
            await self._load_all(nc)
            for case_id in missing:
                self._keys.setdefault(case_id, None)
            return
        cases = sorted(missing)
        found = await asyncio.gather(*(self._fetch(kv, case_id) for case_id in cases))
        for case_id, (key, revision, erased) in zip(cases, found, strict=True):
            self.remember(case_id, key, revision, erased)

    async def load_all(self, nc: NATS) -> None:
        """Every key the bucket holds, read in batches: for a reader about to go through the whole
        event store (a read model starting), one pass instead of one lookup per case."""
        await self._watch(nc)
        if await self._bucket(nc) is not None:
            await self._load_all(nc)

    async def for_writing(self, nc: NATS, case_id: str) -> CaseKey:
        """The case's key, created when it has none (the first personal field of the case)."""
        await self.load(nc, [case_id])
        key = self._keys.get(case_id)
        if key is not None:
            return key
        kv = await self._bucket(nc)
        if kv is None:
            raise KeysUnavailable(f"the key bucket {KEYS_BUCKET} does not exist: provision the streams first")
        key = CaseKey.new()
        try:
            revision = await kv.create(case_id, key.to_json())
        except nats.js.errors.KeyWrongLastSequenceError:  # another writer created it just now
            key, revision, _ = await self._fetch(kv, case_id)
            if key is None:
                raise KeysUnavailable(f"the key of case {case_id} was created and erased at once") from None
        self.remember(case_id, key, revision, erased=False)
        return key

    def remember(self, case_id: str, key: CaseKey | None, revision: int | None = None, erased: bool = False) -> None:
        """Cache what the bucket holds for the case: its key (at `revision`), or none (`erased` or never made)."""
        self._keys[case_id] = key
        if erased:
            self._erased.add(case_id)
        else:
            self._erased.discard(case_id)
        if revision is not None:
            self._revisions[case_id] = revision

    async def _bucket(self, nc: NATS) -> KeyValue | None:
        kv = self._buckets.get(nc)
        if kv is None:
            try:
                kv = await nc.jetstream().key_value(KEYS_BUCKET)
            except nats.js.errors.BucketNotFoundError:
                return None
            self._buckets[nc] = kv
        return kv

    @staticmethod
    async def _fetch(kv: KeyValue, case_id: str) -> tuple[CaseKey | None, int | None, bool]:
        """(key, its revision, erased) of the case from the bucket."""
        try:
            entry = await kv.get(case_id)
        except nats.js.errors.KeyNotFoundError as missing:  # never had one, or erased (a delete marker)
            return None, None, missing.op is not None
        return CaseKey.from_json(entry.value or b""), entry.revision, False

    async def _load_all(self, nc: NATS) -> None:
        for msg in await read_messages(nc, KEYS_STREAM, f"{KEYS_SUBJECT_PREFIX}>"):
            case_id = msg.subject.removeprefix(KEYS_SUBJECT_PREFIX)
            if msg.headers.get(_KV_OPERATION) in ("DEL", "PURGE"):
                self.remember(case_id, None, None, erased=True)
            else:
                self.remember(case_id, CaseKey.from_json(msg.data), msg.seq, erased=False)

    async def _watch(self, nc: NATS) -> None:
        """Follow the bucket on `nc` (headers only, so no key travels), dropping a cached key when
        it changes. When no watch was running, what is cached may be stale: it is forgotten."""
        if nc in self._watching:
            return
        nobody_watched = all(other.is_closed for other in self._watching)
        try:
            subscription = await nc.jetstream().subscribe(
                f"{KEYS_SUBJECT_PREFIX}>", stream=KEYS_STREAM, ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW, headers_only=True, cb=self._on_change,
            )
        except nats.js.errors.NotFoundError:  # no bucket yet: nothing to follow
            return
        if nobody_watched:
            self._keys.clear()
            self._erased.clear()
            self._revisions.clear()
        self._watching[nc] = subscription

    async def _on_change(self, msg: Msg) -> None:
        case_id = msg.subject.removeprefix(KEYS_SUBJECT_PREFIX)
        if self._revisions.get(case_id) != msg.metadata.sequence.stream:  # not the key this process made
            self.forget(case_id)


KEYRING = CaseKeyring()
"""The keys of this process: the event store, read models and consumers share it."""


def cases_with_personal_events(event_subjects: Iterable[str]) -> set[str]:
    """The cases of the event-store subjects that name an event type with personal fields."""
    found = set()
    for subject in event_subjects:
        if subject.rpartition(".")[2] in PERSONAL_EVENT_TYPES:
            parsed = subjects.parse_event(subject)
            if parsed is not None:
                found.add(parsed[1])
    return found
