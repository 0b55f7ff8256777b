"""Journey figures (klantreis) of a municipality for one quarter, from every event in the store.

    python -m ops.journey --municipality GM0855 --quarter 2026Q3 --out DIR [--date 2026-11-01]

Writes to DIR: journey-<municipality>-<quarter>.json and .csv (every figure; a cell from fewer than
five cases shows "<5" with suppressed=true), and two charts for a report, -milestones.svg (median
days of each reunification step) and -handoffs.svg (median days until a handoff is accepted, per
receiving organisation). Facts known up to --date count (default today, Europe/Amsterdam); a
quarter still running counts up to that day. Exit code 2 on a bad argument or no server.
"""

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from ops.agenda import histories_at, today
from services.monitoring.journey import Journey, handoffs_svg, journey, milestones_svg, quarter_bounds, to_csv, to_json
from services.runtime.directory import DirectoryError, load_directory
from services.runtime.settings import Settings


def write(result: Journey, out: Path) -> list[Path]:
    """Write the JSON, CSV and the two SVG charts of `result` into `out`; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"journey-{result.municipality}-{result.quarter}"
    files = {
        out / f"{stem}.json": to_json(result),
        out / f"{stem}.csv": to_csv(result),
        out / f"{stem}-milestones.svg": milestones_svg(result),
        out / f"{stem}-handoffs.svg": handoffs_svg(result),
    }
    for path, text in files.items():
        path.write_text(text)
    return list(files)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ops.journey", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--municipality", required=True, help="CBS code, e.g. GM0855 (Tilburg)")
    p.add_argument("--quarter", required=True, help="e.g. 2026Q3")
    p.add_argument("--out", type=Path, required=True, help="directory to write the JSON, CSV and SVG files to")
    p.add_argument("--date", type=date.fromisoformat, default=None, help="facts known up to this day (default today)")
    return p


async def run(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        directory = load_directory(settings.directory or None)
        first, _ = quarter_bounds(args.quarter)
    except (DirectoryError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if directory.of(args.municipality) is None:
        print(f"error: municipality {args.municipality} is not in the organisation directory", file=sys.stderr)
        return 2
    known_on = args.date or today()
    if known_on < first:
        print(f"error: {args.quarter} has not started on {known_on}", file=sys.stderr)
        return 2
    histories = await histories_at(settings.nats_url)
    if histories is None:
        return 2
    result = journey(histories, args.municipality, args.quarter, directory, known_on)
    for path in write(result, args.out):
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
