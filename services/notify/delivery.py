"""Webhook delivery on JetStream: every message on amv.tasks.<org>.… (a task, or a notice of a
task's change, for its owner or its requester) is POSTed to the webhooks of <org> that subscribed to
it (deploy/organisations.yaml `channels`: `changes`, `roles`), at least once, with exponential
backoff and jitter.

Nothing is kept in memory. The durable consumer `notify-webhooks` on AMV_TASKS hands each task
over; the handler POSTs it to each of the owner's webhooks that has not received it yet, then
- acks when every webhook answered 2xx;
- naks with the next backoff delay (`webhooks.retry_delay_s`) when one failed: JetStream redelivers
  it after that delay, and the delivery count is the attempt number;
- after WO_WEBHOOK_MAX_ATTEMPTS attempts publishes the task to amv.deadletter.notify.webhooks
  (stream AMV_REJECTED) with the failing webhooks, the reasons and the attempt count, and acks.
An operator lists and re-queues dead letters with `overdracht dead-letters`; a re-queued task
arrives on amv.webhooks.redrive.<owner>.<EventType> and the consumer `notify-webhooks-redrive`
gives it a fresh series of attempts. A restart resumes from the consumer's acknowledged position.

Every attempt is logged as one JSON line ("webhook attempt") and recorded as a message on
amv.webhooks.attempts.<owner>.<delivery id> in the stream AMV_WEBHOOKS. Why a stream of its own and
not events in the event store: attempts are operational facts, not facts of the case. The store
is kept forever, replayed by every rule and shown in case timelines; attempts need a retention
limit (a year), can be many per task, and are read by delivery id or by organisation, which subject
filters give directly (`read_stream`), and which a partner may be allowed to subscribe to for its
own organisation. The records also make retries precise: a webhook with a "delivered" record for
a delivery id is skipped on any later attempt or redrive, so a task that reached one of two webhooks
is not sent there again while the other is retried, nor after a crash between POST and ack.
"""

import asyncio
import json
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from pydantic import ValidationError

from contracts import subjects
from contracts.envelope import CloudEvent
from services.notify.webhooks import (
    WebhookTarget,
    attempts_subject,
    delivery_headers,
    is_delivered,
    owner_and_type,
    resolve_targets,
    retry_delay_s,
    subscribed,
)
from services.runtime import provision
from services.runtime.consumer import Puller
from services.runtime.rejections import HEADER_ORIGINAL_SEQUENCE, HEADER_ORIGINAL_SUBJECT
from services.runtime.rejections import HEADER_REASON as HEADER_ERROR_REASON
from services.runtime.directory import Directory
from services.runtime.eventstore import decode, read_stream
from services.runtime.settings import Settings

log = structlog.get_logger()

DEAD_LETTER_SUBJECT = subjects.dead_letter("notify", "webhooks")
USER_AGENT = "warme-overdracht-notify/1 (+webhook delivery)"
DELIVERED, FAILED, DEAD_LETTERED = "delivered", "failed", "dead-lettered"

# Dead-letter headers (the task itself is the body, untouched). The first four are those every
# dead letter of the system carries (see ServiceRuntime.dead_letter).
HEADER_ORIGINAL_STREAM = "Wo-Original-Stream"
HEADER_OWNER = "Wo-Owner"
HEADER_DELIVERY = "Wo-Delivery-Id"
HEADER_WEBHOOKS = "Wo-Webhooks"
HEADER_ATTEMPTS = "Wo-Attempts"


@dataclass(frozen=True)
class AttemptResult:
    delivered: bool
    status_code: int | None
    error: str | None
    duration_ms: float


