"""The inbox gate: every malformed report is refused with a code and the field it concerns."""

import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.events import ApplicationFiled, HousingAssigned, ResidencePermitGranted
from contracts.inbox import REJECTION_CODES, Rejection, Report, parse_inbox_message
from contracts.versions import PREVIOUS_VERSIONS
from tests.support.partner import envelope

PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}


def body(**changes: object) -> bytes:
    message = envelope("nidos", "ResidencePermitGranted", "case-abc123", dict(PERMIT))
    message.update(changes)
    return json.dumps(message).encode()


def test_a_well_formed_report_is_accepted_with_typed_data() -> None:
    result = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", body())
    assert isinstance(result, Report)
    assert result.org == "nidos"
    assert result.case_id == "case-abc123"
    assert isinstance(result.event, ResidencePermitGranted)
    assert result.event.municipality == "GM0855"


@pytest.mark.parametrize(
    ("subject", "message", "code", "field"),
    [
        ("amv.inbox.nidos", body(), "subject-malformed", "subject"),
        ("amv.inbox.nobody.ResidencePermitGranted", body(), "unknown-organisation", "subject"),
        ("amv.inbox.nidos.ResidencePermitGranted", b"{not json", "not-json", "(message)"),
        ("amv.inbox.nidos.ResidencePermitGranted", b"[1, 2]", "envelope-invalid", "(message)"),
        ("amv.inbox.nidos.ResidencePermitGranted", body(specversion="0.3"), "envelope-invalid", "specversion"),
        ("amv.inbox.nidos.ResidencePermitGranted", body(subject="123456789"), "envelope-invalid", "subject"),
        ("amv.inbox.nidos.ResidencePermitGranted", body(name="Yonas"), "envelope-invalid", "name"),
        ("amv.inbox.nidos.Unheard", body(type="nl.warmeoverdracht.Unheard.v1"), "unknown-event-type", "type"),
        ("amv.inbox.nidos.ApplicationFiled", body(), "type-mismatch", "type"),
        (
            "amv.inbox.nidos.ResidencePermitGranted",
            body(type="nl.warmeoverdracht.ResidencePermitGranted.v9"),
            "unknown-version",
            "type",
        ),
        (
            "amv.inbox.nidos.ResidencePermitGranted",
            body(source="urn:nld:warmeoverdracht:org:coa"),
            "source-mismatch",
            "source",
        ),
        (
            "amv.inbox.nidos.HandoffRequested",
            body(type="nl.warmeoverdracht.HandoffRequested.v1"),
            "unknown-event-type",
            "type",
        ),
        ("amv.inbox.nidos.ResidencePermitGranted", body(data={**PERMIT, "bsn": "1"}), "data-invalid", "data.bsn"),
        (
            "amv.inbox.nidos.ResidencePermitGranted",
            body(data={k: v for k, v in PERMIT.items() if k != "permit_date"}),
            "data-invalid",
            "data.permit_date",
        ),
        (
            "amv.inbox.nidos.ResidencePermitGranted",
            body(data={**PERMIT, "date_of_birth": "2010-02-30"}),
            "data-invalid",
            "data.date_of_birth",
        ),
        (
            "amv.inbox.nidos.ResidencePermitGranted",
            body(data={**PERMIT, "municipality": "Tilburg"}),
            "data-invalid",
            "data.municipality",
        ),
    ],
)
def test_a_bad_report_is_refused_naming_the_field(subject: str, message: bytes, code: str, field: str) -> None:
    result = parse_inbox_message(subject, message)
    assert isinstance(result, Rejection), result
    assert (result.code, result.field) == (code, field)
    assert field == "(message)" or f"'{field}'" in result.reason, result.reason


def test_a_rule_that_does_not_name_the_field_gets_it_put_in_front() -> None:
    said = Rejection("unknown-case", "case case-abc123 is unknown: report ResidencePermitGranted first", "subject")
    assert said.reason == "field 'subject': case case-abc123 is unknown: report ResidencePermitGranted first"
    named = Rejection("data-invalid", "field 'data.x' is required", "data.x")
    assert named.reason == "field 'data.x' is required"
    assert Rejection("not-json", "message is not JSON", "(message)").reason == "message is not JSON"


