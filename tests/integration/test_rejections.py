"""Every input in AMV_INBOX ends in exactly one of: stored as an event, or rejected, end to end
against a real nats-server with the four services running. A rejection lands on
amv.rejected.<org>.<EventType> (stream AMV_REJECTED) with the original message byte for byte, a
machine-readable code, and a human reason naming the field."""

import json
from datetime import UTC, datetime, timedelta
from itertools import zip_longest

import nats
import nats.errors
import nats.js.errors
import pytest

from contracts.bounds import DATE_RANGES, receipt_day
from contracts.examples import example_of
from ops.quiesce import wait_until_idle
from services.runtime.eventstore import read_stream
from services.runtime.parking import parked_cases
from tests.support.fixtures import nc, system  # noqa: F401 - fixtures
from tests.support.partner import envelope, eventually, new_case_id, publish, publish_raw, rejection_of, start_day

pytestmark = pytest.mark.integration

PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}
INBOX_CONSUMERS = ("inbox-triage", "intake-inbox", "guardianship-inbox", "housing-inbox", "notify-inbox")


def compact(message: dict) -> bytes:
    """A partner's own formatting (spaces, key order): the rejection must keep it byte for byte."""
    return json.dumps(message, indent=1, sort_keys=True).encode()


async def stored_events(nc, case_id: str) -> list[dict]:
    return [json.loads(m.data) for m in await read_stream(nc, "AMV_EVENTS", f"amv.events.*.{case_id}.>")]


async def refused(nc, subject: str, body: bytes, code: str, field: str) -> dict[str, str]:
    """Publish `body` to `subject`; assert it comes back refused, untouched, with `code` naming `field`."""
    seq = await publish_raw(nc, subject, body)
    rejection = await rejection_of(nc, seq)
    parts = subject.split(".") + ["unknown", "unknown"]
    org, event_type = parts[2], parts[3]
    assert rejection.subject == f"amv.rejected.{org}.{event_type}"
    if code == "too-large":
        assert rejection.data == b"", "a message too large is never echoed"
    else:
        assert rejection.data == body, "the original message must be kept untouched"
    assert rejection.headers["Wo-Original-Bytes"] == str(len(body))
    headers = rejection.headers
    assert (headers["Wo-Error-Code"], headers["Wo-Error-Field"]) == (code, field), headers["Wo-Error-Reason"]
    if field != "(message)":
        assert f"'{field}'" in headers["Wo-Error-Reason"], "the reason names the field"
    assert headers["Wo-Original-Subject"] == subject
    assert headers["Wo-Original-Sequence"] == str(seq)
    assert headers["Wo-Rejected-By"] in {"intake", "guardianship", "housing", "notify"}
    return headers


async def test_not_json(system, nc) -> None:
    body = b'{"specversion": "1.0", "id": "7c1d", "data": {"permit_date": 2026-01-10'
    headers = await refused(nc, "amv.inbox.nidos.ResidencePermitGranted", body, "not-json", "(message)")
    assert "not JSON" in headers["Wo-Error-Reason"]


async def test_over_the_size_limit(system, nc) -> None:
    message = envelope("nidos", "ResidencePermitGranted", new_case_id(), dict(PERMIT))
    message["data"]["note"] = "x" * (system.settings.max_message_bytes + 1)
    body = json.dumps(message).encode()
    headers = await refused(nc, "amv.inbox.nidos.ResidencePermitGranted", body, "too-large", "(message)")
    assert str(system.settings.max_message_bytes) in headers["Wo-Error-Reason"]


