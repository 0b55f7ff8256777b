"""`overdracht`: the operator's command line. Every command has `--help`; docs/operations.md says
which command repairs what.

It talks to NATS (`--nats-url`, env NATS_URL; credentials from env NATS_USER and NATS_PASSWORD) and,
for `status` and `replay`, to the services' HTTP endpoints (WO_METRICS_PORT, see
services/runtime/observability.py). Exit codes: 0 done and all well; 1 the command ran and found a
problem or refused the input (a difference, an invalid event, a service down); 2 bad arguments, or
a function this installation does not have; 3 NATS or a service could not be reached.
"""

import asyncio
import importlib
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import aiohttp
import nats
import structlog
import nats.errors
import nats.js.errors
import typer
from nats.aio.client import Client as NATS
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from contracts import subjects
from contracts.ids import CaseId, organisation_kind
from contracts.inbox import Rejection, parse_inbox_message
from ops.partner import publish_raw, start_day
from services.casefold import fold
from services.notify import state as notify_state
from services.monitoring.timeline import timeline as timeline_lines
from services.runtime import natsauth, provision
from services.runtime.eventstore import EVENTS_STREAM, decode, read_stream
from services.runtime.observability import projection_digest
from services.runtime.projection import Projection
from services.runtime.supervisor import SERVICES

OK, PROBLEM, USAGE, UNREACHABLE = 0, 1, 2, 3
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
DEFAULT_METRICS_PORT = 9100  # the first of `make run`'s ports: intake, then guardianship, housing, notify
HTTP_TIMEOUT_S = 5.0
REPLAY_ATTEMPTS = 5

# Tables are not cut to 80 columns when the output goes to a file or a pipe.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)

app = typer.Typer(
    name="overdracht",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold the NATS password
    rich_markup_mode="markdown",
)
rejected_app = typer.Typer(help="Reports the system refused (stream AMV_REJECTED, `amv.rejected.<org>.<EventType>`).",
                           no_args_is_help=True)
dead_letters_app = typer.Typer(help="Messages that failed every attempt (`amv.deadletter.<service>.<consumer>`).",
                               no_args_is_help=True)
app.add_typer(rejected_app, name="rejected")
app.add_typer(dead_letters_app, name="dead-letters")


class OpsError(Exception):
    """A failure the operator can act on: printed as one line, no traceback, with an exit code."""

    def __init__(self, message: str, code: int = PROBLEM) -> None:
        super().__init__(message)
        self.code = code


class Service(str, Enum):
    intake = "intake"
    guardianship = "guardianship"
    housing = "housing"
    notify = "notify"


@dataclass
class Target:
    """Where the system is: NATS, and each service's HTTP endpoints (None: not known)."""

    nats_url: str
    login: dict[str, str] = field(default_factory=dict)  # nats.connect keywords: user, password, inbox_prefix
    service_urls: dict[str, str | None] = field(default_factory=dict)


# --- plumbing: connecting, running, failing clearly ----------------------------------------------


def nats_servers(url: str) -> list[tuple[str, str, int]]:
    """(url, host, port) of each server in a comma-separated NATS URL; OpsError(USAGE) when malformed."""
    servers = []
    for part in (p.strip() for p in url.split(",")):
        parsed = urlparse(part if "://" in part else f"nats://{part}")
        try:
            port = parsed.port or 4222
        except ValueError:
            port = None
        if parsed.scheme not in ("nats", "tls", "ws", "wss") or not parsed.hostname or port is None:
            raise OpsError(f"--nats-url: '{part}' is not a NATS URL like nats://127.0.0.1:4222", USAGE)
        servers.append((part, parsed.hostname, port))
    return servers