def test_an_unknown_field_is_refused_as_possible_personal_data() -> None:
    result = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", body(data={**PERMIT, "name": "Yonas"}))
    assert isinstance(result, Rejection)
    assert "personal data" in result.reason


def test_an_organisation_may_only_report_what_its_kind_reports() -> None:
    message = envelope("coa", "ApplicationFiled", "case-abc123", {"filed_on": "2026-02-01"})
    result = parse_inbox_message("amv.inbox.coa.ApplicationFiled", json.dumps(message).encode())
    assert isinstance(result, Rejection)
    assert result.code == "not-authorised"
    assert "nidos" in result.reason
    assert ApplicationFiled.reporters == frozenset({"nidos"})


def test_a_message_over_the_size_limit_is_refused() -> None:
    result = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", body(), max_bytes=100)
    assert isinstance(result, Rejection)
    assert result.code == "too-large"


@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_crash_the_gate(payload: bytes) -> None:
    result = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", payload)
    assert isinstance(result, Rejection)


# --- strict JSON: what the JSON Schema says, nothing coerced ------------------------------------

ABSENCE = {"reported_on": "2026-03-02", "days_absent": 4}


def absence_body(data: dict, **changes: object) -> bytes:
    message = envelope("school-isk-tilburg", "SchoolAbsenceReported", "case-abc123", data)
    message.update(changes)
    return json.dumps(message).encode()


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({**ABSENCE, "days_absent": "4"}, "data.days_absent", "valid integer"),
        ({**ABSENCE, "days_absent": 4.0}, "data.days_absent", "valid integer"),
        ({**ABSENCE, "reported_on": "02-03-2026"}, "data.reported_on", "YYYY-MM-DD"),
        ({**ABSENCE, "reported_on": "2026-03-02T00:00:00"}, "data.reported_on", "YYYY-MM-DD"),
        ({**ABSENCE, "reported_on": 1772409600}, "data.reported_on", "valid date"),
        ({**ABSENCE, "days_absent": 0}, "data.days_absent", "greater than or equal to 1"),
    ],
)
def test_wrong_types_and_dates_are_refused_not_coerced(data: dict, field: str, says: str) -> None:
    result = parse_inbox_message("amv.inbox.school-isk-tilburg.SchoolAbsenceReported", absence_body(data))
    assert isinstance(result, Rejection), result
    assert (result.code, result.field) == ("data-invalid", field)
    assert field in result.reason and says in result.reason


def test_an_envelope_time_without_a_time_zone_is_refused() -> None:
    result = parse_inbox_message(
        "amv.inbox.school-isk-tilburg.SchoolAbsenceReported", absence_body(ABSENCE, time="2026-03-02T09:00:00")
    )
    assert isinstance(result, Rejection)
    assert (result.code, result.field) == ("envelope-invalid", "time")


def test_every_problem_is_counted_in_the_reason_the_first_names_the_field() -> None:
    data = {"days_absent": "many", "name": "Yonas", "bsn": "123"}
    result = parse_inbox_message("amv.inbox.school-isk-tilburg.SchoolAbsenceReported", absence_body(data))
    assert isinstance(result, Rejection)
    assert result.field == "data.reported_on"
    assert "(and 3 more: 'data.days_absent', 'data.name', 'data.bsn')" in result.reason


@pytest.mark.parametrize(
    "payload",
    [b"", b"\xff\xfe", b'{"specversion": NaN}', b"\xef\xbb\xbf{}"],
)
def test_what_is_not_strict_json_is_refused_without_a_crash(payload: bytes) -> None:
    result = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", payload, max_bytes=200_000)
    assert isinstance(result, Rejection)
    assert (result.code, result.field) == ("not-json", "(message)")


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 50_000 + b"]" * 50_000,  # deeper than the parser goes
        b"[" * 33 + b"]" * 33,
        body(data={**PERMIT, "nested": json.loads("[" * 31 + "]" * 31)}),  # 33 levels with the envelope and data
    ],
)
def test_json_deeper_than_32_levels_is_refused_as_too_deep(payload: bytes) -> None:
    result = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", payload, max_bytes=200_000)
    assert isinstance(result, Rejection)
    assert (result.code, result.field) == ("too-deep", "(message)")
    assert "32 levels" in result.reason


