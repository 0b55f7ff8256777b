"""`overdracht rejected`: reports the system refused, and re-submitting one once its cause is fixed."""

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from nats.aio.client import Client as NATS

from ops import rejected as tooling
from ops.cli.common import Code, JsonFlag, OpsError, out, print_json, run, say, table, valid_org
from ops.cli.reports import NoWait, Outcome, Timeout, outcome_code, outcome_of

group = typer.Typer(help="Reports the system refused (stream AMV_REJECTED, `amv.rejected.<org>.<EventType>`).",
                    no_args_is_help=True)

COLUMNS = ("seq", "time", "org", "event_type", "case_id", "code", "field", "reason")


@group.command("list")
def rejected_list(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's reports.", callback=valid_org)] = None,
    code: Annotated[str | None, typer.Option("--code", help="Only this refusal code, e.g. data-invalid.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Only the last N (0: all).")] = 50,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when any refused report is listed.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Reports the system refused, with the code, the field and the reason the partner was given.

    Fix the report (or wait for the fact it needed), then `rejected resubmit SEQ`. With --json: a
    list of objects with seq, time, org, event_type, code, field, reason, original_subject,
    original_sequence, rejected_by, event_id, case_id, resubmission_of.
    """

    async def work(nc: NATS) -> Code:
        rows = [asdict(report) for report in await tooling.list_rejections(nc, org=org, code=code)]
        rows = rows[-limit:] if limit else rows
        if json_output:
            print_json(rows)
        elif not rows:
            say("No refused reports.")
        else:
            shown = table("Refused reports", *COLUMNS)
            for row in rows:
                shown.add_row(*(str(row.get(c) or "") for c in COLUMNS))
            out.print(shown)
        return Code.ALERT if check and rows else Code.OK

    run(ctx, work)


@group.command("resubmit")
def rejected_resubmit(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="The refused report's sequence, as `rejected list` shows it.", min=1)],
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A corrected CloudEvent JSON to submit instead of the original.", exists=True,
                     dir_okay=False, readable=True),
    ] = None,
    no_wait: NoWait = False,
    timeout_s: Timeout = 30.0,
    json_output: JsonFlag = False,
) -> None:
    """Submit a refused report again, as it was or corrected with --file, and wait until it is
    stored or refused.

    As it was: when the cause lay outside the message (a fact since reported, a municipality since
    added to the directory). Either way it is first checked as the services would, and nothing is
    sent when it would be refused again (exit 1). It is sent with the header Wo-Resubmitted-From:
    SEQ; re-submitting the same twice sends it once.
    Exits 1 when the system refuses it again (the reason is printed), 3 when nothing handled it
    within --timeout. With --json: rejection_seq, subject, inbox_seq, duplicate, event_id,
    case_id, outcome, code, field, reason.
    """

    async def work(nc: NATS) -> Code:
        try:
            done = await tooling.resubmit(nc, seq, body=file.read_bytes() if file is not None else None)
        except tooling.CannotResubmit as exc:
            raise OpsError(f"cannot resubmit {seq}: {exc}") from exc
        outcome = Outcome("published") if no_wait else await outcome_of(
            nc, done.subject, done.inbox_seq, done.event_id, done.case_id, timeout_s)
        if json_output:
            print_json(asdict(done) | asdict(outcome))
        elif done.duplicate:
            say(f"refused report {seq} was re-submitted before (inbox message {done.inbox_seq}); nothing sent")
        else:
            say(f"refused report {seq} re-submitted to {done.subject} (inbox message {done.inbox_seq})"
                + (": stored" if outcome.outcome == "stored" else ""))
        return outcome_code(outcome, done.inbox_seq, timeout_s)

    run(ctx, work)