def accepts_connections(host: str, port: int, timeout_s: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


async def connect(target: Target) -> NATS:
    """Connect once, failing fast: nats-py would keep retrying a refused first connection, so the
    socket is tried first, and the client never reconnects."""
    servers = nats_servers(target.nats_url)
    if not any(accepts_connections(host, port) for _, host, port in servers):
        raise OpsError(
            f"cannot reach NATS at {target.nats_url}: nothing accepts connections there. "
            "Is the system running (make run, docker-compose), and is --nats-url / NATS_URL right?",
            UNREACHABLE,
        )

    async def quiet(exc: Exception) -> None:  # the failure is reported once, below
        pass

    try:
        return await nats.connect(
            [url for url, _, _ in servers], connect_timeout=3, allow_reconnect=False, max_reconnect_attempts=1,
            error_cb=quiet, **target.login,
        )
    except Exception as exc:  # noqa: BLE001 - any failure to connect is reported the same way
        reason = "the credentials were refused (NATS_USER / NATS_PASSWORD)" if "uthoriz" in repr(exc) else repr(exc)
        raise OpsError(f"cannot connect to NATS at {target.nats_url}: {reason}", UNREACHABLE) from exc


def run(ctx: typer.Context, work: Callable[[NATS], Awaitable[int | None]]) -> None:
    """Connect, do `work`, close; turn every expected failure into a one-line message and exit code."""
    target: Target = ctx.obj

    async def main() -> int:
        nc = await connect(target)
        try:
            return await work(nc) or OK
        finally:
            await nc.close()

    try:
        code = asyncio.run(main())
    except OpsError as exc:
        err.print(f"error: {exc}", highlight=False)
        raise typer.Exit(exc.code) from None
    except nats.js.errors.NotFoundError as exc:
        err.print(f"error: not found in JetStream ({exc.description}): has the system been started once, "
                  "so that its streams and consumers exist?", highlight=False)
        raise typer.Exit(PROBLEM) from None
    except nats.errors.NoRespondersError:
        err.print("error: JetStream did not answer: is JetStream enabled on this NATS server?", highlight=False)
        raise typer.Exit(UNREACHABLE) from None
    except (TimeoutError, nats.errors.ConnectionClosedError) as exc:
        err.print(f"error: NATS stopped answering ({type(exc).__name__}); try again, or check the server", highlight=False)
        raise typer.Exit(UNREACHABLE) from None
    raise typer.Exit(code)


def progress() -> Progress:
    """A progress bar on stderr (stdout stays clean for --json); invisible when stderr is no terminal."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    )


def table(title: str, *columns: str, right: tuple[str, ...] = ()) -> Table:
    """A table whose cells wrap instead of being cut off."""
    found = Table(title=title, title_justify="left")
    for column in columns:
        found.add_column(column, justify="right" if column in right else "left", overflow="fold")
    return found


def quiet_logs() -> None:
    """Library log lines (the read model's, nats-py's) go to stderr, warnings and worse only."""
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )


def as_json(value: Any) -> str:
    def default(item: Any) -> Any:
        if isinstance(item, (date, datetime)):
            return item.isoformat()
        if is_dataclass(item):
            return asdict(item)
        if isinstance(item, (set, frozenset, tuple)):
            return list(item)
        if hasattr(item, "model_dump"):
            return item.model_dump(mode="json")
        return str(item)

    return json.dumps(value, indent=2, default=default)


def valid_case_id(value: str) -> str:
    try:
        return TypeAdapter(CaseId).validate_python(value)
    except ValidationError:
        raise typer.BadParameter(
            f"'{value}' is not a case id: 6-64 lowercase letters, digits or '-', not digits only (e.g. case-7f3a9c21)"
        ) from None


def valid_org(value: str) -> str:
    if organisation_kind(value) is None:
        raise typer.BadParameter(
            f"'{value}' is not an organisation id (e.g. nidos, ind, coa, gm0855, regie-gm0855, wijkteam-gm0855, vwn-gm0855)"
        )
    return value


async def http_json(url: str) -> tuple[int, dict]:
    """(status, body) of GET `url`; OpsError(UNREACHABLE) when nothing answers."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)) as session:
            async with session.get(url) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = {}
                return response.status, body if isinstance(body, dict) else {}
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise OpsError(f"no answer from {url}: {exc.__class__.__name__} {exc}".strip(), UNREACHABLE) from exc


@app.callback()
def main(
    ctx: typer.Context,
    nats_url: Annotated[str, typer.Option(envvar="NATS_URL", help="NATS server(s), comma-separated.")] = DEFAULT_NATS_URL,
    metrics_host: Annotated[
        str, typer.Option(envvar="WO_METRICS_HOST", help="Host of the services' HTTP endpoints (status, replay).")
    ] = "127.0.0.1",
    metrics_port: Annotated[
        int,
        typer.Option(
            envvar="WO_METRICS_PORT", min=0, max=65535,
            help="Port of intake's HTTP endpoints; guardianship, housing and notify use the next three, "
            "as `make run` assigns them. 0: do not ask the services over HTTP.",
        ),
    ] = DEFAULT_METRICS_PORT,
    service_url: Annotated[
        list[str] | None,
        typer.Option(
            "--service-url", metavar="SERVICE=URL",
            help="HTTP address of one service, e.g. notify=http://10.0.0.5:9100 (repeatable; overrides --metrics-port).",
        ),
    ] = None,
) -> None:
    """Operate Warme Overdracht: see its state, repair it, replay it. Every command explains itself with --help.

    Credentials, when NATS requires them: NATS_USER and NATS_PASSWORD from the environment, else
    the `ops` login of `make run` (WO_DATA_DIR/credentials.json). The runbook is docs/operations.md.

    Exit codes: 0 all well; 1 a problem found or input refused; 2 bad arguments or not available;
    3 NATS or a service unreachable.
    """
    quiet_logs()
    urls: dict[str, str | None] = {
        name: f"http://{metrics_host}:{metrics_port + index}" if metrics_port else None
        for index, name in enumerate(SERVICES)
    }
    for item in service_url or []:
        name, _, url = item.partition("=")
        if name not in SERVICES or not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"'{item}' is not SERVICE=URL with SERVICE one of {', '.join(SERVICES)}",
                                     param_hint="--service-url")
        urls[name] = url.rstrip("/")
    # As every operator tool: NATS_USER/NATS_PASSWORD, else `make run`'s dev credentials, else none.
    dev_credentials = Path(os.environ.get("WO_DATA_DIR", "var")) / natsauth.CREDENTIALS_FILE
    ctx.obj = Target(nats_url, natsauth.client_options(natsauth.OPS_USER, dev_credentials), urls)


