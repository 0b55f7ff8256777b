"""A case and the tasks around it: `timeline`, `tasks`, `erase`."""

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any

import typer
from nats.aio.client import Client as NATS

from contracts import subjects
from ops.cli.common import Code, JsonFlag, OpsError, fail, out, print_json, progress, run, say, table, valid_case_id, valid_org
from services.notify.decider import decider as notify
from services.monitoring.timeline import timeline as timeline_lines
from services.runtime import provision
from services.runtime.eventstore import EVENTS_STREAM, decode, read_stream

CLOSED_TASK_STATUSES = ("completed", "rejected", "cancelled")


async def events_of_case(nc: NATS, case_id: str) -> list:
    """Every stored event of a case, across services, in order (decoded CloudEvents)."""
    return [decode(m.data) for m in await read_stream(nc, EVENTS_STREAM, f"{subjects.EVENTS_PREFIX}.*.{case_id}.>")]


def timeline(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The pseudonymous case id, e.g. case-7f3a9c21.", callback=valid_case_id)],
    json_output: JsonFlag = False,
) -> None:
    """A case's history in plain language: every stored fact and decision, in order, with who did it.

    Read from the event store (AMV_EVENTS); exits 1 when nothing is stored for the case. With
    --json: {"case_id", "events", "lines"}, the lines as the text shows them.
    """

    async def work(nc: NATS) -> Code:
        events = await events_of_case(nc, case)
        if not events:
            raise OpsError(f"no events are stored for case {case}")
        lines = list(timeline_lines(events))
        if json_output:
            print_json({"case_id": case, "events": len(events), "lines": lines})
            return Code.OK
        say(f"Timeline of {case} ({len(events)} events)")
        for line in lines:
            say(f"  {line}")
        return Code.OK

    run(ctx, work)


async def tasks_of(nc: NATS, org: str) -> list[dict]:
    """The tasks delivered to `org` (AMV_TASKS) and where each stands now (notify's fold of its case)."""
    delivered = [decode(m.data) for m in await read_stream(nc, provision.TASKS_STREAM, subjects.tasks(org, "TaskOpened"))]
    cases = sorted({task.subject for task in delivered})
    found = []
    with progress() as bar:
        step = bar.add_task(f"reading the cases of {org}'s tasks", total=len(cases))
        for case_id in cases:
            case = notify.replay(case_id, await events_of_case(nc, case_id))
            for task in case.tasks.values():
                if task.owner == org and task.status != "draft":
                    found.append({"case_id": case_id, **asdict(task)})
            bar.advance(step)
    return sorted(found, key=lambda t: (t["due"], t["case_id"], t["task_id"]))


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

    async def work(nc: NATS) -> Code:
        found = await tasks_of(nc, org)
        if open_only:
            found = [t for t in found if t["status"] not in CLOSED_TASK_STATUSES]
        if json_output:
            print_json(found)
            return Code.OK
        if not found:
            say(f"No tasks for {org}.")
            return Code.OK
        shown = table(f"Tasks of {org}", "due", "status", "kind", "case", "from", "escalated", "task id")
        for t in found:
            shown.add_row(str(t["due"]), t["status"], t["kind"], t["case_id"], t["requester"],
                          "yes" if t["escalated"] else "", t["task_id"])
        out.print(shown)
        return Code.OK

    run(ctx, work)


def erase_function() -> Callable[..., Awaitable[Any]] | None:
    """The crypto-shredding erase (`erase_case` of services/runtime/privacy.py), if this installation has it."""
    try:
        module = importlib.import_module("services.runtime.privacy")
    except ModuleNotFoundError:
        return None
    erase_case = getattr(module, "erase_case", None)
    return erase_case if callable(erase_case) else None


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
        fail(f"erasing is not available in this installation (crypto-shredding is not installed); "
             f"nothing was done to {case}", Code.USAGE)
    if not yes:
        fail(f"erasing the personal data of {case} cannot be undone; run `overdracht erase {case} --yes` "
             "to erase it. Nothing was done.", Code.USAGE)

    async def work(nc: NATS) -> Code:
        from services.runtime.privacy import UnknownCase

        try:
            report = await erase_case(nc, case)
        except UnknownCase as exc:
            raise OpsError(f"{exc}: nothing was erased") from None
        if json_output:
            print_json(report)
        else:
            say(f"Erased the personal data of {case}.")
            for line in report.lines():
                say(f"  {line}")
        return Code.ALERT if report.clear_fields else Code.OK

    run(ctx, work)


COMMANDS = {"timeline": timeline, "tasks": tasks, "erase": erase}
