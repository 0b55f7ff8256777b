"""What every service shares: connect, bind to what was provisioned, keep a projection, run its
consumers, and the three ways a decision is triggered: a partner's report, a stored event it reacts to, a new day.

A service names its Decider (services/runtime/decider.py: the pure parts of its aggregate and
what it folds, reacts to and stores); this class does the I/O around it and derives the
service's subscriptions from it. `build_app` (services/runtime/application.py) wraps it in a FastStream
application (lifecycle, signals, connection), so `python -m services.<name>` runs it.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from contracts import subjects
from contracts.clock import HEADER_SCHEDULER, day_of, days_to_decide, refusal
from contracts.envelope import CloudEvent
from contracts.inbox import Rejection, Report, parse_inbox_message
from services.runtime import provision
from services.runtime.clock import DayHistory
from services.runtime.consumer import CaseOrderedConsumer, RetryLater
from services.runtime.decider import Decider
from services.runtime.directory import Directory, load_directory
from services.runtime.eventstore import EventStore, VersionConflict, decode_loading_key
from services.runtime.observability import ServiceEndpoints, ServiceMetrics
from services.runtime.parking import Parking
from services.runtime.projection import Projection, report_fingerprint
from services.runtime.rejections import publish_rejection
from services.runtime.settings import Settings

log = structlog.get_logger()
MAX_DECIDE_ATTEMPTS = 20
READ_MODEL_ATTEMPTS = 3  # decisions on the projection's state before falling back to reading the store
OWN_APPEND_WAIT_S = 5.0
REDELIVERY_MARGIN_S = 1.0
Decision = list[CloudEvent] | Rejection


def case_of_inbox_message(msg: Msg) -> str:
    """The case an inbox message is about (its CloudEvent `subject`); malformed ones stand alone."""
    try:
        case_id = json.loads(msg.data).get("subject")
    except (ValueError, AttributeError):
        case_id = None
    return case_id if isinstance(case_id, str) else f"unparsed-{msg.metadata.sequence.stream}"


def correlation_ids(msg: Msg) -> dict[str, str | None]:
    """event_id, causation_id and case_id of a consumed message, for its log lines. Taken only from
    an envelope that passes validation, so nothing unchecked a partner sent (a BSN as case id,
    say) reaches the logs; None where the message has none (a malformed report, a day)."""
    try:
        envelope = CloudEvent.model_validate_json(msg.data)
    except ValueError:
        return {"event_id": None, "causation_id": None, "case_id": None}
    return {"event_id": envelope.id, "causation_id": envelope.causationid, "case_id": envelope.subject}


def with_correlation_ids(handler: Callable[[Msg], Awaitable[str]]) -> Callable[[Msg], Awaitable[str]]:
    """`handler`, with the message's correlation ids bound for every log line it and the consumer write."""

    async def bound(msg: Msg) -> str:
        structlog.contextvars.bind_contextvars(**correlation_ids(msg))
        return await handler(msg)

    return bound


def case_of_event_message(msg: Msg) -> str:
    parsed = subjects.parse_event(msg.subject)
    return parsed[1] if parsed else msg.subject


@dataclass(frozen=True)
class Subscription:
    durable: str
    handler: Callable[[Msg], Awaitable[str]]
    key_of: Callable[[Msg], str]