# --- status --------------------------------------------------------------------------------------


async def consumer_states(nc: NATS) -> list[dict]:
    js = nc.jetstream(timeout=5)
    found = []
    for spec in provision.consumers():
        row = {"service": spec.service, "stream": spec.stream, "consumer": spec.durable}
        try:
            info = await js.consumer_info(spec.stream, spec.durable)
        except nats.js.errors.NotFoundError:
            found.append(row | {"missing": True})
            continue
        found.append(row | {
            "missing": False,
            "pending": info.num_pending or 0,
            "ack_pending": info.num_ack_pending or 0,
            "redelivered": info.num_redelivered or 0,
            "waiting_pulls": info.num_waiting or 0,
        })
    return found


async def stream_states(nc: NATS) -> list[dict]:
    js = nc.jetstream(timeout=5)
    found = []
    for config in provision.stream_configs():
        try:
            info = await js.stream_info(config.name)
        except nats.js.errors.NotFoundError:
            found.append({"stream": config.name, "missing": True})
            continue
        state = info.state
        found.append({"stream": config.name, "missing": False, "messages": state.messages, "bytes": state.bytes,
                      "first_seq": state.first_seq, "last_seq": state.last_seq,
                      "replicas": info.config.num_replicas})
    return found


async def subjects_of(nc: NATS, stream: str, subject_filter: str) -> dict[str, int]:
    info = await nc.jetstream(timeout=5).stream_info(stream, subjects_filter=subject_filter)
    return dict(info.state.subjects or {})


async def open_support_gaps(nc: NATS) -> list[str]:
    """Cases with a SupportGapDetected and no SupportGapClosed yet (a case's support ends once)."""

    def cases(counts: dict[str, int]) -> set[str]:
        return {subject.split(".")[3] for subject in counts}

    detected = cases(await subjects_of(nc, EVENTS_STREAM, subjects.events_of_type("SupportGapDetected")))
    closed = cases(await subjects_of(nc, EVENTS_STREAM, subjects.events_of_type("SupportGapClosed")))
    return sorted(detected - closed)


async def service_states(target: Target, consumers: list[dict]) -> list[dict]:
    """Per service: is it alive? Its /healthz and /readyz when they answer; otherwise whether its
    consumer loops are pulling (a waiting pull or messages in hand)."""
    found = []
    for name in SERVICES:
        own = [c for c in consumers if c["service"] == name and not c["missing"]]
        pulling = any(c["waiting_pulls"] or c["ack_pending"] for c in own)
        row: dict[str, Any] = {"service": name, "pulling": pulling, "url": target.service_urls.get(name)}
        if row["url"]:
            try:
                health, _ = await http_json(f"{row['url']}/healthz")
                ready, readiness = await http_json(f"{row['url']}/readyz")
                row |= {"alive": health == 200, "ready": ready == 200, "checks": readiness.get("checks", {})}
            except OpsError as exc:  # no endpoint there (not published, or the service is gone): ask NATS
                row |= {"alive": pulling, "ready": None, "checks": {"http": str(exc)}}
        else:
            row |= {"alive": pulling, "ready": None, "checks": {}}
        found.append(row)
    return found


async def sampled_consumer_states(nc: NATS, samples: int = 4) -> list[dict]:
    """Consumer states, sampled a few times: a consumer loop's pull request is briefly absent
    between two fetches; a service counts as pulling if any sample shows its pull."""
    states = await consumer_states(nc)
    for _ in range(samples - 1):
        pulling = {c["service"] for c in states if not c["missing"] and (c["waiting_pulls"] or c["ack_pending"])}
        if pulling >= set(SERVICES):
            break
        await asyncio.sleep(0.3)
        for fresh, old in zip(await consumer_states(nc), states, strict=True):
            if not fresh["missing"] and not old["missing"]:
                old["waiting_pulls"] = max(old["waiting_pulls"], fresh["waiting_pulls"])
                old["ack_pending"] = max(old["ack_pending"], fresh["ack_pending"])
    return states


