"""The desk's languages: Dutch first (catalogue complete, compiled .mo in step with the .po), English
by the switch or Accept-Language, Dutch dates, organisations by name, task texts in Dutch."""

from datetime import UTC, date, datetime

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from contracts.envelope import CloudEvent
from services.desk.i18n import LOCALE_DIR, accepted_locale, choose_locale, language
from services.desk.texts import KINDS, STATUSES, describe, org_name, responsibility_text

NL, EN = language("nl"), language("en")


def test_every_text_has_its_dutch_translation_and_the_committed_mo_is_compiled_from_the_po() -> None:
    template = read_po((LOCALE_DIR / "desk.pot").open("rb"))
    po = read_po((LOCALE_DIR / "nl/LC_MESSAGES/desk.po").open("rb"))
    mo = read_mo((LOCALE_DIR / "nl/LC_MESSAGES/desk.mo").open("rb"))
    wanted = {m.id for m in template if m.id}
    assert wanted == {m.id for m in po if m.id}, "run the pybabel commands in services/desk/i18n.py"
    assert not [m.id for m in po if m.id and (not m.string or m.fuzzy)]
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, "pybabel compile -d services/desk/locale -D desk"


@pytest.mark.parametrize(("query", "cookie", "header", "chosen"), [
    (None, None, None, "nl"),
    (None, None, "fr-FR,fr;q=0.9", "nl"),
    (None, None, "en-GB,en;q=0.9", "en"),
    (None, None, "en;q=0.5,nl;q=0.9", "nl"),
    (None, "nl", "en-GB", "nl"),
    ("en", "nl", "nl-NL", "en"),
    ("xx", None, None, "nl"),
])
def test_dutch_unless_the_switch_its_cookie_or_the_browser_say_english(query, cookie, header, chosen) -> None:
    assert choose_locale(query, cookie, header) == chosen


def test_a_malformed_accept_language_is_ignored() -> None:
    assert accepted_locale("en;q=abc, ,;q=") is None


def test_dates_as_dutch_caseworkers_write_them() -> None:
    assert NL.long_date(date(2026, 12, 5)) == "5 december 2026"
    assert NL.short_date(date(2026, 12, 5)) == "05-12-2026"
    assert EN.long_date(date(2026, 12, 5)) == "December 5, 2026"


def test_organisations_by_name_in_the_language_of_the_page() -> None:
    assert org_name("gm0855", NL) == "Gemeente Tilburg"
    assert org_name("gm0855", EN) == "Municipality of Tilburg"
    assert org_name("wijkteam-gm0344", NL) == "Wijkteam Utrecht"
    assert org_name("regie-gm0518", NL) == "Ketenregie Den Haag"
    assert org_name("nidos", NL) == "Nidos"
    assert org_name("gm9999", NL) == "gm9999"  # not in the directory: its id


def test_every_kind_and_status_is_said_in_dutch() -> None:
    assert NL.gettext(STATUSES["requested"]) == "wacht op antwoord"
    assert NL.gettext(STATUSES["in-progress"]) == "in behandeling"
    assert all(NL.gettext(text) != text for text in KINDS.values())


def test_a_task_text_in_dutch() -> None:
    event = CloudEvent(
        id="e-1", source="urn:wo:intake", type="nl.warmeoverdracht.HandoffRequested.v1", subject="case-1",
        time=datetime(2026, 1, 20, tzinfo=UTC),
        data={"handoff_id": "h-1", "kind": "plan-family-housing", "requester": "nidos", "owner": "gm0855",
              "due": "2026-03-17", "municipality": "GM0855"},
    )
    assert describe(event, NL) == "Nidos vraagt Gemeente Tilburg om uiterlijk 17 maart 2026: een gezinswoning vinden"


def test_who_is_responsible_in_dutch() -> None:
    assert responsibility_text("gap", {"by": "nidos", "on": "2026-09-02", "reason": "turned-18", "asked": "regie-gm0855"}, NL) == (
        "begeleiding door Nidos gestopt op 2 september 2026 (turned-18); Ketenregie Tilburg is gevraagd het gat te dichten")