async def test_a_report_of_almost_a_mebibyte_is_refused_without_its_body_and_every_later_report_goes_on(system, nc) -> None:
    """It fits in one NATS message; a rejection that copied it, with its headers, would not: the server
    would drop the connection of the service that refused it, and the inbox would stall for everyone."""
    message = envelope("nidos", "ResidencePermitGranted", new_case_id(), {**PERMIT, "padding": ""})
    room = nc.max_payload - len(json.dumps(message).encode()) - 64
    message["data"]["padding"] = "x" * room
    body = json.dumps(message).encode()
    assert nc.max_payload - 100 < len(body) <= nc.max_payload
    headers = await refused(nc, "amv.inbox.nidos.ResidencePermitGranted", body, "too-large", "(message)")
    assert headers["Wo-Error-Reason"] == f"message is {len(body)} bytes, the limit is {system.settings.max_message_bytes}"
    for runtime, client in system.running.values():
        assert client.is_connected, f"{runtime.name} lost its connection"
    case_id = new_case_id()
    await publish(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
    await eventually(lambda: stored_events(nc, case_id), what="a later report to be stored")


@pytest.mark.parametrize("subject", ["amv.inbox.nobody.ResidencePermitGranted", "amv.inbox.nidos.Unheard", "amv.inbox.nidos"])
async def test_almost_a_mebibyte_on_a_subject_no_service_owns_is_refused_as_too_large(system, nc, subject) -> None:
    body = b"{" + b" " * (nc.max_payload - 200) + b"}"
    await refused(nc, subject, body, "too-large", "(message)")
    for runtime, client in system.running.values():
        assert client.is_connected, f"{runtime.name} lost its connection"


async def test_over_a_mebibyte_nats_refuses_at_publish_and_the_inbox_never_holds_it(system, nc) -> None:
    before = (await nc.jetstream().stream_info("AMV_INBOX")).state.last_seq
    with pytest.raises((nats.errors.MaxPayloadError, nats.js.errors.APIError)):
        await publish_raw(nc, "amv.inbox.nidos.ResidencePermitGranted", b"{" + b" " * (1024 * 1024 + 1) + b"}")
    assert (await nc.jetstream().stream_info("AMV_INBOX")).state.last_seq == before


async def test_missing_field(system, nc) -> None:
    case_id = new_case_id()
    data = {k: v for k, v in PERMIT.items() if k != "permit_date"}
    body = compact(envelope("nidos", "ResidencePermitGranted", case_id, data))
    headers = await refused(nc, "amv.inbox.nidos.ResidencePermitGranted", body, "data-invalid", "data.permit_date")
    assert headers["Wo-Error-Reason"] == "field 'data.permit_date' is required"
    assert await stored_events(nc, case_id) == []


@pytest.mark.parametrize(
    ("where", "field"),
    [("data", "data.full_name"), ("envelope", "full_name")],
)
async def test_unknown_field_is_refused_as_possible_personal_data(system, nc, where, field) -> None:
    case_id = new_case_id()
    message = envelope("nidos", "ResidencePermitGranted", case_id, dict(PERMIT))
    (message["data"] if where == "data" else message)["full_name"] = "A. Example"
    body = compact(message)
    code = "data-invalid" if where == "data" else "envelope-invalid"
    headers = await refused(nc, "amv.inbox.nidos.ResidencePermitGranted", body, code, field)
    assert "personal data" in headers["Wo-Error-Reason"]
    assert await stored_events(nc, case_id) == []


@pytest.mark.parametrize(
    ("subject", "event_type", "data", "field", "says"),
    [
        ("amv.inbox.school-isk-tilburg.SchoolAbsenceReported", "SchoolAbsenceReported",
         {"reported_on": "2026-12-04", "days_absent": "6"}, "data.days_absent", "valid integer"),
        ("amv.inbox.nidos.ResidencePermitGranted", "ResidencePermitGranted",
         {**PERMIT, "date_of_birth": "17-05-2010"}, "data.date_of_birth", "YYYY-MM-DD"),
        ("amv.inbox.nidos.ResidencePermitGranted", "ResidencePermitGranted",
         {**PERMIT, "permit_date": "2026-02-30"}, "data.permit_date", "day value is outside expected range"),
        ("amv.inbox.nidos.ApplicationFiled", "ApplicationFiled", {"filed_on": True}, "data.filed_on", "valid date"),
    ],
)
async def test_wrong_types_and_dates(system, nc, subject, event_type, data, field, says) -> None:
    org = subject.split(".")[2]
    body = compact(envelope(org, event_type, new_case_id(), data))
    headers = await refused(nc, subject, body, "data-invalid", field)
    assert says in headers["Wo-Error-Reason"]


async def test_a_time_without_time_zone(system, nc) -> None:
    message = envelope("nidos", "ResidencePermitGranted", new_case_id(), dict(PERMIT))
    message["time"] = "2026-01-12T09:30:00"
    await refused(nc, "amv.inbox.nidos.ResidencePermitGranted", compact(message), "envelope-invalid", "time")


async def test_unknown_event_type(system, nc) -> None:
    message = envelope("nidos", "ChildRenamed", new_case_id(), {"since": "2026-01-01"})
    headers = await refused(nc, "amv.inbox.nidos.ChildRenamed", compact(message), "unknown-event-type", "type")
    assert headers["Wo-Rejected-By"] == "intake"  # the triage of what no service owns


async def test_unknown_version(system, nc) -> None:
    message = envelope("gm0855", "HousingAssigned", new_case_id(), {"municipality": "GM0855", "housing": "azc",
                                                                     "housed_on": "2026-11-03"})
    message["type"] = "nl.warmeoverdracht.HousingAssigned.v7"
    headers = await refused(nc, "amv.inbox.gm0855.HousingAssigned", compact(message), "unknown-version", "type")
    assert "nl.warmeoverdracht.HousingAssigned.v2" in headers["Wo-Error-Reason"]


async def test_unknown_case(system, nc) -> None:
    case_id = new_case_id()
    body = compact(envelope("ind", "DnaTestOffered", case_id, {"offered_on": "2026-04-14"}))
    headers = await refused(nc, "amv.inbox.ind.DnaTestOffered", body, "unknown-case", "subject")
    assert case_id in headers["Wo-Error-Reason"] and "ResidencePermitGranted" in headers["Wo-Error-Reason"]
    assert await stored_events(nc, case_id) == []


async def test_out_of_order_fact(system, nc) -> None:
    case_id = new_case_id()
    await publish(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
    body = compact(envelope("ind", "ApplicationDecided", case_id, {"decision": "approved", "decided_on": "2026-09-01"}))
    headers = await refused(nc, "amv.inbox.ind.ApplicationDecided", body, "out-of-order", "type")
    assert "ApplicationFiled" in headers["Wo-Error-Reason"]
    assert [e["type"] for e in await stored_events(nc, case_id)] == ["nl.warmeoverdracht.ResidencePermitGranted.v1"]


async def test_an_event_type_this_organisation_may_not_report(system, nc) -> None:
    body = compact(envelope("coa", "ApplicationFiled", new_case_id(), {"filed_on": "2026-02-02"}))
    headers = await refused(nc, "amv.inbox.coa.ApplicationFiled", body, "not-authorised", "type")
    assert headers["Wo-Error-Reason"] == "field 'type': a coa may not report ApplicationFiled (only: nidos)"


async def test_the_organisation_in_the_subject_differs_from_the_source(system, nc) -> None:
    message = envelope("coa", "ResidencePermitGranted", new_case_id(), dict(PERMIT))  # source: coa
    headers = await refused(nc, "amv.inbox.nidos.ResidencePermitGranted", compact(message), "source-mismatch", "source")
    assert "urn:nld:warmeoverdracht:org:nidos" in headers["Wo-Error-Reason"]


async def test_the_type_differs_from_the_subject(system, nc) -> None:
    body = compact(envelope("nidos", "ApplicationFiled", new_case_id(), {"filed_on": "2026-02-02"}))
    await refused(nc, "amv.inbox.nidos.ResidencePermitGranted", body, "type-mismatch", "type")


@pytest.mark.parametrize(
    ("subject", "code"),
    [("amv.inbox.nidos", "subject-malformed"), ("amv.inbox.nobody.ResidencePermitGranted", "unknown-organisation")],
)
async def test_a_subject_without_a_known_organisation_and_type(system, nc, subject, code) -> None:
    body = compact(envelope("nidos", "ResidencePermitGranted", new_case_id(), dict(PERMIT)))
    await refused(nc, subject, body, code, "subject")


async def _inbox_idle(nc) -> bool:
    for durable in INBOX_CONSUMERS:
        info = await nc.jetstream().consumer_info("AMV_INBOX", durable)
        if info.num_pending or info.num_ack_pending:
            return False
    return True


async def test_every_inbox_message_ends_stored_or_rejected_exactly_once(system, nc) -> None:
    case_id = new_case_id()
    good = [
        ("nidos", "ResidencePermitGranted", PERMIT),
        ("nidos", "ApplicationFiled", {"filed_on": "2026-02-02"}),
        ("school-isk-tilburg", "EducationEnrolled", {"level": "isk", "since": "2026-02-01", "school": "school-isk-tilburg"}),
        ("gm0855", "HousingAssigned", {"municipality": "GM0855", "housing": "azc", "housed_on": "2026-03-01"}),
    ]
    bad = [
        ("amv.inbox.nidos.ApplicationFiled", b"not json at all"),
        ("amv.inbox.coa.ApplicationFiled", json.dumps(envelope("coa", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})).encode()),
        ("amv.inbox.ind.DnaTestOffered", json.dumps(envelope("ind", "DnaTestOffered", case_id, {"offered_on": "x"})).encode()),
        ("amv.inbox.nidos.Unheard", json.dumps(envelope("nidos", "Unheard", case_id, {})).encode()),
        ("amv.inbox.gm0855.HousingAssigned", json.dumps(envelope("gm0855", "HousingAssigned", case_id, {"housing": "azc"})).encode()),
    ]
    good_ids: dict[int, str] = {}  # inbox sequence -> event id
    bad_seqs: list[int] = []
    for good_one, bad_one in zip_longest(good, bad):  # interleaved, as partners' reports arrive
        if good_one:
            org, event_type, data = good_one
            message = envelope(org, event_type, case_id, data)
            if event_type == "HousingAssigned":
                message["type"] = "nl.warmeoverdracht.HousingAssigned.v2"
            good_ids[await publish_raw(nc, f"amv.inbox.{org}.{event_type}", json.dumps(message).encode())] = message["id"]
        if bad_one:
            bad_seqs.append(await publish_raw(nc, *bad_one))

    await eventually(lambda: _inbox_idle(nc), timeout_s=20, what="every inbox consumer to finish")
    stored_ids = [e["id"] for e in await stored_events(nc, case_id)]
    rejections = await read_stream(nc, "AMV_REJECTED", "amv.rejected.>")
    rejected_seqs = [int(m.headers["Wo-Original-Sequence"]) for m in rejections]
    for seq, event_id in good_ids.items():
        assert stored_ids.count(event_id) == 1, f"inbox {seq} stored once"
        assert seq not in rejected_seqs, f"inbox {seq} stored and rejected"
    for seq in bad_seqs:
        assert rejected_seqs.count(seq) == 1, f"inbox {seq} rejected exactly once"


# --- bounded facts (contracts/bounds.py): every date in its plausible range, judged at receipt ---------


def outside_the_range(event_type: str, field: str) -> list[str]:
    """Two days before the earliest and after the latest plausible day (two: the receipt may be tomorrow)."""
    plausible, today = DATE_RANGES[(event_type, field)], receipt_day(datetime.now(UTC))
    return [(plausible.earliest(today) - timedelta(days=2)).isoformat(), (plausible.latest(today) + timedelta(days=2)).isoformat()]


@pytest.mark.parametrize(("event_type", "field"), list(DATE_RANGES))
async def test_every_date_outside_its_range_is_refused_at_the_door(system, nc, event_type, field) -> None:
    example = example_of(event_type)
    subject = f"amv.inbox.{example.org}.{event_type}"
    for outside in outside_the_range(event_type, field):
        case_id = new_case_id()
        body = compact(envelope(example.org, event_type, case_id, {**example.data, field: outside}))
        headers = await refused(nc, subject, body, "out-of-range", f"data.{field}")
        assert "must lie between" in headers["Wo-Error-Reason"]
        assert outside not in headers["Wo-Error-Reason"], "the reason names the bound, never the value"
        assert await stored_events(nc, case_id) == []


@pytest.mark.parametrize("shift", [timedelta(days=-2), timedelta(days=2), None])
async def test_an_event_time_more_than_a_day_from_its_receipt_is_refused(system, nc, shift) -> None:
    message = envelope("nidos", "ApplicationFiled", new_case_id(), {"filed_on": "2026-02-02"})
    message["time"] = (datetime.now(UTC) + shift).isoformat() if shift else "0001-01-01T00:00:00+14:00"
    headers = await refused(nc, "amv.inbox.nidos.ApplicationFiled", compact(message), "out-of-range", "time")
    assert "within 24 hours of receipt" in headers["Wo-Error-Reason"]


async def test_poison_dates_are_refused_at_the_door_and_the_next_day_fails_for_no_one(system, nc) -> None:
    poisoned, healthy = new_case_id(), new_case_id()
    permit = "amv.inbox.nidos.ResidencePermitGranted"
    for field, value in (("permit_date", "9999-12-01"), ("date_of_birth", "9999-01-01")):
        body = compact(envelope("nidos", "ResidencePermitGranted", poisoned, {**PERMIT, field: value}))
        await refused(nc, permit, body, "out-of-range", f"data.{field}")
    message = envelope("nidos", "ResidencePermitGranted", poisoned, dict(PERMIT))
    message["time"] = "0001-01-01T00:00:00+14:00"
    await refused(nc, permit, compact(message), "out-of-range", "time")
    assert await stored_events(nc, poisoned) == []

    today = receipt_day(datetime.now(UTC))
    await publish(nc, "nidos", "ResidencePermitGranted", healthy, {**PERMIT, "permit_date": (today - timedelta(days=120)).isoformat()})
    await wait_until_idle(nc)
    services = ("intake", "guardianship", "housing", "notify")
    parked_before = {s: {p.case_id for p in await parked_cases(nc, s)} for s in services}
    dead_before = len(await read_stream(nc, "AMV_REJECTED", "amv.deadletter.>"))

    await start_day(nc, today)
    await wait_until_idle(nc)
    assert "FilingDeadlineMissed" in [e["type"].split(".")[2] for e in await stored_events(nc, healthy)]
    parked_after = {s: {p.case_id for p in await parked_cases(nc, s)} for s in services}
    assert {s: parked_after[s] - parked_before[s] for s in services} == dict.fromkeys(services, set()), "nobody parked"
    assert len(await read_stream(nc, "AMV_REJECTED", "amv.deadletter.>")) == dead_before, "no day dead-lettered"


async def test_json_deeper_than_32_levels_is_refused_as_too_deep(system, nc) -> None:
    nested = json.loads("[" * 31 + "]" * 31)  # the envelope and data make it 33
    body = compact(envelope("nidos", "ResidencePermitGranted", new_case_id(), {**PERMIT, "nested": nested}))
    headers = await refused(nc, "amv.inbox.nidos.ResidencePermitGranted", body, "too-deep", "(message)")
    assert headers["Wo-Error-Reason"] == "message nests deeper than 32 levels"


@pytest.mark.parametrize(
    ("event_type", "field", "text", "kind"),
    [
        ("TaskDeclined", "reason", "Please call the mother on 06-12345678 first.", "a phone number"),
        ("TaskCancelled", "reason", "Duplicate of the case of BSN 123456782.", "a BSN"),
        ("TaskDeclined", "reason", "Ask j.jansen@gemeente.nl, she knows the family.", "an e-mail address"),
        ("ChecklistItemTicked", "item", "V-nummer 1234567890", "a V-nummer"),
    ],
)
async def test_free_text_with_a_personal_identifier_is_refused_and_never_repeated(
    system, nc, capfd, event_type, field, text, kind
) -> None:
    example = example_of(event_type)
    body = compact(envelope(example.org, event_type, new_case_id(), {**example.data, field: text}))
    headers = await refused(nc, f"amv.inbox.{example.org}.{event_type}", body, "personal-data", f"data.{field}")
    assert kind in headers["Wo-Error-Reason"]
    identifier = next(word for word in text.split() if any(ch.isdigit() for ch in word) or "@" in word).strip(".,")
    assert identifier not in json.dumps(headers), "the headers name the field and the kind, never the value"
    logs = capfd.readouterr().out
    assert identifier not in logs, "the logs never repeat it either"
    assert f"data.{field}" in logs, "the logs name the field"
