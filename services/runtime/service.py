"""What every service shares: connect, provision, run its consumers, decide and append, reject.

A service subclasses `ServiceRuntime`, names its subscriptions, and writes thin handlers that
call its pure rules. `build_app` wraps it in a FastStream application (lifecycle, signals,
connection), so `python -m services.<name>` runs it.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import structlog
from faststream import FastStream
from faststream.nats import NatsBroker
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from contracts import subjects
from contracts.envelope import CloudEvent
from contracts.inbox import Rejection
from services.runtime import provision
from services.runtime.consumer import CaseOrderedConsumer
from services.runtime.eventstore import EventStore, VersionConflict
from services.runtime.logging import configure_logging
from services.runtime.rejections import publish_rejection
from services.runtime.settings import Settings

log = structlog.get_logger()
State = TypeVar("State")
MAX_DECIDE_ATTEMPTS = 20


def case_of_inbox_message(msg: Msg) -> str:
    """The case an inbox message is about (its CloudEvent `subject`); malformed ones stand alone."""
    try:
        case_id = json.loads(msg.data).get("subject")
    except (ValueError, AttributeError):
        case_id = None
    return case_id if isinstance(case_id, str) else f"unparsed-{msg.metadata.sequence.stream}"


def case_of_event_message(msg: Msg) -> str:
    parsed = subjects.parse_event(msg.subject)
    return parsed[1] if parsed else msg.subject


@dataclass(frozen=True)
class Subscription:
    durable: str
    handler: Callable[[Msg], Awaitable[str]]
    key_of: Callable[[Msg], str]


class ServiceRuntime:
    name: str = "service"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._consumers: list[CaseOrderedConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []

    def subscriptions(self) -> list[Subscription]:
        raise NotImplementedError

    async def start(self, nc: NATS) -> None:
        self.nc = nc
        self.js = nc.jetstream(timeout=self.settings.publish_ack_timeout_s)
        self.store = EventStore(nc, self.settings.publish_ack_timeout_s)
        await provision.provision_streams(self.js, duplicate_window_s=self.settings.duplicate_window_s)
        await provision.provision_consumers(
            self.js, self.name, self.settings.max_deliver, self.settings.ack_wait_s
        )
        for sub in self.subscriptions():
            spec = provision.consumer(sub.durable)
            consumer = CaseOrderedConsumer(
                self.js,
                spec.stream,
                sub.durable,
                sub.handler,
                sub.key_of,
                self.dead_letter,
                self.settings.max_deliver,
                self.settings.fetch_batch,
            )
            self._consumers.append(consumer)
            self._tasks.append(asyncio.create_task(consumer.run(), name=sub.durable))
        log.info("service started", service=self.name, consumers=[s.durable for s in self.subscriptions()])

    async def stop(self) -> None:
        for consumer in self._consumers:
            consumer.stop()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._consumers.clear()
        self._tasks.clear()
        log.info("service stopped", service=self.name)

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
            await self.reject(msg, Rejection("processing-failed", f"could not be processed: {exc!r}"))
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

    async def decide_and_append(
        self,
        case_id: str,
        fold: Callable[[Iterable[CloudEvent]], State],
        decide: Callable[[State], list[CloudEvent] | Rejection],
        before_append: Callable[[list[CloudEvent]], Awaitable[None]] | None = None,
    ) -> list[CloudEvent] | Rejection:
        """Load the case, decide, append with the version check; on a conflict, do it again.

        `before_append` runs the decision's side effect (a delivery) before it is recorded: a crash
        in between repeats the delivery (at least once), never loses it."""
        for _ in range(MAX_DECIDE_ATTEMPTS):
            history = await self.store.load(self.name, case_id)
            outcome = decide(fold(history.events))
            if isinstance(outcome, Rejection) or not outcome:
                return outcome
            if before_append is not None:
                await before_append(outcome)
            try:
                await self.store.append(self.name, case_id, outcome, history.version)
            except VersionConflict:
                continue
            return outcome
        raise VersionConflict(f"case {case_id}: still conflicting after {MAX_DECIDE_ATTEMPTS} attempts")


def build_app(runtime: ServiceRuntime) -> FastStream:
    """The FastStream application of a service: connects, starts the runtime, stops it cleanly."""
    settings = runtime.settings
    configure_logging(settings.log_level)
    broker = NatsBroker(settings.nats_url.split(","), logger=structlog.get_logger("faststream"))
    app = FastStream(broker, logger=structlog.get_logger("faststream"))

    @app.after_startup
    async def start_runtime() -> None:
        await runtime.start(broker.connection)

    @app.on_shutdown
    async def stop_runtime() -> None:
        await runtime.stop()

    return app