@app.command()
def status(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Is everything running? Services, consumer lag, stream sizes, dead letters, open support gaps.

    Services: alive (/healthz, or else whether their consumers are being pulled) and ready
    (/readyz). Consumers: messages pending (lag), unacknowledged, redelivered. Streams: messages
    and bytes. Then the dead letters, the refused reports and the cases with an open support gap.

    Exits 1 when a service is down or not ready, a stream or consumer is missing, or support gaps
    are open: look at the table, then at docs/operations.md, "Alerts".
    """

    async def work(nc: NATS) -> int:
        consumers = await sampled_consumer_states(nc)
        report = {
            "services": await service_states(ctx.obj, consumers),
            "consumers": consumers,
            "streams": await stream_states(nc),
            "open_support_gaps": await open_support_gaps(nc),
            "dead_letters": await subjects_of(nc, provision.REJECTED_STREAM, f"{subjects.DEAD_LETTER_PREFIX}.>"),
            "rejected": sum((await subjects_of(nc, provision.REJECTED_STREAM, f"{subjects.REJECTED_PREFIX}.>")).values()),
        }
        problems = status_problems(report)
        report["problems"] = problems
        if json_output:
            out.print_json(as_json(report))
        else:
            print_status(report)
        return PROBLEM if problems else OK

    run(ctx, work)


def status_problems(report: dict) -> list[str]:
    problems = []
    for s in report["services"]:
        if not s["alive"]:
            problems.append(f"service {s['service']} is down")
        elif s["ready"] is False:
            failing = {k: v for k, v in s["checks"].items() if v != "ok"}
            problems.append(f"service {s['service']} is not ready: {failing}")
    problems += [f"consumer {c['consumer']} does not exist" for c in report["consumers"] if c["missing"]]
    problems += [f"stream {s['stream']} does not exist" for s in report["streams"] if s["missing"]]
    if report["open_support_gaps"]:
        problems.append(f"{len(report['open_support_gaps'])} open support gap(s)")
    return problems


def print_status(report: dict) -> None:
    services = table("Services", "service", "alive", "ready", "pulling", "endpoint", "checks")
    for s in report["services"]:
        failing = ", ".join(f"{k}: {v}" for k, v in s["checks"].items() if v != "ok")
        ready = "-" if s["ready"] is None else "yes" if s["ready"] else "NO"
        services.add_row(s["service"], "yes" if s["alive"] else "DOWN", ready, "yes" if s["pulling"] else "no",
                         s["url"] or "(not configured)", failing)
    numbers = ("pending", "ack pending", "redelivered", "waiting pulls")
    consumers = table("Consumers (lag = pending)", "service", "consumer", "stream", *numbers, right=numbers)
    for c in report["consumers"]:
        if c["missing"]:
            consumers.add_row(c["service"], c["consumer"], c["stream"], "MISSING", "", "", "")
        else:
            consumers.add_row(c["service"], c["consumer"], c["stream"], str(c["pending"]), str(c["ack_pending"]),
                              str(c["redelivered"]), str(c["waiting_pulls"]))
    numbers = ("messages", "bytes", "first seq", "last seq", "replicas")
    streams = table("Streams", "stream", *numbers, right=numbers)
    for s in report["streams"]:
        if s["missing"]:
            streams.add_row(s["stream"], "MISSING", "", "", "", "")
        else:
            streams.add_row(s["stream"], str(s["messages"]), str(s["bytes"]), str(s["first_seq"]), str(s["last_seq"]),
                            str(s["replicas"]))
    for shown in (services, consumers, streams):
        out.print(shown)
    dead = report["dead_letters"]
    out.print(f"Dead letters: {sum(dead.values())}" + "".join(f"\n  {k}: {v}" for k, v in sorted(dead.items())))
    out.print(f"Refused reports (AMV_REJECTED): {report['rejected']}")
    gaps = report["open_support_gaps"]
    out.print(f"Open support gaps: {len(gaps)}" + "".join(f"\n  {case}" for case in gaps))
    if report["problems"]:
        out.print("PROBLEMS:\n" + "\n".join(f"  - {p}" for p in report["problems"]), highlight=False)
    else:
        out.print("All well.")


# --- timeline, tasks -----------------------------------------------------------------------------


@app.command()
def timeline(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The pseudonymous case id, e.g. case-7f3a9c21.", callback=valid_case_id)],
) -> None:
    """A case's history in plain language: every stored fact and decision, in order, with who did it.

    Read from the event store (AMV_EVENTS); exits 1 when nothing is stored for the case.
    """

    async def work(nc: NATS) -> int:
        events = [decode(m.data) for m in await read_stream(nc, EVENTS_STREAM, f"{subjects.EVENTS_PREFIX}.*.{case}.>")]
        if not events:
            raise OpsError(f"no events are stored for case {case}")
        out.print(f"Timeline of {case} ({len(events)} events)", highlight=False)
        for line in timeline_lines(events):
            out.print(f"  {line}", highlight=False, markup=False)
        return OK

    run(ctx, work)


async def tasks_of(nc: NATS, org: str) -> list[dict]:
    """The tasks delivered to `org` (AMV_TASKS) and where each stands now (notify's fold of its case)."""
    delivered = [decode(m.data) for m in await read_stream(nc, provision.TASKS_STREAM, f"{subjects.TASKS_PREFIX}.{org}.>")]
    cases = sorted({task.subject for task in delivered})
    found = []
    with progress() as bar:
        step = bar.add_task(f"reading the cases of {org}'s tasks", total=len(cases))
        for case_id in cases:
            events = [decode(m.data) for m in await read_stream(nc, EVENTS_STREAM, f"{subjects.EVENTS_PREFIX}.*.{case_id}.>")]
            case = fold(notify_state, case_id, events)
            for task in case.tasks.values():
                if task.owner == org and task.status != "draft":
                    found.append({"case_id": case_id, **asdict(task)})
            bar.advance(step)
    return sorted(found, key=lambda t: (t["due"], t["case_id"], t["task_id"]))


@app.command()
def tasks(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="The organisation id, e.g. gm0855 or regie-gm0344.", callback=valid_org)],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON (a list of tasks) instead of a table.")] = False,
    open_only: Annotated[bool, typer.Option("--open", help="Only tasks not completed, declined or cancelled.")] = False,
) -> None:
    """The tasks an organisation received and where each stands, oldest due date first.

    Status as in HL7 FHIR Task: requested (delivered, not answered), accepted, in-progress,
    completed, rejected (declined), cancelled; "escalated" when it was overdue and went to the
    coordinator. Read from AMV_TASKS and the cases' events.
    """

    async def work(nc: NATS) -> int:
        found = await tasks_of(nc, org)
        if open_only:
            found = [t for t in found if t["status"] not in ("completed", "rejected", "cancelled")]
        if json_output:
            out.print_json(as_json(found))
            return OK
        if not found:
            out.print(f"No tasks for {org}.", highlight=False)
            return OK
        shown = table(f"Tasks of {org}", "due", "status", "kind", "case", "from", "escalated", "task id")
        for t in found:
            shown.add_row(str(t["due"]), t["status"], t["kind"], t["case_id"], t["requester"],
                          "yes" if t["escalated"] else "", t["task_id"])
        out.print(shown)
        return OK

    run(ctx, work)


