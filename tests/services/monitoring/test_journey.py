"""Journey figures against hand-computed values, small-cell suppression at 4 and 5 cases, and the
outputs (JSON, CSV, SVG). The cases run through the real rules (tests/support/chain.py)."""

import csv
import io
import json
import xml.etree.ElementTree as ElementTree
from datetime import date
from functools import cache

import pytest

from contracts.events import ApplicationDecided, ApplicationFiled, ParentsArrived, ResidencePermitGranted
from services.monitoring.journey import (
    MINIMUM_CASES,
    handoffs_svg,
    journey,
    milestones_svg,
    published,
    quarter_bounds,
    to_csv,
    to_json,
)
from tests.support.chain import Chain
from tests.support.domain import DIRECTORY

d = date.fromisoformat
Q3 = "2026Q3"

# name: (permit, filed, transition meeting accepted on, decided on or None); all in Tilburg.
FILINGS = {
    "case-jrny-a": ("2026-05-01", "2026-07-01", "2026-07-03", "2026-08-31"),
    "case-jrny-b": ("2026-06-01", "2026-07-11", "2026-07-14", "2026-09-10"),
    "case-jrny-c": ("2026-06-15", "2026-08-14", "2026-08-24", None),
    "case-jrny-d": ("2026-04-01", "2026-07-05", "2026-07-06", "2026-09-30"),
    "case-jrny-e": ("2026-07-01", "2026-09-30", "2026-09-30", None),
    "case-jrny-f": ("2026-04-15", "2026-06-30", "2026-07-30", "2026-07-30"),  # filed in Q2
}
# By hand, for Q3 (1 July to 30 September):
#   permit -> filed ending in Q3: a 61, b 40, c 60, d 95, e 91 (f ended in Q2)   -> median 61, 5 cases
#   filed -> decided ending in Q3: a 61, b 61, d 87, f 30                         -> 4 cases: suppressed
#   transition meeting requested -> accepted by the municipality, accepted in Q3:
#       a 2, b 3, c 10, d 1, e 0, f 30                                           -> median 2.5, 6 cases
#   handoffs due in Q3 (meeting = filed + 4 weeks, housing = filed + 8 weeks):
#       meetings a 07-29, b 08-08, c 09-11, d 08-02, f 07-28; housing a 08-26, b 09-05, d 08-30, f 08-25
#       -> 9 handoffs from 5 cases (a, b, c, d, f)
#   overdue (not answered by the due date): f's meeting, and every housing task (never accepted)
#       -> 5 handoffs, but from 4 cases (a, b, d, f): suppressed


def filing_case(case_id: str, municipality: str = "GM0855", stored_as: str | None = None) -> Chain:
    permitted, filed, accepted, decided = FILINGS[case_id]
    c = Chain(stored_as or case_id)
    c.report(d(permitted), "nidos", ResidencePermitGranted(date_of_birth=d("2012-02-02"), municipality=municipality,
                                                             permit_date=d(permitted)))
    c.report(d(filed), "nidos", ApplicationFiled(filed_on=d(filed)))
    c.accept(d(accepted), "plan-transition-meeting")
    if decided:
        c.report(d(decided), "ind", ApplicationDecided(decision="approved", decided_on=d(decided)))
    return c


@cache
def filings() -> dict[str, tuple]:
    return {case_id: tuple(filing_case(case_id).events) for case_id in FILINGS}


def histories(*case_ids: str) -> dict[str, list]:
    return {case_id: list(filings()[case_id]) for case_id in case_ids or FILINGS}


def test_quarter_bounds() -> None:
    assert quarter_bounds("2026Q1") == (d("2026-01-01"), d("2026-03-31"))
    assert quarter_bounds("2026Q4") == (d("2026-10-01"), d("2026-12-31"))
    with pytest.raises(ValueError):
        quarter_bounds("2026Q5")


