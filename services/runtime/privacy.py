"""Privacy by design in an append-only log: personal fields are stored encrypted with a key per
case, and erasing a case deletes its key (crypto-shredding).

What is personal is said by the contracts: a field marked `x-personal-data`
(`contracts.events.PERSONAL_DATA`; today only `ResidencePermitGranted.date_of_birth`). The event
store (services/runtime/eventstore.py) seals such a field when it encodes an event and opens it
when it decodes one, so rules, read models and partners only ever see the value or, once the case
is erased, None. The CloudEvent envelope and every other field stay in clear.

- **Keys.** One random AES-256 key per case, in the JetStream key-value bucket `AMV_CASE_KEYS`
  (stream `KV_AMV_CASE_KEYS`, key = case id, history 1), as a JSON Web Key
  `{"kty": "oct", "alg": "A256GCM", "kid": …, "k": …}`. The first event with a personal field
  creates it (`CaseKeyring.for_writing`).
- **Sealed field.** The value becomes `{"sealed": "A256GCM.<kid>.<nonce>.<ciphertext>"}` (base64url):
  AES-256-GCM (the `cryptography` package) of the value's JSON, with a fresh 96-bit nonce, and the
  case id, event id and field name as associated data, so a sealed value copied into another
  event or case does not open.
- **Reading.** Keys are cached per process (`KEYRING`), so a read model or consumer does at most
  one key lookup per case, never one per event; events without personal fields involve no
  crypto at all. Every process that loads keys watches the bucket (an ordered consumer of its
  headers only) and drops a cached key as soon as it changes or is erased.
- **Erasure** (`erase_case`, `overdracht erase CASE --yes`): the key's message is deleted with
  JetStream's secure erase (overwritten on disk; a key-value delete or purge alone only marks it
  deleted and leaves its bytes in the block file), then a delete marker, the only message left on
  the key (history 1), tells every process to drop its copy. From then on the case's personal
  fields read as None everywhere: in every service, replay and timeline, and in every copy of the
  event store (a backup of the bucket made before still holds the key). Events written in clear
  before this module existed cannot be shredded; the erase report counts them, and the copies of
  partner reports the inbox keeps (see README "Privacy").
"""

import asyncio
import base64
import json
import os
import secrets
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import nats.js.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.kv import KeyValue

from contracts import subjects
from contracts.envelope import CloudEvent
from contracts.events import personal_fields
from contracts.versions import all_models

KEYS_BUCKET = "AMV_CASE_KEYS"
KEYS_STREAM = f"KV_{KEYS_BUCKET}"
KEYS_SUBJECT_PREFIX = f"$KV.{KEYS_BUCKET}."
ALGORITHM = "A256GCM"
SEALED = "sealed"
_NONCE_BYTES = 12
_BULK_LOAD = 64  # more unknown cases than this: read the whole bucket in batches instead of key by key
_KV_OPERATION = "KV-Operation"

PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    model.type_name(): fields for model in all_models() if (fields := personal_fields(model))
}
"""CloudEvent `type` -> its personal fields, for every version of every event that has any."""

PERSONAL_EVENT_TYPES = frozenset(type_name.split(".")[2] for type_name in PERSONAL_FIELDS)
"""Event type names ('ResidencePermitGranted') with personal fields in some version."""