class WebhookDelivery:
    def __init__(
        self,
        nc: NATS,
        directory: Directory,
        settings: Settings,
        environ: Mapping[str, str] = os.environ,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.nc = nc
        self.js = nc.jetstream(timeout=settings.publish_ack_timeout_s)
        self.settings = settings
        # Read at start-up: a webhook whose secret is missing stops notify with a clear error.
        self.targets = resolve_targets(directory, environ)
        self._jitter = jitter
        self._stopping = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self.client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.settings.webhook_timeout_s),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )
        for spec in provision.WEBHOOK_CONSUMERS:
            self._loops.append(asyncio.create_task(self._consume(spec.stream, spec.durable), name=spec.durable))
        log.info("webhook delivery started", organisations=sorted(self.targets))

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops.clear()
        if self.client is not None:
            await self.client.aclose()

    async def _consume(self, stream: str, durable: str) -> None:
        subscription = await self.js.pull_subscribe_bind(durable=durable, stream=stream)
        puller = Puller(subscription, self.settings.fetch_batch)
        try:
            while not self._stopping.is_set():
                try:
                    messages = await puller.next_batch()
                except TimeoutError:
                    continue
                except Exception as exc:  # noqa: BLE001 - e.g. reconnecting: try again, never stop delivering
                    _log_safely(log.warning, "webhook consumer could not fetch", consumer=durable, error=repr(exc))
                    await asyncio.sleep(1.0)
                    continue
                # _handle never raises; return_exceptions keeps the loop alive should that ever break.
                await asyncio.gather(*(self._handle(msg, durable) for msg in messages), return_exceptions=True)
        finally:
            await subscription.unsubscribe()

    async def _handle(self, msg: Msg, durable: str) -> None:
        """Never raises: whatever goes wrong, the task stays queued in JetStream and comes back."""
        structlog.contextvars.bind_contextvars(consumer=durable, subject=msg.subject)
        attempt = 1
        try:
            attempt = msg.metadata.num_delivered
            structlog.contextvars.bind_contextvars(stream_seq=msg.metadata.sequence.stream)
            outcome = await self.deliver(msg)
        except Exception as exc:  # noqa: BLE001 - the task stays queued; NATS or the record store failed
            delay = self.delay_after(attempt)
            try:
                await msg.nak(delay=delay)
            except Exception:  # noqa: BLE001 - unacknowledged (or acked already): JetStream decides
                pass
            _log_safely(log.error, "webhook delivery broke off, will retry", attempt=attempt, retry_in_s=delay, exc_info=exc)
            return
        _log_safely(log.debug, "webhook task handled", outcome=outcome)

    def delay_after(self, attempt: int) -> float:
        return retry_delay_s(
            attempt, self.settings.webhook_backoff_s, self.settings.webhook_backoff_max_s, self._jitter()
        )

    async def deliver(self, msg: Msg) -> str:
        """Deliver one task to its owner's webhooks; acks, naks or dead-letters it. Returns the outcome."""
        attempt = msg.metadata.num_delivered
        route = owner_and_type(msg.subject)
        try:
            task = decode(msg.data)
        except ValidationError:
            task = None
        if route is None or task is None:
            # Only notify publishes tasks, so this is a bug, not a partner: park it for an operator.
            reason = "not a task: " + ("unexpected subject" if route is None else "the body is not a CloudEvent")
            await self.dead_letter(msg, route[0] if route else "unknown", "unknown", attempt, {"-": reason})
            await msg.ack_sync()
            _log_safely(log.error, "webhook task undeliverable, dead-lettered", reason=reason)
            return DEAD_LETTERED
        owner = route[0]
        structlog.contextvars.bind_contextvars(delivery_id=task.id, owner=owner)
        targets = subscribed(self.targets.get(owner, ()), task, owner)
        if not targets:
            await msg.ack_sync()
            return "no-webhooks"
        already = await self.delivered_webhooks(owner, task.id)
        final = attempt >= self.settings.webhook_max_attempts
        retry_in = None if final else round(self.delay_after(attempt), 3)
        failures: dict[str, str] = {}
        for target in targets:
            if target.name in already:
                continue
            await msg.in_progress()  # a slow receiver must not make JetStream redeliver meanwhile
            result = await self.post(target, task, msg.data, attempt)
            outcome = DELIVERED if result.delivered else FAILED
            if not result.delivered:
                failures[target.name] = result.error or f"HTTP {result.status_code}"
            next_in = None if result.delivered else retry_in
            _log_safely(
                log.info if result.delivered else log.warning,
                "webhook attempt",
                webhook=target.name,
                attempt=attempt,
                outcome=outcome,
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
                next_attempt_in_s=next_in,
            )
            await self.record(
                msg, owner, task, target.name, attempt, outcome,
                status_code=result.status_code, error=result.error, duration_ms=result.duration_ms,
                next_attempt_in_s=next_in,
            )
        if not failures:
            await msg.ack_sync()
            return DELIVERED
        if final:
            dead_letter_seq = await self.dead_letter(msg, owner, task.id, attempt, failures)
            for name, reason in failures.items():
                await self.record(msg, owner, task, name, attempt, DEAD_LETTERED, error=reason, deadletter_seq=dead_letter_seq)
            await msg.ack_sync()
            _log_safely(
                log.error, "webhook delivery dead-lettered",
                attempt=attempt, webhooks=sorted(failures), deadletter_seq=dead_letter_seq,
            )
            return DEAD_LETTERED
        await msg.nak(delay=retry_in)
        return FAILED

    async def post(self, target: WebhookTarget, task: CloudEvent, body: bytes, attempt: int) -> AttemptResult:
        """One POST of the task's exact bytes, signed with every key of the webhook (Standard Webhooks),
        its webhook-id the task's id on every attempt. The response body is never read."""
        assert self.client is not None, "start() first"
        headers = delivery_headers(task.id, body, target.keys, int(time.time()), attempt, target.authorization)
        started = time.perf_counter()
        try:
            async with self.client.stream("POST", target.url, content=body, headers=headers) as response:
                status = response.status_code
        except httpx.HTTPError as exc:
            return AttemptResult(False, None, f"{type(exc).__name__}: {exc}"[:200], _ms_since(started))
        error = None if is_delivered(status) else f"HTTP {status}"
        return AttemptResult(is_delivered(status), status, error, _ms_since(started))

    async def delivered_webhooks(self, owner: str, delivery_id: str) -> set[str]:
        """Names of the owner's webhooks that already answered 2xx for this delivery id."""
        records = await read_stream(
            self.nc, provision.WEBHOOKS_STREAM, attempts_subject(owner, delivery_id), self.settings.publish_ack_timeout_s
        )
        found = set()
        for stored in records:
            record = json.loads(stored.data)
            if record.get("outcome") == DELIVERED and record.get("delivery_id") == delivery_id:
                found.add(record["webhook"])
        return found

    async def record(
        self, msg: Msg, owner: str, task: CloudEvent, webhook: str, attempt: int, outcome: str, **details: object
    ) -> None:
        stream, seq = msg.metadata.stream, msg.metadata.sequence.stream
        record = {
            "delivery_id": task.id,
            "owner": owner,
            "webhook": webhook,
            "attempt": attempt,
            "outcome": outcome,
            "at": datetime.now(UTC).isoformat(),
            "task_type": task.event_type,
            "case_id": task.subject,
            "source_stream": stream,
            "source_seq": seq,
            **details,
        }
        await self.js.publish(
            attempts_subject(owner, task.id),
            json.dumps(record).encode(),
            headers={"Nats-Msg-Id": f"attempt:{stream}:{seq}:{webhook}:{attempt}:{outcome}"},
            timeout=self.settings.publish_ack_timeout_s,
        )

    async def dead_letter(
        self, msg: Msg, owner: str, delivery_id: str, attempts: int, failures: dict[str, str]
    ) -> int:
        """Park the task on amv.deadletter.notify.webhooks (AMV_REJECTED); returns its sequence there."""
        stream, seq = msg.metadata.stream, msg.metadata.sequence.stream
        reason = "; ".join(f"{name}: {why}" for name, why in failures.items())
        headers = {
            "Nats-Msg-Id": f"deadletter-webhooks-{stream}-{seq}",
            HEADER_ORIGINAL_SUBJECT: msg.subject,
            HEADER_ORIGINAL_STREAM: stream,
            HEADER_ORIGINAL_SEQUENCE: str(seq),
            HEADER_ERROR_REASON: reason.replace("\r", " ").replace("\n", " ")[:500],
            HEADER_OWNER: owner,
            HEADER_DELIVERY: delivery_id,
            HEADER_WEBHOOKS: ",".join(failures),
            HEADER_ATTEMPTS: str(attempts),
        }
        ack = await self.js.publish(
            DEAD_LETTER_SUBJECT, msg.data, headers=headers, timeout=self.settings.publish_ack_timeout_s
        )
        return ack.seq


def _log_safely(method: Callable[..., object], event: str, **fields: object) -> None:
    """A log line is best effort, as stdlib logging's handlers are: a broken log stream (a closed
    stdout) must neither stop delivery nor turn a delivered task into a retried one."""
    try:
        method(event, **fields)
    except Exception:  # noqa: BLE001
        pass


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