class ServiceRuntime:
    decider: Decider

    @property
    def name(self) -> str:
        return self.decider.service

    def __init__(self, settings: Settings, directory: Directory | None = None) -> None:
        self.settings = settings
        # Loaded before anything connects: a broken directory stops start-up with a clear error.
        self.directory = directory or load_directory(settings.directory or None)
        self._consumers: list[CaseOrderedConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.metrics = ServiceMetrics(self.name)
        self.metrics.watch_read_model(self)
        self.endpoints: ServiceEndpoints | None = None
        self._started_at = time.monotonic()
        self.last_day: date | None = None  # the latest DayStarted decided, for retrying a parked case

    # --- wiring -----------------------------------------------------------------------------

    def subscriptions(self) -> list[Subscription]:
        subs = []
        if self.decider.reports:
            subs.append(Subscription(f"{self.name}-inbox", self.on_report, case_of_inbox_message))
        if self.decider.reactions:
            subs.append(Subscription(f"{self.name}-reactions", self.on_stored_event, case_of_event_message))
        subs.append(Subscription(f"{self.name}-clock", self.on_clock, lambda msg: "clock"))
        return subs

    def consumer_tasks(self) -> list[asyncio.Task[None]]:
        return list(self._tasks)

    async def start(self, nc: NATS) -> None:
        self.nc = nc
        if self.settings.metrics_port:  # first: /healthz answers while the read model catches up
            self.endpoints = ServiceEndpoints(self, self.metrics, self.settings.metrics_port, self.settings.metrics_bind)
            await self.endpoints.start()
        self.js = nc.jetstream(timeout=self.settings.publish_ack_timeout_s)
        self.store = EventStore(nc, self.settings.publish_ack_timeout_s)
        # Bind, never create: the provisioner made the streams and these consumers (provision.py).
        await provision.wait_until_provisioned(self.js, self.decider)
        self.days = DayHistory(nc)
        self.parking = Parking(nc, self.name, on_retry=self.retry_parked)
        await self.parking.start()
        self.projection = Projection.of(nc, self.decider, owner=self.name, on_unfoldable=self.park_unfoldable)
        await self.projection.start()
        specs = {spec.durable: spec for spec in provision.consumers_of(self.decider)}
        for sub in self.subscriptions():
            spec = specs[sub.durable]
            consumer = CaseOrderedConsumer(
                self.js,
                spec.stream,
                sub.durable,
                with_correlation_ids(sub.handler),
                sub.key_of,
                self.dead_letter,
                self.settings.max_deliver,
                self.settings.fetch_batch,
                observe=self.metrics.observe,
            )
            self._consumers.append(consumer)
            self._tasks.append(asyncio.create_task(consumer.run(), name=sub.durable))
        self._started_at = time.monotonic()
        log.info("service started", service=self.name, consumers=[s.durable for s in self.subscriptions()])

    async def stop(self) -> None:
        for consumer in self._consumers:
            consumer.stop()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._consumers.clear()
        self._tasks.clear()
        if getattr(self, "projection", None) is not None:  # stopped before start-up finished
            await self.projection.stop()
        if getattr(self, "parking", None) is not None:
            await self.parking.stop()
        if self.endpoints is not None:
            await self.endpoints.stop()
            self.endpoints = None
        log.info("service stopped", service=self.name)

    # --- the three triggers -----------------------------------------------------------------

    async def on_report(self, msg: Msg) -> str:
        """A partner's report from the inbox: gate, decide, store, or reject with the reason."""
        # Judged as of its receipt (the inbox's timestamp): a redelivery gets the same verdict.
        report = parse_inbox_message(msg.subject, msg.data, self.settings.max_message_bytes, msg.metadata.timestamp)
        if isinstance(report, Rejection):
            return await self.reject(msg, report)
        structlog.contextvars.bind_contextvars(
            event_id=report.envelope.id, causation_id=report.envelope.causationid, case_id=report.case_id
        )
        outcome = await self.decide_and_append(report.case_id, lambda case: self.decide_report(case, report))
        if isinstance(outcome, Rejection):
            # Refuse only on everything stored before this report: the read model may not have
            # another service's latest fact yet. Asked only here, since asking the stream for its
            # last sequence on every message made its appends stall (bench/README.md).
            await self.projection.caught_up()
            outcome = await self.decide_and_append(report.case_id, lambda case: self.decide_report(case, report))
        if isinstance(outcome, Rejection):
            if outcome.awaits_other_service and msg.metadata.num_delivered < self.settings.max_deliver:
                raise RetryLater(outcome.reason)
            window = self.redelivery_window_s()
            if outcome.awaits_earlier_report and window > 0 and msg.metadata.num_delivered < self.settings.max_deliver:
                raise RetryLater(f"{outcome.reason} (a report held before a restart may still come back)", delay_s=window)
            return await self.reject(msg, outcome)
        return "stored" if outcome else "duplicate"

    def decide_report(self, case: Any, report: Report) -> Decision:
        """The decider's decision on a report it has not stored before. Idempotency is the runtime's,
        scoped to the sender: the same organisation's same id with the same content again is a
        no-op; with other content it is refused (`id-conflict`); another organisation's report
        with the same id is a report of its own (contracts/envelope.py, `idempotency_key`)."""
        stored = self.projection.reports.get((report.case_id, report.envelope.idempotency_key))
        if stored is not None:
            if stored == report_fingerprint(report.envelope):
                return []
            return Rejection(
                "id-conflict", f"event id {report.envelope.id} was used by {report.org} before, for another report", "id"
            )
        return self.decider.decide(case, report, self.directory)

    async def on_stored_event(self, msg: Msg) -> str:
        """An event another rule stored, which this service reacts to."""
        event = await decode_loading_key(self.nc, msg.data)
        structlog.contextvars.bind_contextvars(event_id=event.id, causation_id=event.causationid, case_id=event.subject)
        # Decide on the case as of this event at least: a reaction follows its cause, and what was
        # stored after it comes with reactions of its own. The version check guards own events.
        await self.projection.reach(msg.metadata.sequence.stream)
        outcome = await self.decide_and_append(event.subject, lambda case: self.decider.react(case, event, self.directory))
        return "reacted" if outcome else "nothing-to-do"

    async def on_clock(self, msg: Msg) -> str:
        """A day started: every case whose deadline falls due gets its decision. A day not after
        the last one started (the latest stored before it) is refused with the reason and decided
        by nobody; the schedule's day after a gap (NATS was down at midnight) first decides each
        missed day, in order (contracts/clock.py `days_to_decide`). A case whose decision fails is
        parked with the reason, and the day goes on for every other case."""
        day = day_of(msg.data, msg.metadata.timestamp)
        if isinstance(day, Rejection):
            log.error("clock message refused", reason=day.reason)
            return "rejected"
        structlog.contextvars.bind_contextvars(day=day.isoformat())
        last = await self.days.last_before(msg.metadata.sequence.stream)
        days = days_to_decide(last, day, scheduled=HEADER_SCHEDULER in (msg.headers or {}))
        if not days:
            log.warning("day refused", reason=refusal(last, day))
            return f"refused-day: {day.isoformat()} is not after {last and last.isoformat()}"
        await self.projection.caught_up()
        decided = parked = 0
        for each in days:
            for case_id in list(self.projection.cases):
                if self.parking.is_parked(case_id):
                    continue  # set aside until an operator retries it
                try:
                    decided += await self.decide_day(case_id, each)
                except Exception as exc:  # noqa: BLE001 - one case's failure must not stop the day for all
                    await self.parking.park(case_id, exc, f"day {each.isoformat()}")
                    parked += 1
            self.last_day = each if self.last_day is None else max(self.last_day, each)
        missed = f" (after {len(days) - 1} missed day(s))" if len(days) > 1 else ""
        return f"day-{day.isoformat()}: {decided} cases" + missed + (f", {parked} parked" if parked else "")

    async def decide_day(self, case_id: str, day: date) -> bool:
        case, _ = self.projection.state_of(case_id)
        if not self.decider.on_day(case, day, self.directory):  # cheap look at the read model first
            return False
        return bool(await self.decide_and_append(case_id, lambda fresh: self.decider.on_day(fresh, day, self.directory)))

    async def retry_parked(self, case_id: str) -> None:
        """An operator retried a parked case: decide it again for the latest day (parked again if it fails)."""
        log.info("parked case retried", case_id=case_id, day=self.last_day and self.last_day.isoformat())
        if self.last_day is None:
            return
        try:
            await self.decide_day(case_id, self.last_day)
        except Exception as exc:  # noqa: BLE001
            await self.parking.park(case_id, exc, f"retry of day {self.last_day.isoformat()}")

    async def park_unfoldable(self, case_id: str, exc: BaseException, stream_seq: int) -> None:
        await self.parking.park(case_id, exc, f"folding stored event {stream_seq}")

    # --- shared mechanics -------------------------------------------------------------------

    def redelivery_window_s(self) -> float:
        """Seconds during which messages an earlier process of this service held when it died may
        still come back (0: none can): JetStream redelivers them within ack_wait of their
        delivery, so at the latest ack_wait after this process started, plus a margin."""
        return max(0.0, self._started_at + self.settings.ack_wait_s + REDELIVERY_MARGIN_S - time.monotonic())

    async def before_append(self, events: list[CloudEvent], case: Any) -> None:
        """The side effect of a decision (a delivery), run before it is recorded, given the case state
        it was decided on: a crash in between repeats it (at least once), never loses it. Most
        services have none."""

    async def decide_and_append(self, case_id: str, decide: Callable[[Any], Decision]) -> Decision:
        """Decide on the case's state, append with the version check; on a conflict, do it again.

        The state comes from the projection, which every service keeps anyway: reading the case
        from the store for each message cost two round trips and decoding its whole history
        again. The version check makes that safe: a projection missing one of this service's own
        events is refused, and the service then waits for it to catch up. After a few conflicts,
        or for a case the projection cannot vouch for, the case is read from the store."""
        for attempt in range(MAX_DECIDE_ATTEMPTS):
            if attempt < READ_MODEL_ATTEMPTS and case_id not in self.projection.untrusted:
                if attempt:
                    await self.projection.caught_up()
                case, version = self.projection.state_of(case_id)
            else:
                history = await self.store.load_case(self.name, case_id)
                case, version = self.decider.replay(case_id, history.events), history.version
            outcome = self.decider.checked(decide(case))
            if isinstance(outcome, Rejection) or not outcome:
                return outcome
            await self.before_append(outcome, case)
            try:
                stored_at = await self.store.append(self.name, case_id, outcome, version)
            except VersionConflict:
                continue
            await self._see_own_append(stored_at)
            return outcome
        raise VersionConflict(f"case {case_id}: still conflicting after {MAX_DECIDE_ATTEMPTS} attempts")

    async def _see_own_append(self, seq: int) -> None:
        """Wait until the projection has folded what was just appended, so the case's next
        message is decided on it. Should it lag longer, that decision conflicts and retries."""
        try:
            await self.projection.reach(seq, OWN_APPEND_WAIT_S)
        except TimeoutError:
            log.warning("projection behind own append", seq=seq, projection_at=self.projection.last_seq)

    async def reject(self, msg: Msg, rejection: Rejection) -> str:
        """Refuse an inbox message: it goes, untouched, to amv.rejected.<org>.<EventType>."""
        log.info("rejected", code=rejection.code, field=rejection.field, reason=rejection.reason)
        await publish_rejection(
            self.js,
            msg.subject,
            msg.metadata.sequence.stream,
            msg.data,
            rejection,
            self.name,
            self.settings.publish_ack_timeout_s,
        )
        return "rejected"

    async def dead_letter(self, msg: Msg, exc: BaseException) -> None:
        """A message that failed every attempt: inbox reports become a rejection the partner sees;
        anything else is parked on amv.deadletter.<service>.<consumer> for an operator to redrive."""
        if msg.subject.startswith(subjects.INBOX_PREFIX + "."):
            # the error's type only: its message may repeat a value of the report
            await self.reject(msg, Rejection("processing-failed", f"could not be processed: {type(exc).__name__}"))
            return
        headers = {
            "Nats-Msg-Id": f"deadletter-{msg.metadata.stream}-{msg.metadata.sequence.stream}-{self.name}",
            "Wo-Original-Subject": msg.subject,
            "Wo-Original-Stream": msg.metadata.stream,
            "Wo-Original-Sequence": str(msg.metadata.sequence.stream),
            "Wo-Error-Reason": repr(exc)[:500],
        }
        consumer = msg.metadata.consumer or "unknown"
        await self.js.publish(subjects.dead_letter(self.name, consumer), msg.data, headers=headers)
        if (parsed := subjects.parse_event(msg.subject)) is not None:  # a reaction to one case failed
            await self.parking.park(parsed[1], exc, f"reaction to stored event {msg.metadata.sequence.stream}")

