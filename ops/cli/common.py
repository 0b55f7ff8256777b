"""What every `overdracht` command shares: exit codes, connecting, running, failing clearly,
printing tables or JSON, and the checks of common arguments."""

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Annotated, Any, NoReturn

import httpx
import nats.errors
import nats.js.errors
import structlog
import typer
from nats.aio.client import Client as NATS
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from contracts.ids import CaseId, organisation_kind
from ops import connection

HTTP_TIMEOUT_S = 5.0


class Code(IntEnum):
    """The exit codes every command keeps (docs/cli.md)."""

    OK = 0  # done, and all is well
    ALERT = 1  # a business alert: the command found something a person must act on, or the system refused the input
    USAGE = 2  # bad arguments (typer's own code for them)
    UNAVAILABLE = 3  # NATS cannot be reached, or the system is unhealthy (a service down or not ready, streams missing)


EXIT_CODES: dict[Code, str] = {
    Code.OK: "done, and all is well",
    Code.ALERT: "a business alert: open support gaps, dead letters or refused reports where the command is a check, "
    "a read model that differs from the store; or the system refused what was sent (the reason is printed)",
    Code.USAGE: "bad arguments, or a function this installation does not have",
    Code.UNAVAILABLE: "system unreachable or unhealthy: NATS cannot be reached, a service is down or not ready, "
    "its streams or consumers are missing, or nothing handled a report in time",
}


def exit_codes_text() -> str:
    """The exit codes as the app's --help epilog and docs/cli.md show them."""
    return "**Exit codes**\n\n" + "\n".join(f"* {int(code)}: {meaning}" for code, meaning in EXIT_CODES.items())


# Tables are not cut to 80 columns when the output goes to a file or a pipe.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (stable keys) instead of text.")]


class OpsError(Exception):
    """A failure the operator can act on: printed as one line, no traceback, with an exit code."""

    def __init__(self, message: str, code: Code = Code.ALERT) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: Code) -> NoReturn:
    """Print `error: message` on stderr and exit with `code` (before anything was connected)."""
    err.print(f"error: {message}", highlight=False, markup=False)
    raise typer.Exit(code)


@dataclass
class Target:
    """Where the system is: NATS, and each service's HTTP endpoints (None: not known)."""

    nats_url: str
    login: dict[str, str] = field(default_factory=dict)  # nats.connect keywords: user, password, inbox_prefix
    service_urls: dict[str, str | None] = field(default_factory=dict)


async def connect(target: Target) -> NATS:
    return await connection.connect(target.nats_url, target.login)


def run(ctx: typer.Context, work: Callable[[NATS], Awaitable[Code]]) -> NoReturn:
    """Connect, do `work`, close, and exit with its code (see `execute`)."""
    target: Target = ctx.obj

    async def main() -> Code:
        nc = await connect(target)
        try:
            return await work(nc)
        finally:
            await nc.close()

    execute(main())


def execute(main: Coroutine[Any, Any, Code]) -> NoReturn:
    """Run `main` and exit with its code; turn every expected failure into a one-line message and
    the exit code it stands for."""
    try:
        code = asyncio.run(main)
    except OpsError as exc:
        fail(str(exc), exc.code)
    except connection.NotANatsUrl as exc:
        fail(f"--nats-url: {exc}", Code.USAGE)
    except connection.Unreachable as exc:
        fail(str(exc), Code.UNAVAILABLE)
    except nats.js.errors.NotFoundError as exc:
        fail(f"not found in JetStream ({exc.description}): has the system been started once, so that its streams "
             "and consumers exist?", Code.UNAVAILABLE)
    except nats.js.errors.ServiceUnavailableError as exc:
        fail(f"JetStream is not available ({exc.description})", Code.UNAVAILABLE)
    except nats.errors.NoRespondersError:
        fail("JetStream did not answer: is JetStream enabled on this NATS server, and the system started?",
             Code.UNAVAILABLE)
    except nats.js.errors.APIError as exc:
        fail(f"refused by NATS: {exc.description or exc} (error {exc.err_code})", Code.ALERT)
    except (TimeoutError, nats.errors.ConnectionClosedError) as exc:
        fail(f"NATS stopped answering ({type(exc).__name__}{': ' if str(exc) else ''}{exc}); try again, or check "
             "the server", Code.UNAVAILABLE)
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


def say(text: str) -> None:
    """One line of plain text on stdout (no markup, no highlighting)."""
    out.print(text, highlight=False, markup=False)


class _Stderr:
    """Whatever sys.stderr is when a line is written (not the one of the moment `overdracht` was
    configured: run in-process, as tests do, that one may be closed by the time a later log line comes)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def quiet_logs() -> None:
    """Library log lines (the read model's, nats-py's) go to stderr, warnings and worse only."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),
    )


def as_json(value: Any) -> str:
    def default(item: Any) -> Any:
        if isinstance(item, (date, datetime)):
            return item.isoformat()
        if is_dataclass(item) and not isinstance(item, type):
            return asdict(item)
        if isinstance(item, (set, frozenset, tuple)):
            return list(item)
        if hasattr(item, "model_dump"):
            return item.model_dump(mode="json")
        return str(item)

    return json.dumps(value, indent=2, default=default)


def print_json(value: Any) -> None:
    """`value` as JSON on stdout, untouched by rich (no wrapping, no colour)."""
    sys.stdout.write(as_json(value) + "\n")
    sys.stdout.flush()


def valid_case_id(value: str) -> str:
    try:
        return TypeAdapter(CaseId).validate_python(value)
    except ValidationError:
        raise typer.BadParameter(
            f"'{value}' is not a case id: 6-64 lowercase letters, digits or '-', not digits only (e.g. case-7f3a9c21)"
        ) from None


def valid_org(value: str | None) -> str | None:
    if value is not None and organisation_kind(value) is None:
        raise typer.BadParameter(
            f"'{value}' is not an organisation id (e.g. nidos, ind, coa, gm0855, regie-gm0855, wijkteam-gm0855, vwn-gm0855)"
        )
    return value


def iso_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date like 2026-09-15", param_hint=option) from None


async def http_json(url: str) -> tuple[int, dict]:
    """(status, body) of GET `url`; OpsError(UNAVAILABLE) when nothing answers. Proxies from the
    environment are not used: the services' endpoints are reached directly."""
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, trust_env=False) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        raise OpsError(f"no answer from {url}: {exc.__class__.__name__} {exc}".strip(), Code.UNAVAILABLE) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status_code, body if isinstance(body, dict) else {}
