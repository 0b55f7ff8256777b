"""An in-memory read model of every case, kept current from the event store.

An ordered consumer reads AMV_EVENTS from the start and folds each event into its case's state;
given `filters` (a service's Decider.read_filters()), it reads only the event types the service
folds and stores, not the whole store.
Services use it to know which cases a new day concerns, and as the state they decide on: with
`owner` set, it also keeps each case's version in that service's subjects, the version an append
is checked against. A projection that lags is therefore only late, never wrong: a decision on a
state missing one of the owner's own events is refused by the store (a version conflict), and the
service then waits for the projection or reads the case from the store (services/runtime/service.py).
"""

import asyncio
import hashlib
import heapq
import itertools
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import nats.errors
import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts import subjects
from contracts.envelope import CloudEvent
from services.runtime.decider import Decider
from services.runtime.privacy import KeysUnavailable
from services.runtime.eventstore import EVENTS_STREAM, decode_loading_key
from services.runtime.privacy import KEYRING

log = structlog.get_logger()
# Failures that pass: a key lookup that timed out, NATS reconnecting, the key bucket not there yet.
PASSING = (nats.errors.Error, TimeoutError, OSError, KeysUnavailable)
FIRST_PAUSE_S = 0.1
LAST_PAUSE_S = 5.0
State = TypeVar("State")

_JS_ACK = f"{subjects.JS_ACK_PREFIX}."


