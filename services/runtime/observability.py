"""What an operator (and Prometheus, docker, Kubernetes) can ask a running service over HTTP.

One small HTTP server per service (Starlette on uvicorn, services/runtime/http.py), on its own port
(WO_METRICS_PORT; 0 switches it off):

    GET /healthz            200 while the process and its consumer loops run (liveness)
    GET /readyz             200 when connected to NATS, every stream exists and the read model has
                            caught up with the event store; 503 with the failing checks otherwise
    GET /metrics            Prometheus text format (see `ServiceMetrics`)
    GET /projection/digest  a stable hash of the service's read model and the stream sequence it
                            reflects; `?at_least=<seq>` waits until the read model got that far.
                            `overdracht replay SERVICE` compares it with a read model rebuilt from
                            the store.

The server only reads: nothing here changes the system. The metrics are counts, never case data.
"""

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any, Protocol

import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from contracts import subjects
from contracts.clock import day_of
from contracts.events import EVENT_TYPES
from services.runtime import provision
from services.runtime.decider import Decider
from services.runtime.http import HttpServer

log = structlog.get_logger()

REFRESH_INTERVAL_S = 2.0  # how often consumer lag, dead letters and the current day are read from NATS
READY_PROJECTION_WAIT_S = 2.0
DIGEST_WAIT_MAX_S = 30.0
FAILED_OUTCOMES = frozenset({"failed-will-retry", "dead-lettered"})
CLOSED_TASK_STATUSES = frozenset({"draft", "completed", "rejected", "cancelled"})


class ObservedService(Protocol):
    """What the endpoints read of a running service (services/runtime/service.py's ServiceRuntime);
    a protocol, so that this module does not import the runtime that imports it. `projection` (the
    read model, with `cases`, `last_seq` and `caught_up`) is set once the service started it."""

    name: str
    decider: Decider
    nc: NATS

    def consumer_tasks(self) -> list[asyncio.Task[None]]: ...


# --- the read model's digest ---------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """`value` as plain JSON data in one fixed form: dataclasses and pydantic models by field,
    sets sorted, dates as ISO text. Two read models hold the same facts iff their forms are equal."""
    if isinstance(value, BaseModel):
        return {"__type__": type(value).__name__, **canonical(value.model_dump(mode="json"))}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__type__": type(value).__name__, **fields}
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return canonical(value.value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} into a read model digest")


def projection_digest(cases: dict[str, Any]) -> str:
    """sha256 of the canonical form of every case of a read model."""
    text = json.dumps(canonical(cases), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --- metrics -------------------------------------------------------------------------------------


def event_type_of(subject: str) -> str:
    """The event type a consumed message is about, from its subject; 'unknown' for anything that
    is not a known type (partners choose inbox subjects: they must not choose our label values)."""
    if subject == subjects.CLOCK_DAY:
        return "DayStarted"
    last = subject.rsplit(".", 1)[-1]
    return last if last in EVENT_TYPES else "unknown"


def outcome_label(outcome: str) -> str:
    """A handler's outcome as a label of few values: 'day-2026-03-01: 2 cases' counts as 'day'."""
    return "day" if outcome.startswith("day-") else outcome.split(":", 1)[0][:40]


def open_and_overdue_tasks(cases: Iterable[Any], today: date | None) -> tuple[int, int]:
    """notify's tasks still open (delivered, not closed), and those of them nobody accepted by their
    due date (what rule 10 escalates) as of `today`, the latest day started."""
    open_count = overdue = 0
    for case in cases:
        for task in case.tasks.values():
            if task.status in CLOSED_TASK_STATUSES:
                continue
            open_count += 1
            if task.status == "requested" and today is not None and today > task.due:
                overdue += 1
    return open_count, overdue


