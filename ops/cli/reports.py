"""Sending to the system as a partner or the clock would: `publish` and `day`, each waiting for the
outcome (stored or refused, the day handled by every service) unless told not to."""

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from nats.aio.client import Client as NATS

from contracts import subjects
from contracts.clock import refusal
from contracts.inbox import Rejection, parse_inbox_message
from ops.cli.common import Code, JsonFlag, OpsError, err, fail, print_json, run, say
from ops.partner import publish_raw, start_day
from services.bootstrap import consumers as bootstrap_consumers
from services.runtime import provision
from services.runtime.clock import current_day
from services.runtime.eventstore import EVENTS_STREAM, read_stream
from services.runtime.rejections import HEADER_CODE, HEADER_FIELD, HEADER_ORIGINAL_SEQUENCE, HEADER_REASON

POLL_S = 0.2
NoWait = Annotated[bool, typer.Option("--no-wait", help="Only publish; do not wait for the outcome.")]
Timeout = Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the outcome.")]


@dataclass
class Outcome:
    """What became of a report published to the inbox: stored, refused (with why) or not yet known."""

    outcome: str  # "stored", "refused", "published" (not waited for) or "pending" (nothing handled it in time)
    code: str | None = None
    field: str | None = None
    reason: str | None = None


async def outcome_of(nc: NATS, inbox_subject: str, inbox_seq: int, event_id: str | None, case_id: str | None,
                     timeout_s: float) -> Outcome:
    """Wait until the report at `inbox_seq` was refused (a rejection naming that inbox sequence) or
    stored (an event of its case with its id, or caused by it)."""
    route = subjects.parse_inbox(inbox_subject)
    refusals = subjects.rejected(route[0], ">") if route else f"{subjects.REJECTED_PREFIX}.>"
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        for msg in await read_stream(nc, provision.REJECTED_STREAM, refusals):
            if msg.headers.get(HEADER_ORIGINAL_SEQUENCE) == str(inbox_seq):
                return Outcome("refused", msg.headers.get(HEADER_CODE, ""), msg.headers.get(HEADER_FIELD, ""),
                               msg.headers.get(HEADER_REASON, ""))
        if event_id and case_id:
            for msg in await read_stream(nc, EVENTS_STREAM, f"{subjects.EVENTS_PREFIX}.*.{case_id}.>"):
                stored = json.loads(msg.data)
                if event_id in (stored.get("id"), stored.get("causationid")):
                    return Outcome("stored")
        if asyncio.get_running_loop().time() > deadline:
            return Outcome("pending")
        await asyncio.sleep(POLL_S)


def outcome_code(outcome: Outcome, inbox_seq: int, timeout_s: float) -> Code:
    """Say on stderr why a report was not stored; the exit code of the outcome."""
    if outcome.outcome == "refused":
        err.print(f"refused by the system ({outcome.code}, field {outcome.field or '-'}): {outcome.reason}",
                  highlight=False, markup=False)
        return Code.ALERT
    if outcome.outcome == "pending":
        err.print(f"no service handled inbox message {inbox_seq} within {timeout_s:g}s: is the system running? "
                  "(`overdracht status`)", highlight=False, markup=False)
        return Code.UNAVAILABLE
    return Code.OK


def inbox_subject_of(raw: dict) -> str:
    """amv.inbox.<org>.<EventType> for a partner CloudEvent, from its `source` and `type`."""
    source, event_type = str(raw.get("source", "")), str(raw.get("type", ""))
    org = source.rsplit(":", 1)[-1] if source.startswith("urn:nld:warmeoverdracht:org:") else ""
    parts = event_type.split(".")
    return subjects.inbox(org or "unknown", parts[2] if len(parts) == 4 else "unknown")