class Projection(Generic[State]):
    def __init__(
        self,
        nc: NATS,
        empty: Callable[[str], State],
        apply: Callable[[State, CloudEvent], State],
        stream: str = EVENTS_STREAM,
        owner: str | None = None,
        filters: Sequence[str] = (f"{subjects.EVENTS_PREFIX}.>",),
        on_unfoldable: Callable[[str, BaseException, int], Awaitable[None]] | None = None,
    ) -> None:
        self._nc = nc
        self._empty = empty
        self._apply = apply
        self._stream = stream
        self._filters = tuple(filters)
        self._on_unfoldable = on_unfoldable
        self._owner_prefix = f"{subjects.EVENTS_PREFIX}.{owner}." if owner else None
        self._subscription = None
        self.cases: dict[str, State] = {}
        # case -> stream sequence of its last event in the owner's subjects (with `owner` set)
        self.versions: dict[str, int] = {}
        # Cases whose state here may not be what the store says: an event of theirs could not be
        # folded, or their key changed (erased) after their events were opened. Read them from the store.
        self.untrusted: set[str] = set()
        self.last_seq = 0
        self.skipped = 0  # stored events that could not be decoded or folded (logged each time)
        self.received = 0  # stored events delivered to this read model (what its filters let through)
        self.stalled: str | None = None  # why the read model waits at an event it cannot read yet
        # (case, idempotency key) -> fingerprint of every partner report stored among what it reads:
        # the runtime's idempotency per sender (services/runtime/service.py, decide_report)
        self.reports: dict[tuple[str, str], str] = {}
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # (sequence, tiebreak, woken when folded)
        self._tiebreak = itertools.count()
        self._catching_up: asyncio.Task[int] | None = None

    @classmethod
    def of(cls, nc: NATS, decider: Decider, owner: str | None = None, on_unfoldable=None) -> "Projection[Any]":
        """The read model a service's decider declares: what it folds, folded its way."""
        return cls(nc, decider.initial, decider.fold, owner=owner, filters=decider.read_filters(),
                   on_unfoldable=on_unfoldable)

    async def start(self, timeout_s: float = 300.0) -> None:
        # The keys of the cases with personal fields, all at once: looking each up as its first
        # such event arrives made a replay wait for one round trip per case.
        KEYRING.on_forget(self._key_changed)
        await KEYRING.load_all(self._nc)
        js = self._nc.jetstream()
        self._subscription = await js.subscribe(
            self._filters[0],
            stream=self._stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
            cb=self._on_msg,
            config=ConsumerConfig(filter_subjects=list(self._filters)) if len(self._filters) > 1 else None,
        )
        await self.caught_up(timeout_s)
        log.info("projection caught up", cases=len(self.cases), last_seq=self.last_seq)

    async def stop(self) -> None:
        KEYRING.remove_listener(self._key_changed)
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None
        for _, _, waiter in self._waiters:
            waiter.cancel()
        self._waiters.clear()

    async def caught_up(self, timeout_s: float = 30.0) -> None:
        """Wait until every event stored before this call has been folded in. Callers at the same
        moment share one look at the stream (a busy service asks once, not once per message)."""
        if self._catching_up is None or self._catching_up.done():
            self._catching_up = asyncio.ensure_future(self._stream_last_seq())
        target = await asyncio.shield(self._catching_up)
        await self.reach(target, timeout_s)

    async def behind(self) -> int:
        """How many sequence numbers the read model is behind the last stored event it consumes."""
        return max(0, await self._stream_last_seq() - self.last_seq)

    async def reach(self, seq: int, timeout_s: float = 30.0) -> None:
        """Wait until the event at stream sequence `seq` (and all before it) has been folded in."""
        if self.last_seq >= seq:
            return
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (seq, next(self._tiebreak), waiter))
        try:
            await asyncio.wait_for(waiter, timeout_s)
        except TimeoutError:
            raise TimeoutError(f"projection at {self.last_seq}, not at {seq} after {timeout_s}s") from None

    def state_of(self, case_id: str) -> tuple[State, int]:
        """The case's state and its version in the owner's subjects (0: none stored yet)."""
        state = self.cases.get(case_id)
        return (self._empty(case_id) if state is None else state), self.versions.get(case_id, 0)

    async def _stream_last_seq(self) -> int:
        """The stream sequence of the last stored event this read model consumes: one direct get of
        the last message per filter (wildcards allowed), asked all at once."""
        if self._filters == (f"{subjects.EVENTS_PREFIX}.>",):
            return (await self._nc.jetstream().stream_info(self._stream)).state.last_seq
        found = await asyncio.gather(*(self._last_seq_of(f) for f in self._filters))
        return max(found, default=0)

    async def _last_seq_of(self, subject: str) -> int:
        answer = await self._nc.request(
            f"$JS.API.DIRECT.GET.{self._stream}", json.dumps({"last_by_subj": subject}).encode(), timeout=10
        )
        headers = answer.headers or {}
        if "Nats-Sequence" in headers:
            return int(headers["Nats-Sequence"])
        if headers.get("Status") == "404":
            return 0  # nothing of this type stored yet
        raise RuntimeError(f"direct get of {subject} in {self._stream} failed: {headers.get('Description', headers)}")

    async def _decode_patiently(self, body: bytes, seq: int) -> CloudEvent:
        """The stored event, decoded; while that fails for a passing reason (the case's key cannot be
        loaded now, NATS is away), tried again with a growing pause, never folded past: the read
        model waits, and says so (`stalled`, which makes /readyz false)."""
        pause = FIRST_PAUSE_S
        while True:
            try:
                event = await decode_loading_key(self._nc, body)  # a key made after the start: looked up once
            except PASSING as exc:
                self.stalled = f"stored event {seq} cannot be read yet ({type(exc).__name__}); retrying"
                log.warning("stored event cannot be read yet; waiting, not skipping", stream_seq=seq,
                            error=f"{type(exc).__name__}: {exc}"[:300], retry_in_s=pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, LAST_PAUSE_S)
                continue
            self.stalled = None
            return event

    def _key_changed(self, case_id: str) -> None:
        if case_id in self.cases:
            self.untrusted.add(case_id)

    async def _on_msg(self, msg: Msg) -> None:
        seq = stream_sequence(msg)
        case_id = None
        try:
            parsed = subjects.parse_event(msg.subject)
            if parsed is not None:
                case_id = parsed[1]
                if self._owner_prefix is not None and msg.subject.startswith(self._owner_prefix):
                    self.versions[case_id] = seq
            event = await self._decode_patiently(msg.data, seq)
            state = self.cases.get(event.subject)
            if state is None:
                state = self._empty(event.subject)
            self.cases[event.subject] = self._apply(state, event)
            if event.reported:
                self.reports[(event.subject, event.idempotency_key)] = report_fingerprint(event)
        except Exception as exc:  # noqa: BLE001 - one unreadable stored event must not stop every read model
            # Permanent (the event itself cannot be read or folded): its case is parked, and is read
            # from the store when decided on. The reason, not a traceback: a store full of them must
            # not be slowed down by its own logs.
            log.error("stored event cannot be folded; its case is parked", subject=msg.subject, stream_seq=seq,
                      error=f"{type(exc).__name__}: {exc}"[:500])
            self.skipped += 1
            if case_id is not None:
                self.untrusted.add(case_id)
                if self._on_unfoldable is not None:
                    await self._on_unfoldable(case_id, exc, seq)
        self.last_seq = seq
        self.received += 1
        while self._waiters and self._waiters[0][0] <= seq:
            waiter = heapq.heappop(self._waiters)[2]
            if not waiter.done():
                waiter.set_result(None)


def report_fingerprint(envelope: CloudEvent) -> str:
    """What makes two reports with the same id the same report: their type, case and data."""
    content = json.dumps([envelope.type, envelope.subject, envelope.data], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def stream_sequence(msg: Msg) -> int:
    """The stream sequence of a message from JetStream, read straight from its reply subject
    ($JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.…): nats-py's `msg.metadata` builds
    the whole metadata object, a fifth of the time of folding an event during a replay."""
    tokens = msg.reply.split(".")
    if len(tokens) == 9 and msg.reply.startswith(_JS_ACK):
        return int(tokens[5])
    return msg.metadata.sequence.stream  # the longer form with a domain and account hash