class CaseKeyNotLoaded(LookupError):
    """An event with personal fields was decoded before its case's key was loaded into `KEYRING`
    (an async reader calls `KEYRING.load` first; the event store's readers do)."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"the key of case {case_id} is not loaded: await KEYRING.load(nc, [{case_id!r}]) first")
        self.case_id = case_id


class KeysUnavailable(RuntimeError):
    """The key bucket is missing or a key in it is unreadable: nothing personal can be written."""


class UnknownCase(LookupError):
    """No event of this case is stored."""


# --- the key and the sealed value (pure) ----------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class CaseKey:
    """A case's AES-256-GCM key and its id (`kid`), which every value sealed with it names."""

    kid: str
    secret: bytes

    @classmethod
    def new(cls) -> "CaseKey":
        return cls(secrets.token_hex(8), AESGCM.generate_key(bit_length=256))

    def to_json(self) -> bytes:
        """The key as a JSON Web Key (RFC 7517, symmetric), the bucket's value."""
        return json.dumps({"kty": "oct", "alg": ALGORITHM, "kid": self.kid, "k": _b64(self.secret)}).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "CaseKey":
        jwk = json.loads(raw)
        if jwk.get("kty") != "oct" or jwk.get("alg") != ALGORITHM:
            raise KeysUnavailable(f"not an {ALGORITHM} key: kty={jwk.get('kty')!r} alg={jwk.get('alg')!r}")
        secret = _unb64(jwk["k"])
        if len(secret) != 32:
            raise KeysUnavailable(f"key {jwk.get('kid')!r} has {len(secret)} bytes, not 32")
        return cls(str(jwk["kid"]), secret)


def _associated_data(case_id: str, event_id: str, field: str) -> bytes:
    return f"{case_id}/{event_id}/{field}".encode()


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get(SEALED), str) and len(value) == 1


def seal_value(value: Any, key: CaseKey, case_id: str, event_id: str, field: str) -> dict[str, str]:
    """`{"sealed": "A256GCM.<kid>.<nonce>.<ciphertext>"}`: the JSON value encrypted with the case key."""
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(key.secret).encrypt(
        nonce, json.dumps(value).encode(), _associated_data(case_id, event_id, field)
    )
    return {SEALED: f"{ALGORITHM}.{key.kid}.{_b64(nonce)}.{_b64(ciphertext)}"}


def open_value(sealed: dict[str, str], key: CaseKey | None, case_id: str, event_id: str, field: str) -> Any:
    """The value sealed in `sealed`, or None when it cannot be opened with `key`: erased (no key,
    or a key made after the erasure), or moved from another event, case or field."""
    algorithm, kid, nonce, ciphertext = sealed[SEALED].split(".")
    if key is None or algorithm != ALGORITHM or kid != key.kid:
        return None
    try:
        plain = AESGCM(key.secret).decrypt(_unb64(nonce), _unb64(ciphertext), _associated_data(case_id, event_id, field))
    except InvalidTag:
        return None
    return json.loads(plain)


def seal(event: CloudEvent, fields: Sequence[str], key: CaseKey) -> CloudEvent:
    """`event` with each of its personal `fields` sealed (encrypted) with the case key."""
    data = dict(event.data)
    for field in fields:
        if data.get(field) is not None and not is_sealed(data[field]):
            data[field] = seal_value(data[field], key, event.subject, event.id, field)
    return event.model_copy(update={"data": data})


def open_sealed(event: CloudEvent, fields: Sequence[str], key: CaseKey | None, erased: bool = False) -> CloudEvent:
    """`event` with its personal `fields` opened; None where they cannot be (the case is erased).
    A value stored in clear (before encryption existed) stays readable until the case is erased."""
    data = dict(event.data)
    for field in fields:
        value = data.get(field)
        if is_sealed(value):
            data[field] = open_value(value, key, event.subject, event.id, field)
        elif value is not None and erased:
            data[field] = None
    return event.model_copy(update={"data": data})


# --- the keys of this process -------------------------------------------------------------------------


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
        from services.runtime.eventstore import read_messages  # the event store imports this module

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


# --- erasure ----------------------------------------------------------------------------------------


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
    from services.runtime.eventstore import EVENTS_STREAM, read_messages

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
    from services.runtime.provision import INBOX_STREAM, REJECTED_STREAM

    inbox = 0
    for event_type in sorted(PERSONAL_EVENT_TYPES):
        inbox += await _copies_about(nc, INBOX_STREAM, subjects.inbox("*", event_type), case_id)
    rejected = await _copies_about(nc, REJECTED_STREAM, f"{subjects.REJECTED_PREFIX}.>", case_id)
    return ErasureReport(case_id, key_erased, len(stored), sealed, clear, inbox, rejected)
