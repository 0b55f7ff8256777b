"""Personal data in the contracts: no event carries a name, BSN, V-nummer, address, phone or e-mail;
the date of birth is the one personal datum, marked as such in the models and the published
schemas; a report carrying anything like it is refused, saying it may be personal data."""

import json
import typing
from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel, ValidationError

from contracts.envelope import CloudEvent
from contracts.events import PERSONAL_DATA, ResidencePermitGranted, data_of, personal_fields, report
from contracts.export import SCHEMA_DIR
from contracts.inbox import Rejection, parse_inbox_message
from contracts.versions import all_models
from ops.partner import envelope

# Parts of a field name (underscores removed, lower case) that say it holds who someone is.
PERSONAL_LOOKING = (
    "name", "surname", "initials", "bsn", "burgerservice", "vnummer", "anummer", "address", "adres", "street",
    "straat", "postcode", "postal", "zipcode", "housenumber", "huisnummer", "phone", "telefoon", "mobile", "email",
    "mail", "birth", "geboorte", "passport", "paspoort", "nationality", "nationaliteit", "gender", "geslacht", "iban",
    "photo",
)
SANCTIONED_PERSONAL = {("ResidencePermitGranted", "date_of_birth")}  # the only personal datum the rules need
# Looks personal, is not a personal field: the day the young person came of age, derived by the
# rules when that day starts (the event's `time` records the same day).
DERIVED_DATES = {("Turned18", "birthday")}
PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}


def looks_personal(field: str) -> bool:
    flat = field.replace("_", "").lower()
    return any(part in flat for part in PERSONAL_LOOKING)


def nested_models(model: type[BaseModel]) -> set[type[BaseModel]]:
    """The models used inside `model`'s fields (e.g. LanguageNeeds in TaskOpened)."""
    found = set()
    for info in model.model_fields.values():
        for candidate in [info.annotation, *typing.get_args(info.annotation)]:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found.add(candidate)
    return found


def every_field() -> set[tuple[str, str]]:
    models = [*all_models(), CloudEvent]
    models += [nested for model in models for nested in nested_models(model)]
    return {(getattr(m, "event_type", m.__name__), field) for m in models for field in m.model_fields}


def test_the_personal_data_detector_recognises_what_it_must() -> None:
    for field in ("name", "first_name", "surname", "bsn", "v_nummer", "address", "phone", "email", "date_of_birth"):
        assert looks_personal(field), field
    for field in ("municipality", "permit_date", "handoff_id", "key_person_needed", "reason", "subject"):
        assert not looks_personal(field), field


def test_no_event_or_envelope_field_looks_like_personal_data_but_the_date_of_birth() -> None:
    fields = every_field()
    assert ("ResidencePermitGranted", "date_of_birth") in fields and len(fields) > 60
    suspicious = {(model, field) for model, field in fields if looks_personal(field)}
    assert suspicious - SANCTIONED_PERSONAL - DERIVED_DATES == set()


def test_the_date_of_birth_is_the_only_field_marked_personal() -> None:
    marked = {(model.event_type, field) for model in all_models() for field in personal_fields(model)}
    assert marked == SANCTIONED_PERSONAL
    nested = {nested for model in all_models() for nested in nested_models(model)}
    assert nested and all(personal_fields(model) == () for model in nested)  # the store seals top-level fields only


def test_the_published_schema_marks_the_date_of_birth_personal_and_still_requires_a_date() -> None:
    schema = json.loads((SCHEMA_DIR / "ResidencePermitGranted.v1.json").read_text())
    date_of_birth = schema["properties"]["date_of_birth"]
    assert date_of_birth[PERSONAL_DATA] is True
    assert (date_of_birth["type"], date_of_birth["format"]) == ("string", "date")  # no null for partners
    assert "date_of_birth" in schema["required"]
    unmarked = [p for p, spec in schema["properties"].items() if p != "date_of_birth" and PERSONAL_DATA in spec]
    assert unmarked == []


@pytest.mark.parametrize(
    "field, value",
    [("name", "Amanuel Tesfay"), ("first_name", "Amanuel"), ("surname", "Tesfay"), ("bsn", "123456782"),
     ("v_nummer", "1234567890"), ("address", "Stationsstraat 1, Tilburg"), ("phone", "+31612345678"),
     ("email", "amanuel@example.org")],
)
def test_a_report_carrying_a_name_or_number_of_a_person_is_refused_as_possibly_personal(field, value) -> None:
    body = json.dumps(envelope("nidos", "ResidencePermitGranted", "case-7f3a9c21", {**PERMIT, field: value})).encode()
    refused = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", body)
    assert isinstance(refused, Rejection)
    assert (refused.code, refused.field) == ("data-invalid", f"data.{field}")
    assert "may be personal data" in refused.reason
    assert value not in refused.reason  # the reason names the field, never repeats the value


def test_a_personal_attribute_on_the_envelope_is_refused_too() -> None:
    body = json.dumps({**envelope("nidos", "ResidencePermitGranted", "case-7f3a9c21", PERMIT), "bsn": "123456782"})
    refused = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", body.encode())
    assert isinstance(refused, Rejection) and (refused.code, refused.field) == ("envelope-invalid", "bsn")
    assert "may be personal data" in refused.reason


@pytest.mark.parametrize("case_id", ["123456782", "1234-5678-90"])
def test_a_case_id_of_digits_only_looks_like_a_bsn_or_v_nummer_and_is_refused(case_id) -> None:
    body = json.dumps(envelope("nidos", "ResidencePermitGranted", case_id, PERMIT)).encode()
    refused = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", body)
    assert isinstance(refused, Rejection) and (refused.code, refused.field) == ("envelope-invalid", "subject")
    assert "pseudonymous" in refused.reason and case_id not in refused.reason


def test_a_report_may_not_leave_the_date_of_birth_out_or_null() -> None:
    for data in ({**PERMIT, "date_of_birth": None}, {k: v for k, v in PERMIT.items() if k != "date_of_birth"}):
        body = json.dumps(envelope("nidos", "ResidencePermitGranted", "case-7f3a9c21", data)).encode()
        refused = parse_inbox_message("amv.inbox.nidos.ResidencePermitGranted", body)
        assert isinstance(refused, Rejection) and refused.field == "data.date_of_birth", data
    with pytest.raises(ValidationError):
        ResidencePermitGranted(date_of_birth=None, municipality="GM0855", permit_date=date(2026, 1, 10))


def test_an_erased_date_of_birth_reads_back_from_the_store_as_none() -> None:
    stored = report(
        ResidencePermitGranted(date_of_birth=date(2010, 5, 17), municipality="GM0855", permit_date=date(2026, 1, 10)),
        "case-7f3a9c21", "nidos", "e-1", datetime(2026, 1, 10, 9, tzinfo=UTC),
    )
    erased = stored.model_copy(update={"data": {**stored.data, "date_of_birth": None}})
    permit = data_of(erased)
    assert isinstance(permit, ResidencePermitGranted)
    assert permit.date_of_birth is None and permit.municipality == "GM0855"
    assert data_of(stored).date_of_birth == date(2010, 5, 17)


def test_a_validation_error_of_an_event_names_the_field_but_not_the_value() -> None:
    with pytest.raises(ValidationError) as raised:
        ResidencePermitGranted.model_validate({**PERMIT, "date_of_birth": "17-05-2010"})
    assert "date_of_birth" in str(raised.value) and "17-05-2010" not in str(raised.value)
