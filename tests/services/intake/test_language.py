"""§3.6, §4.3: a partner reports the family's language needs; intake stores them once the case exists."""

import json
from datetime import date

import pytest

from contracts.events import LanguageNeeds, LanguageNeedsReported, ResidencePermitGranted
from contracts.inbox import Rejection, parse_inbox_message
from ops.partner import envelope
from services.intake import rules, state
from tests.support.domain import Story, types_of

PERMIT = ResidencePermitGranted(date_of_birth=date(2010, 5, 17), municipality="GM0855", permit_date=date(2026, 1, 10))
NEEDS = LanguageNeedsReported(languages=("ti", "tig"), interpreter_needed=True, key_person_needed=True)


def test_stored_after_the_permit_and_the_latest_report_counts() -> None:
    s = Story(state, rules)
    s.report("nidos", PERMIT)
    assert types_of(s.report("nidos", NEEDS)) == ["LanguageNeedsReported"]
    arranged = NEEDS.model_copy(update={"interpreter_arranged": True})
    s.report("vwn-gm0855", arranged)
    assert s.case.language == arranged


def test_refused_for_an_unknown_case() -> None:
    outcome = Story(state, rules).decide("coa", NEEDS)
    assert isinstance(outcome, Rejection) and outcome.code == "unknown-case"


@pytest.mark.parametrize(
    ("needs", "missing"),
    [
        (LanguageNeeds(languages=("ti",), interpreter_needed=True), True),
        (LanguageNeeds(languages=("ti",), interpreter_needed=True, interpreter_arranged=True), False),
        (LanguageNeeds(languages=("ar",), interpreter_needed=False, key_person_needed=True), True),
        (LanguageNeeds(languages=("ar",), interpreter_needed=False, key_person_needed=True, key_person_arranged=True), False),
        (LanguageNeeds(languages=("nl",), interpreter_needed=False), False),
    ],
)
def test_support_is_missing_when_a_need_is_not_arranged(needs, missing) -> None:
    assert needs.support_missing is missing


def publishing(org: str, data: dict) -> Rejection | object:
    body = json.dumps(envelope(org, "LanguageNeedsReported", "case-lang01", data)).encode()
    return parse_inbox_message(f"amv.inbox.{org}.LanguageNeedsReported", body)


@pytest.mark.parametrize("org", ["nidos", "coa", "gm0855", "vwn-gm0855"])
def test_nidos_coa_the_municipality_and_vwn_may_report_it(org) -> None:
    assert not isinstance(publishing(org, {"languages": ["ti"], "interpreter_needed": True}), Rejection)


def test_a_school_may_not_and_codes_must_be_iso_639() -> None:
    assert publishing("school-isk-tilburg", {"languages": ["ti"], "interpreter_needed": True}).code == "not-authorised"
    refused = publishing("coa", {"languages": ["Tigrinya"], "interpreter_needed": True})
    assert (refused.code, refused.field) == ("data-invalid", "data.languages.0")
    assert publishing("coa", {"languages": [], "interpreter_needed": True}).field == "data.languages"
    assert publishing("coa", {"languages": ["ti"], "interpreter_needed": True, "name": "x"}).code == "data-invalid"
