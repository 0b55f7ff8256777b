"""Journey figures (klantreis) of a municipality for one quarter, written as files for a report
(`overdracht journey`, ops/cli/meeting.py)."""

from pathlib import Path

from services.monitoring.journey import Journey, handoffs_svg, milestones_svg, to_csv, to_json


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
