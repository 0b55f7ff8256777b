"""The consumer loop: pull from a durable consumer, keep each case's messages in order.

FastStream's pull subscriber runs a fetched batch concurrently, which would let a case's second
report overtake its first and be refused as out of order. Here a batch is grouped by case: cases
run concurrently, a case's messages run one after another. A message is acknowledged only after
its handler returned (its effect is stored); a failure naks it with a growing delay, and after
`max_deliver` attempts it is handed to `on_exhausted` (the dead-letter path) and terminated.
"""

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

log = structlog.get_logger()

Handler = Callable[[Msg], Awaitable[str]]
KeyOf = Callable[[Msg], str]
Exhausted = Callable[[Msg, BaseException], Awaitable[None]]


class RetryLater(Exception):
    """The message cannot be decided yet (it waits for a fact another consumer stores): redeliver
    it after a delay. Not a failure; the handler decides what happens on the last attempt."""


def _retry_delay(attempt: int) -> float:
    return min(0.2 * 2 ** (attempt - 1), 30.0)


class CaseOrderedConsumer:
    def __init__(
        self,
        js: JetStreamContext,
        stream: str,
        durable: str,
        handler: Handler,
        key_of: KeyOf,
        on_exhausted: Exhausted,
        max_deliver: int,
        batch: int = 256,
    ) -> None:
        self._js = js
        self._stream = stream
        self._durable = durable
        self._handler = handler
        self._key_of = key_of
        self._on_exhausted = on_exhausted
        self._max_deliver = max_deliver
        self._batch = batch
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        subscription = await self._js.pull_subscribe_bind(durable=self._durable, stream=self._stream)
        log.info("consumer started", consumer=self._durable, stream=self._stream)
        try:
            while not self._stopping.is_set():
                try:
                    messages = await subscription.fetch(self._batch, timeout=1.0)
                except TimeoutError:
                    continue
                groups: dict[str, list[Msg]] = defaultdict(list)
                for msg in messages:
                    groups[self._key_of(msg)].append(msg)
                await asyncio.gather(*(self._run_in_order(group) for group in groups.values()))
        finally:
            await subscription.unsubscribe()

    async def _run_in_order(self, messages: list[Msg]) -> None:
        for index, msg in enumerate(messages):
            if not await self._handle_one(msg):
                # Keep the case's order: what came after a failed message waits for its retry.
                for later in messages[index + 1 :]:
                    await later.nak(delay=_retry_delay(1))
                return

    async def _handle_one(self, msg: Msg) -> bool:
        started = time.perf_counter()
        attempt = msg.metadata.num_delivered
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            consumer=self._durable, subject=msg.subject, stream_seq=msg.metadata.sequence.stream
        )
        try:
            outcome = await self._handler(msg)
        except RetryLater as waiting:
            log.info("waiting, will retry", attempt=attempt, reason=str(waiting))
            await msg.nak(delay=_retry_delay(attempt))
            return False
        except Exception as exc:  # noqa: BLE001 - any failure is retried, then dead-lettered
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            if attempt >= self._max_deliver:
                log.error("handler failed, dead-lettered", attempt=attempt, duration_ms=duration_ms, exc_info=exc)
                await self._on_exhausted(msg, exc)
                await msg.term()
                return True
            log.warning("handler failed, will retry", attempt=attempt, duration_ms=duration_ms, error=repr(exc))
            await msg.nak(delay=_retry_delay(attempt))
            return False
        await msg.ack_sync()
        log.info("handled", outcome=outcome, duration_ms=round((time.perf_counter() - started) * 1000, 2))
        return True