def publish(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A CloudEvent JSON file, as a partner would publish it.", exists=True, dir_okay=False,
                             readable=True)
    ],
    no_wait: NoWait = False,
    timeout_s: Timeout = 30.0,
    json_output: JsonFlag = False,
) -> None:
    """Publish a partner's CloudEvent JSON file to its inbox, after checking it as the services would,
    and wait until it is stored or refused.

    The subject is `amv.inbox.<org>.<EventType>`: the org from the event's `source`, the type from
    its `type`. The file is first checked exactly as the services check a partner's report
    (contracts.inbox.parse_inbox_message); an invalid file is not published. Exits 1 when the
    file would be refused or the system refused it, naming the field and the reason; 3 when no
    service handled it within --timeout. With --json: subject, inbox_seq, event_type, case_id,
    org, outcome (stored, refused, published), code, field, reason.
    """
    body = file.read_bytes()
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{file} is not JSON: {exc}", Code.ALERT)
    if not isinstance(raw, dict):
        fail(f"{file} must hold one JSON object (a CloudEvent)", Code.ALERT)
    subject = inbox_subject_of(raw)
    checked = parse_inbox_message(subject, body)
    if isinstance(checked, Rejection):
        fail(f"{file} would be refused ({checked.code}, field {checked.field or '-'}): {checked.reason}", Code.ALERT)

    async def work(nc: NATS) -> Code:
        seq = await publish_raw(nc, subject, body)
        outcome = Outcome("published") if no_wait else await outcome_of(
            nc, subject, seq, checked.envelope.id, checked.case_id, timeout_s)
        if json_output:
            print_json({"subject": subject, "inbox_seq": seq, "event_type": checked.envelope.event_type,
                        "case_id": checked.case_id, "org": checked.org, **outcome.__dict__})
        else:
            say(f"published {checked.envelope.event_type} of {checked.case_id} by {checked.org} "
                f"to {subject} (inbox message {seq})" + (": stored" if outcome.outcome == "stored" else ""))
        return outcome_code(outcome, seq, timeout_s)

    run(ctx, work)


async def handled_by(nc: NATS, clock_seq: int, timeout_s: float) -> tuple[list[str], list[str]]:
    """(consumers that handled clock message `clock_seq`, those that had not within the timeout)."""
    clock = [spec for spec in bootstrap_consumers() if spec.stream == provision.CLOCK_STREAM]
    js = nc.jetstream(timeout=5)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        done, waiting = [], []
        for spec in clock:
            info = await js.consumer_info(spec.stream, spec.durable)
            (done if info.ack_floor.stream_seq >= clock_seq else waiting).append(spec.durable)
        if not waiting or asyncio.get_running_loop().time() > deadline:
            return done, waiting
        await asyncio.sleep(POLL_S)


def day(
    ctx: typer.Context,
    when: Annotated[datetime, typer.Argument(metavar="DATE", help="The day that starts, YYYY-MM-DD.", formats=["%Y-%m-%d"])],
    no_wait: NoWait = False,
    timeout_s: Timeout = 60.0,
    json_output: JsonFlag = False,
) -> None:
    """Start a day: publish DayStarted on amv.clock.day, so every deadline due that day is decided,
    and wait until every service has handled it.

    The midnight schedule does this in production (and days missed while the system was down are
    caught up at its start, docs/operations.md "The clock"). Days only move forward: a DATE that is
    not after the last day started is refused, not published, and the command exits 1 saying so.
    Exits 3 when a service did not handle the day within --timeout. With --json: date, subject,
    clock_seq, handled_by, not_handled_by, last_day (the last day started before), refused (the
    reason, or null).
    """

    async def work(nc: NATS) -> Code:
        last = await current_day(nc)
        refused = refusal(last, when.date())
        report: dict[str, Any] = {"date": when.date().isoformat(), "subject": subjects.CLOCK_DAY, "clock_seq": None,
                                  "handled_by": [], "not_handled_by": [], "last_day": last, "refused": refused}
        if refused:
            if json_output:
                print_json(report)
            err.print(f"refused: {refused}", highlight=False, markup=False)
            return Code.ALERT
        seq = await start_day(nc, when.date())
        done, waiting = ([], []) if no_wait else await handled_by(nc, seq, timeout_s)
        report |= {"clock_seq": seq, "handled_by": done, "not_handled_by": waiting}
        if json_output:
            print_json(report)
        else:
            say(f"DayStarted {report['date']} published on {subjects.CLOCK_DAY} (clock message {seq})"
                + (f"; handled by {', '.join(done)}" if done else ""))
        if waiting:
            raise OpsError(f"not handled within {timeout_s:g}s by {', '.join(waiting)}: is every service running? "
                           "(`overdracht status`)", Code.UNAVAILABLE)
        return Code.OK

    run(ctx, work)


COMMANDS = {"publish": publish, "day": day}
