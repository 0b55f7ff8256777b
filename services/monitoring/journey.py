"""Journey figures (klantreis, source §4.4) per municipality and quarter, from the events alone:
how long the steps of a reunification take, how long organisations take to accept a handoff, how
many support gaps there were and how many days nobody supported the young person, and how many
handoffs went past their due date.

They are meant to be shared with the chain partners and the ministry, so no figure is published
from fewer than `MINIMUM_CASES` cases (small-cell suppression): such a cell has no value, shows
"<5" and says `suppressed: true`. Figures carry no case ids and no dates of birth.

Which cases count: those that belong to the municipality (`casefile.case_municipality`) at the end
of the quarter (or on `as_of`, for a quarter still running). An interval counts in the quarter in
which it ends (the application filed, the handoff accepted); gap days count in the quarter in which
they fall. Pure: histories in, a `Journey` out; JSON, CSV and SVG from it.
"""

import csv
import io
import json
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from contracts.envelope import CloudEvent
from contracts.ids import organisation_kind
from services.monitoring.casefile import CaseFile, case_files, cases_of
from services.monitoring.svg import bar_chart
from services.runtime.directory import Directory

# Statistics Netherlands' usual threshold for tables about people: a cell of fewer than five can point at one child.
MINIMUM_CASES = 5
SUPPRESSED = "<5"
# The organisations that receive handoffs, by kind (contracts/ids.py), in the order charts show them.
RECEIVING_KINDS = ("nidos", "municipality", "coordinator", "wijkteam", "vwn", "rmc")

Interval = tuple[str, float]  # (case id, days): the case id is only used to count distinct cases

# Each step of the reunification: name, label, and the two days it runs between (None when not reached).
STEPS: tuple[tuple[str, str, Callable[[CaseFile], tuple[date | None, date | None]]], ...] = (
    ("permit-to-filed", "permit to application filed",
     lambda c: (c.permit.permit_date if c.permit else None, c.filed.filed_on if c.filed else None)),
    ("filed-to-decided", "application filed to decided",
     lambda c: (c.filed.filed_on if c.filed else None, c.decision.decided_on if c.decision else None)),
    ("decided-to-arrived", "approved to parents arrived",
     lambda c: (c.decision.decided_on if c.decision and c.decision.decision == "approved" else None,
                c.arrived.arrival_date if c.arrived else None)),
    ("arrived-to-transfer-requested", "parents arrived to court petitioned",
     lambda c: (c.arrived.arrival_date if c.arrived else None, c.petition.petition_filed_on if c.petition else None)),
    ("transfer-requested-to-transferred", "court petitioned to guardianship transferred",
     lambda c: (c.petition.petition_filed_on if c.petition else None,
                c.transferred.transferred_on if c.transferred else None)),
)


@dataclass(frozen=True)
class Figure:
    """One published cell. When `suppressed`, value, n and cases are withheld (None)."""

    metric: str
    group: str  # the receiving organisation kind for handoff figures, else ""
    statistic: str  # median, count or sum
    unit: str  # days, cases, handoffs, gaps
    value: float | int | None
    n: int | None  # how many intervals or items the value is computed from
    cases: int | None  # from how many distinct cases
    suppressed: bool

    @property
    def display(self) -> str:
        if self.suppressed:
            return SUPPRESSED
        return "" if self.value is None else f"{self.value:g}"


@dataclass(frozen=True)
class Journey:
    municipality: str
    name: str
    quarter: str
    first_day: date
    last_day: date
    as_of: date
    figures: tuple[Figure, ...]

    def figure(self, metric: str, group: str = "") -> Figure:
        return next(f for f in self.figures if f.metric == metric and f.group == group)


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """'2026Q3' -> (2026-07-01, 2026-09-30)."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", quarter)
    if match is None:
        raise ValueError(f"quarter {quarter!r} is not like 2026Q3")
    year, number = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * number - 2, 1)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, after - timedelta(days=1)


def published(metric: str, statistic: str, unit: str, items: Sequence[Interval], group: str = "") -> Figure:
    """The figure over `items` (case id, number), suppressed when they come from 1 to 4 cases.
    From no case at all a count is 0 and a median has no value: that reveals no child."""
    cases = len({case_id for case_id, _ in items})
    if 0 < cases < MINIMUM_CASES:
        return Figure(metric, group, statistic, unit, None, None, None, True)
    numbers = [number for _, number in items]
    match statistic:
        case "median":
            value: float | int | None = statistics.median(numbers) if numbers else None
        case "count":
            value = len(numbers)
        case "sum":
            value = sum(numbers)
        case _:
            raise ValueError(statistic)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return Figure(metric, group, statistic, unit, value, len(numbers), cases, False)


def within(day: date | None, first: date, last: date) -> bool:
    return day is not None and first <= day <= last


def step_intervals(cases: list[CaseFile], step: Callable[[CaseFile], tuple[date | None, date | None]],
                   first: date, last: date) -> list[Interval]:
    found = []
    for case in cases:
        start, end = step(case)
        if start is not None and within(end, first, last):
            found.append((case.case_id, float((end - start).days)))
    return found


def acceptance_intervals(cases: list[CaseFile], kind: str, first: date, last: date) -> list[Interval]:
    """Days from a handoff's request to its acceptance, for handoffs to `kind` accepted in the quarter."""
    return [
        (case.case_id, float((h.accepted_on - h.requested_on).days))
        for case in cases
        for h in case.handoffs.values()
        if organisation_kind(h.owner) == kind and h.accepted_on is not None and within(h.accepted_on, first, last)
    ]