# --- publish, day --------------------------------------------------------------------------------


def inbox_subject_of(raw: dict) -> str:
    """amv.inbox.<org>.<EventType> for a partner CloudEvent, from its `source` and `type`."""
    source, event_type = str(raw.get("source", "")), str(raw.get("type", ""))
    org = source.rsplit(":", 1)[-1] if source.startswith("urn:nld:warmeoverdracht:org:") else ""
    parts = event_type.split(".")
    return subjects.inbox(org or "unknown", parts[2] if len(parts) == 4 else "unknown")


@app.command()
def publish(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A CloudEvent JSON file, as a partner would publish it.", exists=True, dir_okay=False,
                             readable=True)
    ],
) -> None:
    """Publish a partner's CloudEvent JSON file to its inbox, after checking it as the services would.

    The subject is `amv.inbox.<org>.<EventType>`: the org from the event's `source`, the type from
    its `type`. The file is first checked exactly as the services check a partner's report
    (contracts.inbox.parse_inbox_message); an invalid file is not published, and the command
    exits 1 naming the field and the reason.
    """
    body = file.read_bytes()
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        err.print(f"error: {file} is not JSON: {exc}", highlight=False)
        raise typer.Exit(PROBLEM) from None
    if not isinstance(raw, dict):
        err.print(f"error: {file} must hold one JSON object (a CloudEvent)", highlight=False)
        raise typer.Exit(PROBLEM)
    subject = inbox_subject_of(raw)
    checked = parse_inbox_message(subject, body)
    if isinstance(checked, Rejection):
        err.print(f"error: {file} would be refused ({checked.code}, field {checked.field or '-'}): {checked.reason}",
                  highlight=False, markup=False)
        raise typer.Exit(PROBLEM)

    async def work(nc: NATS) -> int:
        seq = await publish_raw(nc, subject, body)
        out.print(f"published {checked.envelope.event_type} of {checked.case_id} by {checked.org} "
                  f"to {subject} (inbox message {seq})", highlight=False)
        return OK

    run(ctx, work)


@app.command()
def day(
    ctx: typer.Context,
    when: Annotated[datetime, typer.Argument(metavar="DATE", help="The day that starts, YYYY-MM-DD.", formats=["%Y-%m-%d"])],
) -> None:
    """Start a day: publish DayStarted on amv.clock.day, so every deadline due that day is decided.

    The midnight schedule does this in production; use it to catch up a day the schedule missed.
    Publishing a day again is harmless: what a day derives has deterministic ids, so nothing is
    done twice.
    """

    async def work(nc: NATS) -> int:
        seq = await start_day(nc, when.date())
        out.print(f"DayStarted {when.date().isoformat()} published on {subjects.CLOCK_DAY} (clock message {seq})",
                  highlight=False)
        return OK

    run(ctx, work)


