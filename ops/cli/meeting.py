"""What the chain partners read together: `agenda` (the integral meeting of a municipality) and
`journey` (a quarter's figures), computed from every stored event (README "Chain monitoring")."""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from nats.aio.client import Client as NATS

from ops.agenda import today
from ops.cli.common import Code, JsonFlag, err, fail, iso_day, print_json, run
from ops.journey import write
from services.monitoring.agenda import agenda as meeting_agenda
from services.monitoring.casefile import readable
from services.monitoring.journey import journey, journey_data, quarter_bounds, to_csv
from services.monitoring.render import RENDERERS, render
from services.monitoring.store import load_histories
from services.runtime.directory import Directory, DirectoryError, load_directory

Municipality = Annotated[str, typer.Option("--municipality", help="CBS code of the municipality, e.g. GM0855 (Tilburg).")]


def directory_with(municipality: str) -> Directory:
    """The organisation directory (WO_DIRECTORY), which must know `municipality`."""
    try:
        directory = load_directory(os.environ.get("WO_DIRECTORY") or None)
    except DirectoryError as exc:
        fail(str(exc), Code.USAGE)
    if directory.of(municipality) is None:
        known = ", ".join(sorted(directory.municipalities))
        raise typer.BadParameter(f"'{municipality}' is not in the organisation directory (known: {known})",
                                 param_hint="--municipality")
    return directory


async def histories(nc: NATS) -> dict:
    """Every stored event grouped per case; says on stderr how many do not match their contract."""
    found = await load_histories(nc)
    unreadable = sum(not readable(event) for events in found.values() for event in events)
    if unreadable:
        err.print(f"warning: {unreadable} stored events do not match their contract and are left out", highlight=False)
    return found


def agenda(
    ctx: typer.Context,
    municipality: Municipality,
    on: Annotated[str | None, typer.Option("--date", help="As of this day, YYYY-MM-DD (default: today).")] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="The previous meeting: school absence from this day (default: two weeks before --date)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="md (default), json or html.")] = "md",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.",
                                             dir_okay=False)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
) -> None:
    """The agenda of a municipality's integral meeting: the cases that need the table, each with its next step and owner.

    Turning 17½ or 18, reunifications by phase (stuck ones first), open handoffs (overdue first),
    support gaps, school absence since the previous meeting, cohabitation ending, moves, language
    needs. Computed from every stored event as of --date, so an earlier meeting's agenda can be
    replayed; only the municipality's own cases, by pseudonymous case id (README "Chain monitoring").
    """
    fmt = "json" if json_output else fmt
    if fmt not in RENDERERS:
        raise typer.BadParameter(f"'{fmt}' is not one of {', '.join(RENDERERS)}", param_hint="--format")
    as_of, previous = iso_day(on, "--date") or today(), iso_day(since, "--since")
    if previous is not None and previous > as_of:
        raise typer.BadParameter("--since must not be after --date", param_hint="--since")
    directory = directory_with(municipality)

    async def work(nc: NATS) -> Code:
        result = meeting_agenda(await histories(nc), municipality, as_of, directory, previous)
        text = render(result, fmt)
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text)
            err.print(f"wrote the agenda of {result.name} ({result.cases} cases) to {out}", highlight=False)
        return Code.OK

    run(ctx, work)


def journey_figures(
    ctx: typer.Context,
    municipality: Municipality,
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, e.g. 2026Q3.")],
    out: Annotated[Path | None, typer.Option("--out", help="Directory to write the JSON, CSV and SVG files to.",
                                             file_okay=False)] = None,
    on: Annotated[str | None, typer.Option("--date", help="Facts known up to this day, YYYY-MM-DD (default: today).")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Journey figures (klantreis) of a municipality for one quarter, for a report to the chain partners.

    With --out DIR it writes journey-<municipality>-<quarter>.json and .csv (every figure; a cell
    from fewer than five cases shows "<5" with suppressed=true), and two charts, -milestones.svg
    (median days of each reunification step) and -handoffs.svg (median days until a handoff is
    accepted, per receiving organisation), and prints the paths. Without --out it prints the
    figures as CSV. Facts known up to --date count; a quarter still running counts up to that day.
    With --json: {"journey": the figures, "files": the paths written}.
    """
    try:
        first, _ = quarter_bounds(quarter)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--quarter") from None
    known_on = iso_day(on, "--date") or today()
    if known_on < first:
        raise typer.BadParameter(f"{quarter} has not started on {known_on}", param_hint="--date")
    directory = directory_with(municipality)

    async def work(nc: NATS) -> Code:
        result = journey(await histories(nc), municipality, quarter, directory, known_on)
        files = write(result, out) if out is not None else []
        if json_output:
            print_json({"journey": journey_data(result), "files": [str(path) for path in files]})
        elif out is None:
            sys.stdout.write(to_csv(result))
        else:
            for path in files:
                print(path)
        return Code.OK

    run(ctx, work)


COMMANDS = {"agenda": agenda, "journey": journey_figures}
