"""The consumer loop: pull from a durable consumer, keep each case's messages in order.

FastStream's pull subscriber runs a fetched batch concurrently, which would let a case's second
report overtake its first and be refused as out of order. Here a batch is grouped by case: cases
run concurrently, a case's messages run one after another. A message is acknowledged only after
its handler returned (its effect is stored); a failure naks it with a growing delay, and after
`max_deliver` attempts it is handed to `on_exhausted` (the dead-letter path) and terminated.

A case's order also holds across batches: while a message of a case waits for its retry, the
case's later messages (in this batch or a later one) are put back to arrive just after it, so a
filing can never overtake its permit and be refused. Only on its last delivery does a message
go ahead regardless, so that ordering never makes JetStream give up on it.
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
# Told of every attempt: (durable, message, outcome, seconds); failures are "failed-will-retry" or
# "dead-lettered", a message that waits for another service's fact is "waiting" (metrics).
Observe = Callable[[str, Msg, str, float], None]


class RetryLater(Exception):
    """The message cannot be decided yet (it waits for a fact another consumer stores): redeliver
    it after `delay_s`, or a delay growing with each attempt. Not a failure; the handler decides
    what happens on the last attempt."""

    def __init__(self, reason: str, delay_s: float | None = None) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


def _retry_delay(attempt: int) -> float:
    return min(0.2 * 2 ** (attempt - 1), 30.0)


IDLE_PULL_WAIT_S = 1.0  # how long one pull waits for a message when there is no traffic
BUSY_PULL_WAIT_S = 0.005  # with traffic, how long a pull that found nothing lingers for more
HOLD_MARGIN_S = 0.25  # a message waiting behind its case's retried one comes back this much after it
HOLD_GRACE_S = 10.0  # if the retried message has not come back this long after it was due, stop waiting


class Puller:
    """The messages waiting on a pull subscription, up to a batch, without keeping a message
    waiting for more.

    nats-py's `fetch(n)` returns at once what is there, but when nothing is, it keeps its pull
    open until `n` have arrived or the timeout passed: the first message after a quiet moment
    would wait up to a second. So when the last pull found nothing, this waits for one message
    only (returned the moment it arrives), and pulls a batch once there is traffic.
    `next_batch` raises TimeoutError when nothing came."""

    def __init__(self, subscription: JetStreamContext.PullSubscription, batch: int) -> None:
        self._subscription = subscription
        self._batch = batch
        self._busy = False  # the last pull found messages: pull a whole batch next

    async def next_batch(self) -> list[Msg]:
        if self._busy:
            try:
                return await self._subscription.fetch(self._batch, timeout=BUSY_PULL_WAIT_S)
            except TimeoutError:
                self._busy = False
                raise
        messages = await self._subscription.fetch(1, timeout=IDLE_PULL_WAIT_S)
        self._busy = True
        return messages


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
        observe: Observe | None = None,
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
        # case key -> (stream sequence of its message waiting for a retry, when that retry is due)
        self._held: dict[str, tuple[int, float]] = {}
        self._observe = observe or (lambda durable, msg, outcome, seconds: None)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        subscription = await self._js.pull_subscribe_bind(durable=self._durable, stream=self._stream)
        puller = Puller(subscription, self._batch)
        log.info("consumer started", consumer=self._durable, stream=self._stream)
        try:
            while not self._stopping.is_set():
                try:
                    messages = await puller.next_batch()
                except TimeoutError:
                    continue
                except Exception as exc:  # noqa: BLE001 - connection lost or server busy: pull again
                    log.warning("fetch failed, will pull again", consumer=self._durable, error=repr(exc))
                    await asyncio.sleep(0.5)
                    continue
                groups: dict[str, list[Msg]] = defaultdict(list)
                for msg in messages:
                    groups[self._safe_key(msg)].append(msg)
                # An ack or nak that fails (connection lost, server too slow to confirm) must not end
                # this loop: the message stays unacknowledged and is redelivered after ack_wait.
                results = await asyncio.gather(
                    *(self._run_in_order(key, group) for key, group in groups.items()), return_exceptions=True
                )
                for failure in (r for r in results if isinstance(r, BaseException)):
                    log.warning("batch interrupted, unacknowledged messages will be redelivered",
                                consumer=self._durable, error=repr(failure))
        finally:
            await subscription.unsubscribe()

    def _safe_key(self, msg: Msg) -> str:
        """The message's ordering key; a message whose key cannot be read (hostile input) stands alone."""
        try:
            return self._key_of(msg)
        except Exception:  # noqa: BLE001
            return f"unkeyed-{msg.metadata.sequence.stream}"

    async def _run_in_order(self, key: str, messages: list[Msg]) -> None:
        for msg in messages:
            wait = self._wait_behind(key, msg)
            if wait is not None:  # an earlier message of the case waits for its retry: come back after it
                log.info("waiting behind an earlier message of the case", consumer=self._durable,
                         stream_seq=msg.metadata.sequence.stream, held=self._held[key][0], delay_s=round(wait, 2))
                await msg.nak(delay=wait)
            elif (retry_in := await self._handle_one(msg)) is None:
                if self._held.get(key, (None,))[0] == msg.metadata.sequence.stream:
                    del self._held[key]
            else:
                self._held[key] = (msg.metadata.sequence.stream, asyncio.get_running_loop().time() + retry_in)

    def _wait_behind(self, key: str, msg: Msg) -> float | None:
        """How long `msg` must wait for an earlier message of its case that is being retried; None:
        handle it now (nothing earlier waits, it is that message, or this is its last delivery)."""
        held = self._held.get(key)
        if held is None:
            return None
        held_seq, due = held
        now = asyncio.get_running_loop().time()
        if now > due + HOLD_GRACE_S:  # the retried message did not come back: stop holding the case
            del self._held[key]
            return None
        if msg.metadata.sequence.stream <= held_seq or msg.metadata.num_delivered >= self._max_deliver:
            return None
        return max(due - now, 0.0) + HOLD_MARGIN_S

    async def _handle_one(self, msg: Msg) -> float | None:
        """Handle one message: None when it is done with, else the seconds until it comes back."""
        started = time.perf_counter()
        attempt = msg.metadata.num_delivered
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            consumer=self._durable, subject=msg.subject, stream_seq=msg.metadata.sequence.stream
        )
        try:
            outcome = await self._handler(msg)
        except RetryLater as waiting:
            self._observe(self._durable, msg, "waiting", time.perf_counter() - started)
            log.info("waiting, will retry", outcome="waiting", attempt=attempt, reason=str(waiting),
                     duration_ms=round((time.perf_counter() - started) * 1000, 2))
            delay = waiting.delay_s if waiting.delay_s is not None else _retry_delay(attempt)
            await msg.nak(delay=delay)
            return delay
        except Exception as exc:  # noqa: BLE001 - any failure is retried, then dead-lettered
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            if attempt >= self._max_deliver:
                self._observe(self._durable, msg, "dead-lettered", time.perf_counter() - started)
                log.error("handler failed, dead-lettered", outcome="dead-lettered", attempt=attempt,
                          duration_ms=duration_ms, exc_info=exc)
                await self._on_exhausted(msg, exc)
                await msg.term()
                return None
            self._observe(self._durable, msg, "failed-will-retry", time.perf_counter() - started)
            log.warning("handler failed, will retry", outcome="failed-will-retry", attempt=attempt,
                        duration_ms=duration_ms, error=repr(exc))
            await msg.nak(delay=_retry_delay(attempt))
            return _retry_delay(attempt)
        # Not ack_sync: a lost ack only redelivers the message, which the handlers recognise
        # (deterministic ids, the version check); waiting for the server's answer cost a round trip each.
        await msg.ack()
        self._observe(self._durable, msg, outcome, time.perf_counter() - started)
        log.info("handled", outcome=outcome, duration_ms=round((time.perf_counter() - started) * 1000, 2))
        return None