class ServiceMetrics:
    """The Prometheus metrics of one service, in a registry of its own (several services may share
    a process in tests)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.today: date | None = None  # the latest day started (for overdue tasks)
        self._clock_readable = True  # a service's NATS user may not read AMV_CLOCK directly
        self.handled = Counter(
            "wo_events_handled",
            "Messages a consumer handled, by event type and outcome (stored, duplicate, rejected, reacted, day, ...).",
            ["service", "consumer", "event_type", "outcome"],
            registry=self.registry,
        )
        self.failed = Counter(
            "wo_events_failed",
            "Messages whose handler failed: outcome failed-will-retry (redelivered later) or dead-lettered.",
            ["service", "consumer", "event_type", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "wo_event_handling_seconds",
            "Time to handle one message, from the handler's start to its acknowledgement.",
            ["service", "consumer"],
            registry=self.registry,
        )
        self.consumer_pending = Gauge(
            "wo_consumer_pending_messages",
            "Consumer lag: messages in the stream the durable consumer has not delivered yet (num_pending).",
            ["service", "consumer", "stream"],
            registry=self.registry,
        )
        self.consumer_ack_pending = Gauge(
            "wo_consumer_ack_pending_messages",
            "Messages delivered to the durable consumer and not acknowledged yet (num_ack_pending).",
            ["service", "consumer", "stream"],
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "wo_dead_letters",
            "Messages parked on amv.deadletter.<service>.> after every delivery attempt failed.",
            ["service"],
            registry=self.registry,
        )
        self.projection_lag = Gauge(
            "wo_projection_lag_events",
            "Events stored in AMV_EVENTS that the service's read model has not folded in yet.",
            ["service"],
            registry=self.registry,
        )
        self.refresh_errors = Counter(
            "wo_metrics_refresh_errors",
            "Failed attempts to read consumer lag and dead letters from NATS.",
            ["service"],
            registry=self.registry,
        )

    def observe(self, consumer: str, msg: Msg, outcome: str, seconds: float) -> None:
        """Called by the consumer loop once per message attempt."""
        labels = (self.service, consumer, event_type_of(msg.subject), outcome_label(outcome))
        (self.failed if outcome in FAILED_OUTCOMES else self.handled).labels(*labels).inc()
        self.duration.labels(self.service, consumer).observe(seconds)
        if msg.subject == subjects.CLOCK_DAY and outcome.startswith("day-"):
            self.saw_day(day_of(msg.data, msg.metadata.timestamp))

    def saw_day(self, day: object) -> None:
        if isinstance(day, date) and (self.today is None or day > self.today):
            self.today = day

    def watch_read_model(self, runtime: ObservedService) -> None:
        """Gauges computed from the service's read model when scraped: notify's open and overdue
        tasks, guardianship's open support gaps."""

        def cases() -> list[Any]:
            projection = getattr(runtime, "projection", None)
            return list(projection.cases.values()) if projection is not None else []

        Gauge(
            "wo_cases_parked",
            "Cases this service set aside because deciding or folding them failed (overdracht parked).",
            ["service"],
            registry=self.registry,
        ).labels(self.service).set_function(
            lambda: len(parking.cases) if (parking := getattr(runtime, "parking", None)) is not None else 0
        )
        if runtime.name == "notify":
            Gauge(
                "wo_tasks_open", "Tasks delivered to an organisation and not completed, declined or cancelled.",
                registry=self.registry,
            ).set_function(lambda: open_and_overdue_tasks(cases(), self.today)[0])
            Gauge(
                "wo_tasks_overdue",
                "Open tasks nobody accepted by their due date, as of the latest DayStarted (rule 10 escalates them).",
                registry=self.registry,
            ).set_function(lambda: open_and_overdue_tasks(cases(), self.today)[1])
        if runtime.name == "guardianship":
            Gauge(
                "wo_support_gaps_open",
                "Cases whose support ended with nobody taking over (SupportGapDetected, not closed yet).",
                registry=self.registry,
            ).set_function(lambda: sum(1 for case in cases() if case.open_gap is not None))

    async def refresh(self, runtime: ObservedService) -> None:
        """Read what lives in NATS: each durable consumer's lag, the dead letters, today's date."""
        js = runtime.nc.jetstream(timeout=5)
        for spec in provision.consumers_of(runtime.decider):
            info = await js.consumer_info(spec.stream, spec.durable)
            self.consumer_pending.labels(self.service, spec.durable, spec.stream).set(info.num_pending or 0)
            self.consumer_ack_pending.labels(self.service, spec.durable, spec.stream).set(info.num_ack_pending or 0)
        parked = await js.stream_info(
            provision.REJECTED_STREAM, subjects_filter=f"{subjects.DEAD_LETTER_PREFIX}.{self.service}.>"
        )
        self.dead_letters.labels(self.service).set(sum((parked.state.subjects or {}).values()))
        projection = getattr(runtime, "projection", None)
        if projection is not None:
            self.projection_lag.labels(self.service).set(await projection.behind())
        if self._clock_readable and (await js.stream_info(provision.CLOCK_STREAM)).state.messages:
            try:  # the last day started before this process did; later ones arrive through `observe`
                last = await js.get_last_msg(provision.CLOCK_STREAM, subjects.CLOCK_DAY)
            except Exception:  # noqa: BLE001 - not permitted for this NATS user: wait for the next day
                self._clock_readable = False
                log.info("the clock stream is not readable here: overdue tasks count from the next day started")
            else:
                self.saw_day(day_of(last.data or b"", last.time))


# --- the HTTP server -----------------------------------------------------------------------------