def test_32_levels_are_not_too_deep() -> None:
    result = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", body(data={**PERMIT, "nested": json.loads("[" * 30 + "]" * 30)}))
    assert isinstance(result, Rejection)
    assert (result.code, result.field) == ("data-invalid", "data.nested")  # refused as an unknown field, not as deep


# --- versions: HousingAssigned v2 is current, v1 is accepted until its sunset ---------------------

HOUSED_V2 = {"municipality": "GM0855", "housing": "temporary-family-home", "housed_on": "2026-11-16"}
HOUSED_V1 = {"municipality": "GM0855", "housing": "family-home", "housed_on": "2026-11-16"}


HOUSED_AT = "2026-11-16T09:00:00+01:00"


def housing_body(data: dict, version: int, time: str = HOUSED_AT) -> bytes:
    message = envelope("gm0855", "HousingAssigned", "case-abc123", data)
    message.update(type=f"nl.warmeoverdracht.HousingAssigned.v{version}", time=time)
    return json.dumps(message).encode()


def housing_report(data: dict, version: int, time: str = HOUSED_AT) -> Report | Rejection:
    """A HousingAssigned report, received when it says it was made."""
    received_at = datetime.fromisoformat(time)
    return parse_inbox_message("amv.inbox.gm0855.HousingAssigned", housing_body(data, version, time), received_at=received_at)


def test_the_current_version_is_accepted() -> None:
    result = housing_report(HOUSED_V2, 2)
    assert isinstance(result, Report), result
    assert result.event == HousingAssigned(municipality="GM0855", housing="temporary-family-home", housed_on="2026-11-16")


def test_a_v1_report_inside_its_window_is_accepted_kept_as_sent_and_read_as_v2() -> None:
    result = housing_report(HOUSED_V1, 1)
    assert isinstance(result, Report), result
    assert result.envelope.type == "nl.warmeoverdracht.HousingAssigned.v1"  # stored as the partner sent it
    assert isinstance(result.event, HousingAssigned) and type(result.event).version == 2
    assert result.event.housing == "family-home"


def test_v2_values_are_not_accepted_in_a_v1_report() -> None:
    result = housing_report(HOUSED_V2, 1)
    assert isinstance(result, Rejection)
    assert (result.code, result.field) == ("data-invalid", "data.housing")


def test_a_v1_report_made_after_the_window_is_refused_as_retired() -> None:
    sunset = PREVIOUS_VERSIONS[("HousingAssigned", 1)].accepted_until
    assert sunset is not None
    assert isinstance(housing_report(HOUSED_V1, 1, time=f"{sunset.isoformat()}T23:30:00+02:00"), Report)
    result = housing_report(HOUSED_V1, 1, time=f"{sunset.isoformat()}T22:30:00Z")  # 00:30 the next day in Amsterdam
    assert isinstance(result, Rejection)
    assert (result.code, result.field) == ("version-retired", "type")
    assert "nl.warmeoverdracht.HousingAssigned.v2" in result.reason


def test_an_unknown_version_names_what_is_accepted() -> None:
    result = housing_report(HOUSED_V2, 3)
    assert isinstance(result, Rejection)
    assert result.code == "unknown-version"
    assert "send nl.warmeoverdracht.HousingAssigned.v2" in result.reason and "v1 (until" in result.reason


# --- every code a partner can meet is documented -------------------------------------------------


def test_every_rejection_code_in_the_code_is_in_the_catalogue() -> None:
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    found = {
        match.group(1)
        for folder in ("contracts", "services", "ops")
        for path in (repo / folder).rglob("*.py")
        for match in re.finditer(r'Rejection\(\s*(?:code=)?"([a-z0-9-]+)"', path.read_text())
    }
    assert found, "the scan found no rejection at all"
    assert found - set(REJECTION_CODES) == set(), "add these codes to contracts.inbox.REJECTION_CODES"
