"""The inbox gate: every malformed report is refused with a code and the field it concerns."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.events import ApplicationFiled, ResidencePermitGranted
from contracts.inbox import Rejection, Report, parse_inbox_message
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
    assert result.reason


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