def test_medians_against_hand_computed_values() -> None:
    result = journey(histories(), "GM0855", Q3, DIRECTORY)
    assert (result.figure("cases").value, result.figure("cases").suppressed) == (6, False)
    permit_to_filed = result.figure("permit-to-filed")
    assert (permit_to_filed.value, permit_to_filed.n, permit_to_filed.cases, permit_to_filed.suppressed) == (61, 5, 5, False)
    accepted = result.figure("handoff-requested-to-accepted", "municipality")
    assert (accepted.value, accepted.n, accepted.cases) == (2.5, 6, 6)
    due = result.figure("handoffs-due")
    assert (due.value, due.cases, due.suppressed) == (9, 5, False)


def test_suppressed_from_four_cases_published_from_five() -> None:
    five = journey(histories(), "GM0855", Q3, DIRECTORY)
    four = journey(histories("case-jrny-a", "case-jrny-b", "case-jrny-c", "case-jrny-d", "case-jrny-f"), "GM0855", Q3, DIRECTORY)
    assert five.figure("permit-to-filed").cases == MINIMUM_CASES and not five.figure("permit-to-filed").suppressed
    suppressed = four.figure("permit-to-filed")
    assert (suppressed.suppressed, suppressed.value, suppressed.n, suppressed.cases, suppressed.display) == (True, None, None, None, "<5")
    # four decisions in the quarter, and five overdue handoffs that come from only four cases
    assert five.figure("filed-to-decided").suppressed
    overdue = five.figure("handoffs-overdue")
    assert overdue.suppressed and overdue.value is None


def test_published_suppresses_by_distinct_cases_not_by_items() -> None:
    four_cases_many_items = [(f"case-{n % 4}", float(n)) for n in range(12)]
    assert published("x", "median", "days", four_cases_many_items).suppressed
    five_cases = [(f"case-{n}", float(n)) for n in range(5)]
    figure = published("x", "median", "days", five_cases)
    assert (figure.value, figure.n, figure.cases, figure.suppressed) == (2, 5, 5, False)
    assert published("x", "count", "gaps", []).value == 0  # nothing from no case reveals nobody
    assert published("x", "median", "days", []).value is None


def test_other_municipalities_cases_never_count() -> None:
    utrecht = {
        f"{case_id}-utrecht": filing_case(case_id, "GM0344", stored_as=f"{case_id}-utrecht").events
        for case_id in ("case-jrny-a", "case-jrny-b")
    }
    together = {**utrecht, **histories()}
    assert journey(together, "GM0855", Q3, DIRECTORY).figures == journey(histories(), "GM0855", Q3, DIRECTORY).figures
    assert journey(together, "GM0344", Q3, DIRECTORY).figure("cases").suppressed  # 2 cases


def test_a_case_that_moves_away_later_still_counts_where_it_was_in_the_quarter() -> None:
    mover = filing_case("case-jrny-a")
    mover.report(d("2026-10-10"), "coa", ParentsArrived(arrival_date=d("2026-10-10"), municipality="GM0344"))
    moved = {**histories(), "case-jrny-a": mover.events}
    later = journey(moved, "GM0855", Q3, DIRECTORY, as_of=d("2026-11-01"))
    assert later.figure("permit-to-filed").value == 61 and later.figure("cases").value == 6
    assert journey(moved, "GM0344", "2026Q4", DIRECTORY, as_of=d("2026-11-01")).figure("cases").suppressed


def test_a_quarter_still_running_counts_up_to_the_day() -> None:
    running = journey(histories(), "GM0855", Q3, DIRECTORY, as_of=d("2026-08-15"))
    assert running.last_day == d("2026-08-15")
    # permit -> filed by 15 August: a 61, b 40, c 60, d 95 -> four cases
    assert running.figure("permit-to-filed").suppressed


# --- support gaps ------------------------------------------------------------------------------------------