# --- rejected ------------------------------------------------------------------------------------


def optional_module(name: str) -> Any | None:
    """Another team's module, if this installation has it."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def rejection_tooling() -> Any:
    """ops.rejected (list_rejections, resubmit), or exit 2 when this installation lacks it."""
    module = optional_module("ops.rejected")
    if module is None or not hasattr(module, "list_rejections") or not hasattr(module, "resubmit"):
        err.print("error: the rejection tooling (ops.rejected) is not available in this installation", highlight=False)
        raise typer.Exit(USAGE)
    return module


@rejected_app.command("list")
def rejected_list(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's reports.")] = None,
    code: Annotated[str | None, typer.Option("--code", help="Only this refusal code, e.g. data-invalid.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Only the last N (0: all).")] = 50,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Reports the system refused, with the code, the field and the reason the partner was given.

    Fix the report (or wait for the fact it needed), then `rejected resubmit SEQ`.
    """
    if org is not None:
        valid_org(org)
    tooling = rejection_tooling()

    async def work(nc: NATS) -> int:
        rows = [asdict(report) for report in await tooling.list_rejections(nc, org=org, code=code)]
        rows = rows[-limit:] if limit else rows
        if json_output:
            out.print_json(as_json(rows))
            return OK
        if not rows:
            out.print("No refused reports.")
            return OK
        columns = ("seq", "time", "org", "event_type", "case_id", "code", "field", "reason")
        shown = table("Refused reports", *columns)
        for row in rows:
            shown.add_row(*(str(row.get(c) or "") for c in columns))
        out.print(shown)
        return OK

    run(ctx, work)


@rejected_app.command("resubmit")
def rejected_resubmit(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="The refused report's sequence, as `rejected list` shows it.", min=1)],
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A corrected CloudEvent JSON to submit instead of the original.", exists=True,
                     dir_okay=False, readable=True),
    ] = None,
) -> None:
    """Submit a refused report again, as it was or corrected with --file.

    As it was: when the cause lay outside the message (a fact since reported, a municipality since
    added to the directory). Either way it is first checked as the services would, and nothing is
    sent when it would be refused again (exit 1). Re-submitting the same twice sends it once.
    """
    tooling = rejection_tooling()

    async def work(nc: NATS) -> int:
        try:
            done = await tooling.resubmit(nc, seq, body=file.read_bytes() if file is not None else None)
        except tooling.CannotResubmit as exc:
            raise OpsError(f"cannot resubmit {seq}: {exc}") from exc
        if done.duplicate:
            out.print(f"refused report {seq} was re-submitted before (inbox message {done.inbox_seq}); nothing sent",
                      highlight=False)
        else:
            out.print(f"refused report {seq} re-submitted to {done.subject} (inbox message {done.inbox_seq})",
                      highlight=False)
        return OK

    run(ctx, work)


# --- dead letters --------------------------------------------------------------------------------


async def consumer_dead_letters(nc: NATS) -> list[dict]:
    """Messages a service's consumer gave up on (amv.deadletter.<service>.<consumer>), besides the
    webhook ones ops.deadletters knows."""
    webhooks = f"{subjects.DEAD_LETTER_PREFIX}.notify.webhooks"
    rows = []
    for msg in await read_stream(nc, provision.REJECTED_STREAM, f"{subjects.DEAD_LETTER_PREFIX}.>"):
        if msg.subject == webhooks:
            continue
        rows.append({
            "seq": msg.seq,
            "kind": "consumer",
            "dead_letter_subject": msg.subject,
            "original_subject": msg.headers.get("Wo-Original-Subject", ""),
            "original": f"{msg.headers.get('Wo-Original-Stream', '')} #{msg.headers.get('Wo-Original-Sequence', '')}",
            "reason": msg.headers.get("Wo-Error-Reason", ""),
        })
    return rows


async def webhook_dead_letters(nc: NATS) -> list[dict] | None:
    deadletters = optional_module("ops.deadletters")
    if deadletters is None:
        return None
    return [asdict(letter) | {"status": letter.status, "kind": "webhook"} for letter in await deadletters.dead_letters(nc)]


