"""The agenda as Markdown, JSON and HTML: complete, escaped, and without a date of birth."""

import json
from datetime import date

import pytest

from services.monitoring.agenda import Agenda, AgendaItem, Section, agenda
from services.monitoring.render import render, to_html, to_json, to_markdown
from tests.services.monitoring.seed import MEETING, seeded
from tests.support.domain import DIRECTORY

HOSTILE = AgendaItem(
    "case-render1", "declined: <script>alert(1)</script> | & more", "find <b>another</b>", "regie-gm0855",
    due=date(2026, 9, 20), days=3, attention=True, facts={"on": date(2026, 9, 1)},
)
SMALL = Agenda("GM0855", "Tilburg", date(2026, 9, 15), date(2026, 9, 1), 1,
               (Section("open-handoffs", "Open handoffs", (HOSTILE,)), Section("moves", "Moves", ())))


@pytest.fixture(scope="module")
def tilburg():
    return agenda(seeded(), "GM0855", MEETING, DIRECTORY)


def test_html_escapes_every_value() -> None:
    page = to_html(SMALL)
    assert "<script>" not in page and "<b>another</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | &amp; more" in page
    assert page.startswith("<!doctype html>") and 'class="attention"' in page


def test_markdown_keeps_each_item_in_its_table_row() -> None:
    text = to_markdown(SMALL)
    [row] = [line for line in text.splitlines() if "case-render1" in line]
    assert "\\|" in row and row.count(" | ") == 6  # seven cells: the pipe in the text is escaped
    assert "## Moves (0)\n\nNothing to discuss." in text


def test_json_has_every_section_and_item_with_iso_dates(tilburg) -> None:
    data = json.loads(to_json(tilburg))
    assert [s["key"] for s in data["sections"]] == [s.key for s in tilburg.sections]
    assert sum(len(s["items"]) for s in data["sections"]) == sum(len(s.items) for s in tilburg.sections)
    assert data["as_of"] == "2026-09-15"
    first = data["sections"][0]["items"][0]
    assert first["facts"]["milestone_on"] == "2026-12-20" and first["due"] == "2026-09-20"


def test_every_format_names_every_case_of_the_agenda_and_no_date_of_birth(tilburg) -> None:
    histories = seeded()
    births = {e.data["date_of_birth"] for events in histories.values() for e in events if "date_of_birth" in e.data}
    for fmt in ("md", "json", "html"):
        text = render(tilburg, fmt)
        assert all(case_id in text for case_id in tilburg.case_ids), fmt
        assert not any(born in text for born in births), fmt


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="pdf"):
        render(SMALL, "pdf")