class ServiceEndpoints:
    """/healthz, /readyz, /metrics and /projection/digest of one service (see the module docstring)."""

    def __init__(self, runtime: ObservedService, metrics: ServiceMetrics, port: int, host: str = "127.0.0.1") -> None:
        self.runtime = runtime
        self.metrics = metrics
        self.port = port
        self.host = host
        self.started = time.time()
        self._server: HttpServer | None = None
        self._refresher: asyncio.Task[None] | None = None

    def application(self) -> Starlette:
        return Starlette(routes=[
            Route("/healthz", self.healthz),
            Route("/readyz", self.readyz),
            Route("/metrics", self.metrics_page),
            Route("/projection/digest", self.digest),
        ])

    async def start(self) -> None:
        server = HttpServer(self.application(), self.host, self.port, f"{self.runtime.name}-endpoints")
        try:
            await server.start()
        except OSError as exc:
            raise RuntimeError(f"{self.runtime.name}: cannot serve /healthz and /metrics on port {self.port}: {exc}") from exc
        self._server = server
        self._refresher = asyncio.create_task(self._refresh_forever(), name=f"{self.runtime.name}-metrics")
        log.info("http endpoints started", service=self.runtime.name, port=self.port,
                 paths=["/healthz", "/readyz", "/metrics", "/projection/digest"])

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
            self._refresher = None
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def _refresh_forever(self) -> None:
        while True:
            started = self.runtime.consumer_tasks()  # before that, streams and consumers may not exist yet
            if started and self.runtime.nc.is_connected:
                try:
                    await self.metrics.refresh(self.runtime)
                except Exception as exc:  # noqa: BLE001 - a failed refresh leaves the old values, and says so
                    self.metrics.refresh_errors.labels(self.runtime.name).inc()
                    log.warning("metrics refresh failed", error=repr(exc))
            await asyncio.sleep(REFRESH_INTERVAL_S)

    # --- handlers ---

    async def healthz(self, request: Request) -> Response:
        """Alive: the process answers, its NATS connection is not closed for good (a reconnecting one
        is alive; not ready) and none of its consumer loops has died."""
        dead = [task.get_name() for task in self.runtime.consumer_tasks() if task.done()]
        nc = getattr(self.runtime, "nc", None)
        closed = nc is not None and nc.is_closed
        alive = not dead and not closed
        body = {"service": self.runtime.name, "alive": alive, "uptime_s": round(time.time() - self.started, 1)}
        if dead:
            body["dead_consumers"] = dead
        if closed:
            body["nats"] = "connection closed"
        return JSONResponse(body, status_code=200 if alive else 503)

    async def readyz(self, request: Request) -> Response:
        checks = await self.readiness()
        ready = all(check == "ok" for check in checks.values())
        return JSONResponse({"service": self.runtime.name, "ready": ready, "checks": checks}, status_code=200 if ready else 503)
    async def readiness(self) -> dict[str, str]:
        runtime = self.runtime
        nc = getattr(runtime, "nc", None)
        if nc is None or not nc.is_connected:
            return {"nats": "not connected", "streams": "unknown", "consumers": "unknown", "projection": "unknown"}
        checks = {"nats": "ok"}
        js = nc.jetstream(timeout=2)
        missing = []
        for config in provision.stream_configs():
            try:
                await js.stream_info(config.name)
            except Exception:  # noqa: BLE001 - absent, or NATS did not answer: either way not ready
                missing.append(config.name)
        checks["streams"] = "ok" if not missing else f"missing: {', '.join(missing)}"
        tasks = runtime.consumer_tasks()
        if not tasks:
            checks["consumers"] = "not started"
        else:
            dead = [task.get_name() for task in tasks if task.done()]
            checks["consumers"] = "ok" if not dead else f"stopped: {', '.join(dead)}"
        projection = getattr(runtime, "projection", None)
        if projection is None:
            checks["projection"] = "not started"
        else:
            try:
                if projection.stalled:
                    raise RuntimeError(projection.stalled)
                await projection.caught_up(READY_PROJECTION_WAIT_S)
                checks["projection"] = "ok"
            except Exception as exc:  # noqa: BLE001 - TimeoutError while catching up, or NATS errors
                checks["projection"] = f"catching up: {exc}"
        return checks

    async def metrics_page(self, request: Request) -> Response:
        return Response(generate_latest(self.metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def digest(self, request: Request) -> Response:
        projection = getattr(self.runtime, "projection", None)
        if projection is None:
            return JSONResponse({"service": self.runtime.name, "error": "read model not started"}, status_code=503)
        try:
            at_least = int(request.query_params.get("at_least", "0"))
        except ValueError:
            return JSONResponse({"error": "at_least must be a stream sequence number"}, status_code=400)
        deadline = asyncio.get_running_loop().time() + DIGEST_WAIT_MAX_S
        while projection.last_seq < at_least:
            if asyncio.get_running_loop().time() > deadline:
                return JSONResponse(
                    {"service": self.runtime.name, "error": f"read model at {projection.last_seq}, not {at_least}"},
                    status_code=503,
                )
            await asyncio.sleep(0.01)
        # No await from here on: the digest and the sequence describe the same moment.
        return JSONResponse(
            {
                "service": self.runtime.name,
                "digest": projection_digest(projection.cases),
                "last_seq": projection.last_seq,
                "cases": len(projection.cases),
            }
        )