@dead_letters_app.command("list")
def dead_letters_list(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Dead letters: tasks a webhook kept refusing, and messages a consumer failed on every time.

    Webhook dead letters: redrive them with `dead-letters redrive SEQ` once the receiver works.
    Consumer dead letters: messages a service failed on WO_MAX_DELIVER times; see
    docs/operations.md, "Alerts", for what to do.
    """

    async def work(nc: NATS) -> int:
        webhooks = await webhook_dead_letters(nc)
        consumers = await consumer_dead_letters(nc)
        if json_output:
            out.print_json(as_json({"webhook": webhooks, "consumer": consumers}))
            return OK
        if webhooks is None:
            out.print("Webhook dead letters: not available in this installation (no ops.deadletters).")
        elif not webhooks:
            out.print("No webhook dead letters.")
        else:
            shown = table("Webhook dead letters", "seq", "status", "owner", "attempts", "case", "delivery id", "reason")
            for w in webhooks:
                shown.add_row(str(w["seq"]), w["status"], w["owner"], str(w["attempts"]), w["case_id"], w["delivery_id"],
                              w["reason"])
            out.print(shown)
        if not consumers:
            out.print("No consumer dead letters.")
        else:
            shown = table("Consumer dead letters", "seq", "dead letter subject", "original subject", "original", "reason")
            for c in consumers:
                shown.add_row(str(c["seq"]), c["dead_letter_subject"], c["original_subject"], c["original"], c["reason"])
            out.print(shown)
        return OK

    run(ctx, work)


@dead_letters_app.command("redrive")
def dead_letters_redrive(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="The webhook dead letter's sequence, as `dead-letters list` shows it.", min=1)],
) -> None:
    """Re-queue a webhook dead letter: notify tries the owner's webhooks again.

    Redriving the same dead letter twice is recognised and does nothing the second time.
    """
    deadletters = optional_module("ops.deadletters")
    if deadletters is None:
        err.print("error: redriving webhook dead letters is not available in this installation (no ops.deadletters)",
                  highlight=False)
        raise typer.Exit(USAGE)

    async def work(nc: NATS) -> int:
        try:
            done = await deadletters.redrive(nc, seq)
        except deadletters.NotAWebhookDeadLetter as exc:
            raise OpsError(f"cannot redrive: {exc}") from exc
        if done.already:
            out.print(f"dead letter {done.deadletter_seq} was already redriven (as {done.redrive_seq}); nothing done")
        else:
            out.print(f"dead letter {done.deadletter_seq} re-queued for delivery (as {done.redrive_seq})")
        return OK

    run(ctx, work)


# --- replay --------------------------------------------------------------------------------------


async def rebuild(nc: NATS, service: str) -> Projection:
    """A fresh read model of `service`, folded from every event in the store (with a progress bar);
    it keeps following the store until stopped."""
    projection = Projection.of(nc, importlib.import_module(f"services.{service}.decider").decider)
    total = (await nc.jetstream(timeout=5).stream_info(EVENTS_STREAM)).state.last_seq
    starting = asyncio.create_task(projection.start())
    with progress() as bar:
        step = bar.add_task(f"rebuilding {service}'s read model from {EVENTS_STREAM}", total=total)
        while not starting.done():
            bar.update(step, completed=min(projection.last_seq, total))
            await asyncio.sleep(0.1)
        bar.update(step, completed=total)
    await starting
    return projection


@app.command()
def replay(
    ctx: typer.Context,
    service: Annotated[Service, typer.Argument(help="The service whose read model to check.")],
) -> None:
    """Rebuild a service's read model from the event store and compare it with the live one.

    The live one is what the running service holds (its /projection/digest). Prints both
    digests; exits 1 when they differ: restart that service, it rebuilds its read model from
    the store when it starts.
    """
    name = service.value
    url = ctx.obj.service_urls.get(name)
    if not url:
        err.print(f"error: no HTTP address is known for {name}: set --metrics-port (WO_METRICS_PORT) or "
                  f"--service-url {name}=http://HOST:PORT", highlight=False)
        raise typer.Exit(USAGE)

    async def work(nc: NATS) -> int:
        status, _ = await http_json(f"{url}/healthz")
        if status != 200:
            raise OpsError(f"{name} at {url} is not healthy (/healthz answered {status})", UNREACHABLE)
        fresh = await rebuild(nc, name)
        try:
            for _ in range(REPLAY_ATTEMPTS):
                status, live = await http_json(f"{url}/projection/digest?at_least={fresh.last_seq}")
                if status != 200:
                    raise OpsError(f"{name} could not give its digest: {live.get('error', status)}", UNREACHABLE)
                if live["last_seq"] == fresh.last_seq:
                    break
                await fresh.caught_up()  # events arrived meanwhile: follow, and ask again
            else:
                raise OpsError(f"the store kept growing during {REPLAY_ATTEMPTS} attempts; run replay again when quieter")
            rebuilt = projection_digest(fresh.cases)
        finally:
            await fresh.stop()
        out.print(f"rebuilt from the store: {rebuilt}  ({len(fresh.cases)} cases, up to event {fresh.last_seq})",
                  highlight=False)
        out.print(f"live in {name}:{' ' * max(1, 15 - len(name))}{live['digest']}  ({live['cases']} cases, "
                  f"up to event {live['last_seq']})", highlight=False)
        if rebuilt == live["digest"]:
            out.print(f"equal: {name}'s read model is what the store says.", highlight=False)
            return OK
        out.print(f"DIFFERENT: {name}'s read model is not what the store says. Restart {name} to rebuild it from the "
                  "store, and report this as a bug.", highlight=False)
        return PROBLEM

    run(ctx, work)


# --- erase ---------------------------------------------------------------------------------------


def erase_function() -> Callable[..., Awaitable[Any]] | None:
    """The crypto-shredding erase (`erase_case` of services/runtime/privacy.py), if this installation has it."""
    module = optional_module("services.runtime.privacy")
    erase_case = getattr(module, "erase_case", None) if module is not None else None
    return erase_case if callable(erase_case) else None


@app.command()
def erase(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The pseudonymous case id whose personal data to erase.", callback=valid_case_id)],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: erase now. Without it nothing is done.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Erase a case's personal data by crypto-shredding. Cannot be undone.

    The case's key is securely deleted from the bucket AMV_CASE_KEYS, so its encrypted personal
    fields (the date of birth) become unreadable everywhere: every service, replay and timeline
    reads them as erased. The events themselves stay. The report says what
    could not be reached: fields stored in clear before encryption, and partner reports that
    AMV_INBOX and AMV_REJECTED keep until they expire. Exits 1 when the case is unknown or clear
    fields remain, 2 without --yes or when this installation has no erase function.
    """
    erase_case = erase_function()
    if erase_case is None:
        err.print(f"error: erasing is not available in this installation (crypto-shredding is not installed); "
                  f"nothing was done to {case}", highlight=False)
        raise typer.Exit(USAGE)
    if not yes:
        err.print(f"error: erasing the personal data of {case} cannot be undone; run `overdracht erase {case} --yes` "
                  "to erase it. Nothing was done.", highlight=False)
        raise typer.Exit(USAGE)

    async def work(nc: NATS) -> int:
        from services.runtime.privacy import UnknownCase

        try:
            report = await erase_case(nc, case)
        except UnknownCase as exc:
            raise OpsError(f"{exc}: nothing was erased") from None
        if json_output:
            out.print_json(as_json(report))
        else:
            out.print(f"Erased the personal data of {case}.", highlight=False)
            for line in report.lines():
                out.print(f"  {line}", highlight=False, markup=False)
        return PROBLEM if report.clear_fields else OK

    run(ctx, work)


# --- agenda of the integral meeting (README "Chain monitoring") -------------------------------------


def iso_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date like 2026-09-15", param_hint=option) from None


@app.command()
def agenda(
    ctx: typer.Context,
    municipality: Annotated[str, typer.Option("--municipality", help="CBS code of the municipality, e.g. GM0855 (Tilburg).")],
    on: Annotated[str | None, typer.Option("--date", help="As of this day, YYYY-MM-DD (default: today).")] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="The previous meeting: school absence from this day (default: two weeks before --date)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="md (default), json or html.")] = "md",
) -> None:
    """The agenda of a municipality's integral meeting: the cases that need the table, each with its next step and owner.

    Turning 17½ or 18, reunifications by phase (stuck ones first), open handoffs (overdue first),
    support gaps, school absence since the previous meeting, cohabitation ending, moves, language
    needs. Computed from every stored event as of --date, so an earlier meeting's agenda can be
    replayed; only the municipality's own cases, by pseudonymous case id (README "Chain monitoring").
    The same as `python -m ops.agenda`.
    """
    from ops.agenda import today
    from services.monitoring.agenda import agenda as meeting_agenda
    from services.monitoring.render import RENDERERS, render
    from services.monitoring.store import load_histories
    from services.runtime.directory import DirectoryError, load_directory

    if fmt not in RENDERERS:
        raise typer.BadParameter(f"'{fmt}' is not one of {', '.join(RENDERERS)}", param_hint="--format")
    as_of, previous = iso_day(on, "--date") or today(), iso_day(since, "--since")
    if previous is not None and previous > as_of:
        raise typer.BadParameter("--since must not be after --date", param_hint="--since")
    try:
        directory = load_directory(os.environ.get("WO_DIRECTORY") or None)
    except DirectoryError as exc:
        err.print(f"error: {exc}", highlight=False)
        raise typer.Exit(USAGE) from None
    if directory.of(municipality) is None:
        known = ", ".join(sorted(directory.municipalities))
        raise typer.BadParameter(f"'{municipality}' is not in the organisation directory (known: {known})",
                                 param_hint="--municipality")

    async def work(nc: NATS) -> int:
        histories = await load_histories(nc)
        sys.stdout.write(render(meeting_agenda(histories, municipality, as_of, directory, previous), fmt))
        return OK

    run(ctx, work)


if __name__ == "__main__":
    sys.exit(app())