def gap_days(cases: list[CaseFile], first: date, last: date) -> list[Interval]:
    """Per gap open during the period: its days without support that fall in it, from the day the
    gap was detected up to the day it closed (not included), or to the end of the period."""
    found = []
    for case in cases:
        for gap in case.gaps.values():
            start = max(gap.detected_on, first)
            end = min(gap.closed_on or last + timedelta(days=1), last + timedelta(days=1))
            if end > start:
                found.append((case.case_id, float((end - start).days)))
    return found


def overdue_handoffs(cases: list[CaseFile], first: date, last: date) -> tuple[list[Interval], list[Interval]]:
    """(handoffs due in the period, those nobody answered by the end of their due date)."""
    due, overdue = [], []
    for case in cases:
        for h in case.handoffs.values():
            if within(h.due, first, last):
                due.append((case.case_id, 1.0))
                if h.answered_on is None or h.answered_on > h.due:
                    overdue.append((case.case_id, 1.0))
    return due, overdue


def journey(
    histories: Mapping[str, Sequence[CloudEvent]],
    municipality: str,
    quarter: str,
    directory: Directory,
    as_of: date | None = None,
) -> Journey:
    """The figures of `municipality` for `quarter`, from what was known on `as_of` (default: the
    quarter's last day; later, late reports about the quarter count too). A quarter still running
    on `as_of` counts up to that day. The cases are those that belonged to the municipality at the
    end of that period, so a later move does not change an earlier quarter's figures."""
    local = directory.of(municipality)
    if local is None:
        raise ValueError(f"municipality {municipality} is not in the organisation directory")
    first, quarter_end = quarter_bounds(quarter)
    known_on = as_of if as_of is not None else quarter_end
    if known_on < first:
        raise ValueError(f"{quarter} starts on {first}, after {known_on}")
    last = min(quarter_end, known_on)
    plain = {k: list(v) for k, v in histories.items()}
    members = {case.case_id for case in cases_of(plain, municipality, last)}
    cases = [case for case in case_files(plain, known_on) if case.case_id in members]
    figures = [published("cases", "count", "cases", [(c.case_id, 1.0) for c in cases])]
    figures += [published(name, "median", "days", step_intervals(cases, step, first, last)) for name, _, step in STEPS]
    figures += [
        published("handoff-requested-to-accepted", "median", "days", acceptance_intervals(cases, kind, first, last), kind)
        for kind in RECEIVING_KINDS
    ]
    detected = [(c.case_id, 1.0) for c in cases for g in c.gaps.values() if within(g.detected_on, first, last)]
    figures.append(published("support-gaps", "count", "gaps", detected))
    figures.append(published("support-gap-days", "sum", "days", gap_days(cases, first, last)))
    due, overdue = overdue_handoffs(cases, first, last)
    figures.append(published("handoffs-due", "count", "handoffs", due))
    figures.append(published("handoffs-overdue", "count", "handoffs", overdue))
    return Journey(municipality, local.name, quarter, first, last, known_on, tuple(figures))


# --- outputs --------------------------------------------------------------------------------------------

COLUMNS = ("municipality", "quarter", "metric", "group", "statistic", "unit", "value", "n", "cases", "suppressed")


def journey_data(result: Journey) -> dict:
    return {
        "municipality": result.municipality,
        "name": result.name,
        "quarter": result.quarter,
        "from": result.first_day.isoformat(),
        "to": result.last_day.isoformat(),
        "as_of": result.as_of.isoformat(),
        "minimum_cases": MINIMUM_CASES,
        "figures": [{**asdict(f), "display": f.display} for f in result.figures],
    }


def to_json(result: Journey) -> str:
    return json.dumps(journey_data(result), indent=2, ensure_ascii=False) + "\n"


def to_csv(result: Journey) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in result.figures:
        writer.writerow((
            result.municipality, result.quarter, f.metric, f.group, f.statistic, f.unit,
            f.display, "" if f.n is None else f.n, "" if f.cases is None else f.cases, str(f.suppressed).lower(),
        ))
    return out.getvalue()


def _bar(f: Figure, label: str) -> tuple[str, float | None, str]:
    if f.suppressed:
        return label, None, f"{SUPPRESSED} cases: not shown"
    if f.value is None:
        return label, None, "no cases"
    return label, float(f.value), f"{f.display} days (n={f.n})"


def milestones_svg(result: Journey) -> str:
    """A bar chart of the median days of each reunification step."""
    bars = [_bar(result.figure(name), label) for name, label, _ in STEPS]
    title = f"Reunification steps, median days: {result.name} {result.quarter}"
    return bar_chart(title, bars, note=f"Cells from fewer than {MINIMUM_CASES} cases are not shown.")


def handoffs_svg(result: Journey) -> str:
    """A bar chart of the median days until a handoff is accepted, per receiving organisation kind."""
    bars = [_bar(result.figure("handoff-requested-to-accepted", kind), kind) for kind in RECEIVING_KINDS]
    title = f"Handoff requested to accepted, median days: {result.name} {result.quarter}"
    return bar_chart(title, bars, note=f"Cells from fewer than {MINIMUM_CASES} cases are not shown.")
