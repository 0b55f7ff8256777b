"""Bounded facts at the inbox gate: every date partners report, and the CloudEvent time, has a
plausible range judged against the receipt; outside it the report is refused (`out-of-range`)
naming the field and the bound, never the value. Free text is bounded and screened for personal
identifiers (`personal-data`)."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.bounds import (
    AGE_MAX_YEARS,
    DATE_RANGES,
    DERIVED_DATES,
    EARLIEST_FACT,
    EVENT_TIME_TOLERANCE,
    FACT_MAX_DAYS_AHEAD,
    SUPPORT_EXTENSION_MAX_YEARS,
    date_fields,
    receipt_day,
)
from contracts.events import EVENT_TYPES
from contracts.events.base import FREE_TEXT_MAX, personal_kind
from contracts.examples import example_of
from contracts.inbox import REJECTION_CODES, Rejection, Report, parse_inbox_message
from contracts.versions import PREVIOUS_VERSIONS, all_models

RECEIVED = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
TODAY = receipt_day(RECEIVED)


def reportable_models():
    accepted = {(t, v) for (t, v), p in PREVIOUS_VERSIONS.items() if p.accepted_until}
    return [m for m in all_models() if m.reporters and (m is EVENT_TYPES[m.event_type] or (m.event_type, m.version) in accepted)]


def test_every_reported_date_has_a_range_and_every_derived_date_says_where_it_comes_from() -> None:
    reported = {(m.event_type, f) for m in reportable_models() for f in date_fields(m.model_json_schema())}
    derived = {(m.event_type, f) for m in all_models() if not m.reporters for f in date_fields(m.model_json_schema())}
    assert reported == set(DATE_RANGES)
    assert derived == set(DERIVED_DATES)
    assert {"out-of-range", "too-deep", "personal-data"} <= set(REJECTION_CODES)


def report(event_type: str, received_at: datetime = RECEIVED, time: datetime | str | None = None, **data: object):
    """The worked example of `event_type`, its `time` and `data` changed, received at `received_at`."""
    example = example_of(event_type)
    message = json.loads(json.dumps(example.envelope(event_type)))
    message["time"] = (time or received_at).isoformat() if not isinstance(time, str) else time
    message["data"].update(data)
    return parse_inbox_message(f"amv.inbox.{example.org}.{event_type}", json.dumps(message).encode(), received_at=received_at)


def _years(day: date, years: int) -> date:
    return day.replace(year=day.year + years)


def bounds_of(event_type: str, field: str) -> tuple[date, date]:
    plausible = DATE_RANGES[(event_type, field)]
    return plausible.earliest(TODAY), plausible.latest(TODAY)


def test_the_ranges_are_the_documented_ones() -> None:
    assert bounds_of("ResidencePermitGranted", "date_of_birth") == (_years(TODAY, -AGE_MAX_YEARS), TODAY)
    assert bounds_of("ResidencePermitGranted", "permit_date") == (EARLIEST_FACT, TODAY + timedelta(days=FACT_MAX_DAYS_AHEAD))
    assert bounds_of("ApplicationDecided", "decided_on") == (date(2000, 1, 1), TODAY + timedelta(days=1))
    assert bounds_of("SupportExtended", "until") == (EARLIEST_FACT, _years(TODAY, SUPPORT_EXTENSION_MAX_YEARS))


@pytest.mark.parametrize(("event_type", "field"), list(DATE_RANGES))
def test_every_date_is_accepted_on_its_bounds_and_refused_a_day_outside(event_type: str, field: str) -> None:
    earliest, latest = bounds_of(event_type, field)
    for inside in (earliest, latest):
        accepted = report(event_type, **{field: inside.isoformat()})
        assert not (isinstance(accepted, Rejection) and accepted.code == "out-of-range"), accepted
    for outside in (earliest - timedelta(days=1), latest + timedelta(days=1), date(1, 1, 1), date(9999, 12, 31)):
        refused = report(event_type, **{field: outside.isoformat()})
        assert isinstance(refused, Rejection), outside
        assert (refused.code, refused.field) == ("out-of-range", f"data.{field}")
        assert f"field 'data.{field}'" in refused.reason
        assert earliest.isoformat() in refused.reason and latest.isoformat() in refused.reason, "the reason names the bound"
        assert outside.isoformat() not in refused.reason, "never the value"


@pytest.mark.parametrize(
    "poison",
    [{"permit_date": "9999-12-01"}, {"date_of_birth": "9999-01-01"}, {"date_of_birth": "0001-01-01"}, {"permit_date": "1999-12-31"}],
)
def test_the_poison_dates_of_the_issue_are_refused(poison: dict) -> None:
    refused = report("ResidencePermitGranted", **poison)
    assert isinstance(refused, Rejection) and refused.code == "out-of-range"
    assert refused.field == f"data.{next(iter(poison))}"


@pytest.mark.parametrize(
    ("time", "accepted"),
    [
        (RECEIVED, True),
        (RECEIVED - EVENT_TIME_TOLERANCE, True),
        (RECEIVED + EVENT_TIME_TOLERANCE, True),
        (RECEIVED - EVENT_TIME_TOLERANCE - timedelta(seconds=1), False),
        (RECEIVED + EVENT_TIME_TOLERANCE + timedelta(seconds=1), False),
        ("0001-01-01T00:00:00+14:00", False),
        ("9999-12-31T23:59:59-14:00", False),
        ("2026-06-15T12:00:00+02:00", True),  # the same moment as RECEIVED, in Amsterdam
    ],
)
def test_the_event_time_lies_within_a_day_of_receipt(time, accepted: bool) -> None:
    result = report("ApplicationFiled", time=time, filed_on="2026-06-01")
    if accepted:
        assert isinstance(result, Report), result
    else:
        assert isinstance(result, Rejection) and (result.code, result.field) == ("out-of-range", "time")
        assert "24 hours of receipt" in result.reason
        assert (time if isinstance(time, str) else time.isoformat()) not in result.reason


def test_a_redelivered_report_gets_the_verdict_of_its_receipt_not_of_today() -> None:
    """The gate never reads the clock when it is given the receipt: a report of 2026-06-15 stays valid."""
    assert isinstance(report("ApplicationFiled", filed_on="2026-06-15"), Report)
    later = datetime.now(UTC) + timedelta(days=3650)  # were the gate to judge by today, the time would be far off
    assert isinstance(report("ApplicationFiled", time=RECEIVED, received_at=RECEIVED, filed_on="2026-06-15"), Report)
    assert isinstance(report("ApplicationFiled", time=RECEIVED, received_at=later), Rejection)


def test_without_a_receipt_the_gate_judges_as_of_now() -> None:
    """A partner checking a report before publishing it: now is the receipt."""
    now = datetime.now(UTC)
    example = example_of("ApplicationFiled")
    message = example.envelope("ApplicationFiled") | {"time": now.isoformat(), "data": {"filed_on": now.date().isoformat()}}
    assert isinstance(parse_inbox_message("amv.inbox.nidos.ApplicationFiled", json.dumps(message).encode()), Report)


# --- free text ----------------------------------------------------------------------------------

FREE_TEXT = [("TaskDeclined", "reason"), ("TaskCancelled", "reason"), ("ChecklistItemTicked", "item")]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Call the mother at 06-12345678.", "a phone number"),
        ("Her number is +31 6 1234 5678", "a phone number"),
        ("Reach the school on 013 123 4567", "a phone number"),
        ("BSN 123456782 in our files", "a BSN"),
        ("bsn 1234.56.782", "a BSN"),
        ("V-nummer 1234567890", "a V-nummer"),
        ("write to j.jansen@gemeente.nl please", "an e-mail address"),
    ],
)
@pytest.mark.parametrize(("event_type", "field"), FREE_TEXT)
def test_free_text_with_a_personal_identifier_is_refused_naming_the_kind_not_the_text(event_type, field, text, kind) -> None:
    refused = report(event_type, **{field: text[:100]})
    assert isinstance(refused, Rejection)
    assert (refused.code, refused.field) == ("personal-data", f"data.{field}")
    assert kind in refused.reason
    for token in text.split():
        if any(ch.isdigit() for ch in token) or "@" in token:
            assert token.strip(".") not in refused.reason


@pytest.mark.parametrize(
    "text",
    ["Family lives in another municipality since May.", "Absent 12 days since 2026-03-02, see plan v2.",
     "The application was withdrawn.", "Meeting at 10:30 in room 4", "task 5b8e2f0c-3a61-5d7e-9c4b-2f1a8d6e7b30"],
)
def test_ordinary_free_text_passes_the_screen(text: str) -> None:
    assert personal_kind(text) is None
    assert isinstance(report("TaskDeclined", reason=text), Report)


def test_free_text_is_length_bounded() -> None:
    assert isinstance(report("TaskDeclined", reason="x" * FREE_TEXT_MAX), Report)
    refused = report("TaskDeclined", reason="x" * (FREE_TEXT_MAX + 1))
    assert isinstance(refused, Rejection) and (refused.code, refused.field) == ("data-invalid", "data.reason")
    refused = report("TaskAccepted", task_id="x" * 129)
    assert isinstance(refused, Rejection) and refused.field == "data.task_id"


SECRET = "Yonas-123456782"  # a value no reason may repeat


@given(
    st.sampled_from(["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "causationid",
                     "data.date_of_birth", "data.permit_date", "data.municipality", "data.extra", "extra"]),
    st.sampled_from([SECRET, f"{SECRET}@example.nl", [SECRET], {"k": SECRET}, f"urn:x:{SECRET}",
                     f"nl.warmeoverdracht.{SECRET}.v1"]),
)
def test_no_reason_repeats_a_value_that_was_sent(where: str, value) -> None:
    message = json.loads(json.dumps(example_of("ResidencePermitGranted").envelope("ResidencePermitGranted")))
    message["time"] = RECEIVED.isoformat()
    target, key = (message["data"], where[5:]) if where.startswith("data.") else (message, where)
    target[key] = value
    result = parse_inbox_message(
        "amv.inbox.nidos.ResidencePermitGranted", json.dumps(message).encode(), received_at=RECEIVED
    )
    if where in ("id", "causationid") and isinstance(result, Report):
        return  # an id is the partner's to choose
    assert isinstance(result, Rejection)
    assert "123456782" not in result.reason and "Yonas" not in result.reason
