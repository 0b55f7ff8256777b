"""`overdracht parked`: cases a service set aside because deciding or folding them failed
(services/runtime/parking.py), and retrying one once its cause is fixed."""

from dataclasses import asdict
from typing import Annotated

import typer
from nats.aio.client import Client as NATS

from ops.cli.common import Code, OpsError, out, print_json, run, say, table
from services.runtime.parking import parked_cases, retry

group = typer.Typer(help="Cases a service parked: one case's failure, isolated while every other case goes on.",
                    no_args_is_help=True)


@group.command("list")
def parked_list(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Option(help="Only this service's parked cases.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when any case is parked.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Every parked case, with the service, what triggered it (a day, a stored event) and why.

    A parked case is left out of later days until it is retried: fix the cause (a rule, the
    directory, a stored event), then `overdracht parked retry SERVICE CASE`. With --json: a list
    of objects with service, case_id, reason, trigger, parked_at.
    """

    async def work(nc: NATS) -> Code:
        found = [asdict(p) for p in await parked_cases(nc, service)]
        if json_output:
            print_json(found)
        elif not found:
            say("No parked cases.")
        else:
            shown = table("Parked cases", "service", "case", "trigger", "parked at", "reason")
            for p in found:
                shown.add_row(p["service"], p["case_id"], p["trigger"], p["parked_at"], p["reason"])
            out.print(shown)
        return Code.ALERT if check and found else Code.OK

    run(ctx, work)


@group.command("retry")
def parked_retry(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="The service that parked the case (intake, guardianship, housing, notify).")],
    case_id: Annotated[str, typer.Argument(help="The parked case's id, as `parked list` shows it.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Retry a parked case: the service decides it again for the latest day it saw.

    If the cause is not fixed, the case is parked again (see `parked list`). Exits 1 when the
    case is not parked. With --json: service, case_id, retried.
    """

    async def work(nc: NATS) -> Code:
        if not await retry(nc, service, case_id):
            raise OpsError(f"{service} has not parked case {case_id}: nothing to retry")
        if json_output:
            print_json({"service": service, "case_id": case_id, "retried": True})
        else:
            say(f"{service} retries case {case_id}; `overdracht parked list` shows whether it is parked again")
        return Code.OK

    run(ctx, work)