# Turning 18 in (or just before) Q3 with nobody accepting the 18+ transition: Nidos' support ends with a gap.
BIRTHS = {
    "case-gap-1": "2008-07-10",  # gap 07-10 .. 09-30: 83 days in Q3
    "case-gap-2": "2008-08-01",  # gap 08-01 .. 09-30: 61 days
    "case-gap-3": "2008-09-15",  # gap 09-15 .. 09-30: 16 days
    "case-gap-4": "2008-06-20",  # gap since 06-20 (Q2): 92 days in Q3, not detected in Q3
    "case-gap-5": "2008-07-01",  # gap 07-01, closed when the municipality accepts on 07-21: 20 days
}


@cache
def gap_histories() -> dict[str, tuple]:
    found = {}
    for case_id, born in BIRTHS.items():
        c = Chain(case_id)
        c.report(d("2026-01-05"), "nidos", ResidencePermitGranted(date_of_birth=d(born), municipality="GM0855",
                                                                   permit_date=d("2026-01-05")))
        if case_id == "case-gap-5":
            c.days(d("2026-01-05"), d("2026-07-20"))
            c.accept(d("2026-07-21"), "transition-18-plus")
            c.days(d("2026-07-21"), d("2026-09-30"))
        else:
            c.days(d("2026-01-05"), d("2026-09-30"))
        found[case_id] = tuple(c.events)
    return found


def test_gap_days_against_hand_computed_values_and_gaps_detected_from_four_cases() -> None:
    result = journey({k: list(v) for k, v in gap_histories().items()}, "GM0855", Q3, DIRECTORY)
    days = result.figure("support-gap-days")
    assert (days.value, days.cases, days.suppressed) == (83 + 61 + 16 + 92 + 20, 5, False)
    assert result.figure("support-gaps").suppressed  # detected in Q3: gaps 1, 2, 3 and 5


# --- outputs ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def q3():
    return journey(histories(), "GM0855", Q3, DIRECTORY)


def test_json_marks_suppressed_cells(q3) -> None:
    data = json.loads(to_json(q3))
    assert (data["municipality"], data["quarter"], data["from"], data["to"], data["minimum_cases"]) == (
        "GM0855", Q3, "2026-07-01", "2026-09-30", 5,
    )
    cells = {(f["metric"], f["group"]): f for f in data["figures"]}
    assert cells[("filed-to-decided", "")] == {
        "metric": "filed-to-decided", "group": "", "statistic": "median", "unit": "days",
        "value": None, "n": None, "cases": None, "suppressed": True, "display": "<5",
    }
    assert cells[("permit-to-filed", "")]["value"] == 61


def test_csv_has_a_row_per_figure_and_no_case_ids(q3) -> None:
    text = to_csv(q3)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(q3.figures)
    by_metric = {(r["metric"], r["group"]): r for r in rows}
    assert by_metric[("permit-to-filed", "")] == {
        "municipality": "GM0855", "quarter": Q3, "metric": "permit-to-filed", "group": "", "statistic": "median",
        "unit": "days", "value": "61", "n": "5", "cases": "5", "suppressed": "false",
    }
    assert (by_metric[("handoffs-overdue", "")]["value"], by_metric[("handoffs-overdue", "")]["n"]) == ("<5", "")
    assert "case-" not in text


def test_svg_charts_are_well_formed_and_show_suppression(q3) -> None:
    for svg in (milestones_svg(q3), handoffs_svg(q3)):
        root = ElementTree.fromstring(svg)
        assert root.tag.endswith("svg")
        assert "case-" not in svg
    milestones = milestones_svg(q3)
    assert "&lt;5 cases: not shown" in milestones and "61 days (n=5)" in milestones
    assert "2.5 days (n=6)" in handoffs_svg(q3)


def test_an_unknown_municipality_or_a_quarter_not_started_is_refused() -> None:
    with pytest.raises(ValueError, match="GM9999"):
        journey(histories(), "GM9999", Q3, DIRECTORY)
    with pytest.raises(ValueError, match="starts"):
        journey(histories(), "GM0855", Q3, DIRECTORY, as_of=d("2026-06-30"))


def test_figures_hold_no_case_id_or_date_of_birth(q3) -> None:
    text = to_json(q3) + to_csv(q3)
    assert "case-" not in text and "2012-02-02" not in text
