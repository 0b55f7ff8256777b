"""Parked cases: one case whose decision or fold fails is set aside, loudly, while every other
case goes on.

A failure while a service decides a day for one case, or folds one of its stored events, is not a
reason to stop the day (or the read model) for every case. The runtime parks that case instead: a
record in the key-value bucket AMV_PARKED, key `<service>.<case>`, with the reason and what
triggered it. The service leaves a parked case out of its days until an operator retries it
(`overdracht parked retry SERVICE CASE`, after fixing the cause): the record is deleted, the
service sees that and decides the case again for the latest day it knows. Parked cases are counted
in the metric wo_cases_parked and listed by `overdracht parked` and `overdracht status`.

The reason names the exception's type and message, cut to 300 characters; a validation error
only by field and error type, never the value (pydantic's own message repeats the input).
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import nats.js.errors
import structlog
from nats.aio.client import Client as NATS
from nats.js.kv import KeyValue
from pydantic import ValidationError

from services.runtime.streams import PARKED_BUCKET

log = structlog.get_logger()
REASON_MAX = 300


@dataclass(frozen=True)
class ParkedCase:
    service: str
    case_id: str
    reason: str
    trigger: str  # "day 2026-05-02", "stored event 1234", ...
    parked_at: str

    @property
    def key(self) -> str:
        return f"{self.service}.{self.case_id}"


def reason_of(exc: BaseException) -> str:
    """The exception's type and message; for a validation error only where and what failed,
    since pydantic's message repeats the offending input value."""
    if isinstance(exc, ValidationError):
        errors = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'} {e['type']}" for e in exc.errors())
        return f"ValidationError: {exc.title}: {errors}"[:REASON_MAX]
    return f"{type(exc).__name__}: {exc}"[:REASON_MAX]


class Parking:
    """The cases one service has parked, kept current from the bucket (a watch), so that an
    operator's retry reaches the service at once."""

    def __init__(self, nc: NATS, service: str, on_retry: Callable[[str], Awaitable[None]] | None = None) -> None:
        self._nc = nc
        self.service = service
        self.cases: dict[str, ParkedCase] = {}
        self._on_retry = on_retry
        self._kv: KeyValue | None = None
        self._watching: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._kv = await self._nc.jetstream().key_value(PARKED_BUCKET)
        watcher = await self._kv.watch(f"{self.service}.>")
        async for entry in watcher:  # the current records first, then None: caught up
            if entry is None:
                break
            self._seen(entry)
        self._watching = asyncio.create_task(self._follow(watcher), name=f"{self.service}-parking")

    async def stop(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
            await asyncio.gather(self._watching, return_exceptions=True)
            self._watching = None

    def is_parked(self, case_id: str) -> bool:
        return case_id in self.cases

    async def park(self, case_id: str, exc: BaseException, trigger: str) -> None:
        parked = ParkedCase(self.service, case_id, reason_of(exc), trigger, datetime.now(UTC).isoformat())
        self.cases[case_id] = parked
        log.error("case parked", service=self.service, case_id=case_id, trigger=trigger, reason=parked.reason)
        if self._kv is not None:
            await self._kv.put(parked.key, json.dumps(asdict(parked)).encode())

    async def _follow(self, watcher) -> None:
        while True:
            try:
                entry = await watcher.updates(timeout=3600)
            except nats.errors.TimeoutError:
                continue
            if entry is not None:
                retried = self._seen(entry)
                if retried and self._on_retry is not None:
                    try:
                        await self._on_retry(retried)
                    except Exception as exc:  # noqa: BLE001 - parked again by the retry itself, or logged
                        log.error("retry of a parked case failed", case_id=retried, error=reason_of(exc))

    def _seen(self, entry) -> str | None:
        """Fold one bucket entry in; the case id when it says an operator retried a parked case."""
        case_id = entry.key.split(".", 1)[1]
        if entry.operation in ("DEL", "PURGE") or not entry.value:
            return case_id if self.cases.pop(case_id, None) is not None else None
        self.cases[case_id] = ParkedCase(**json.loads(entry.value))
        return None


async def parked_cases(nc: NATS, service: str | None = None) -> list[ParkedCase]:
    """Every parked case (of `service`), for operators."""
    kv = await nc.jetstream(timeout=5).key_value(PARKED_BUCKET)
    try:
        keys = await kv.keys()  # (its `filters` match substrings, not subjects: filtered here)
    except nats.js.errors.NoKeysError:
        return []
    if service is not None:
        keys = [key for key in keys if key.startswith(f"{service}.")]
    found = []
    for key in sorted(keys):
        try:
            entry = await kv.get(key)
        except nats.js.errors.KeyNotFoundError:
            continue  # retried meanwhile
        if entry.value:
            found.append(ParkedCase(**json.loads(entry.value)))
    return found


async def retry(nc: NATS, service: str, case_id: str) -> bool:
    """Delete the parked record: the service decides the case again. False if it was not parked."""
    kv = await nc.jetstream(timeout=5).key_value(PARKED_BUCKET)
    try:
        await kv.get(f"{service}.{case_id}")
    except nats.js.errors.KeyNotFoundError:
        return False
    await kv.delete(f"{service}.{case_id}")
    return True
