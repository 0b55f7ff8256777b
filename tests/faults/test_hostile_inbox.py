"""A fuzz run (hypothesis) of malformed and hostile messages published to the real inbox of a
running system (nats-server and the four services as processes): no service crashes or stops
consuming, and every message that JetStream stored is rejected exactly once, on
amv.rejected.<org>.<EventType>. A hostile header that JetStream itself refuses never gets in."""

import asyncio
import json
import string
import time
import uuid
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.partner import envelope
from services.runtime.eventstore import read_stream
from services.runtime.natsserver import EmbeddedNats
from services.bootstrap import consumers
from services.runtime.provision import INBOX_STREAM
from tests.faults.harness import SERVICES, ServiceProcesses, connect, consumer_report, idle, wait_until

pytestmark = pytest.mark.integration
EXAMPLES = 150


def fresh_case() -> str:
    return f"case-fuzz-{uuid.uuid4().hex[:12]}"


PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
not_a_string = st.none() | st.booleans() | st.integers() | st.lists(st.integers(), max_size=3) | st.dictionaries(
    st.text(max_size=5), st.integers(), max_size=2)
junk_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
token = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=16)


@st.composite
def broken_permit(draw) -> tuple[str, bytes]:
    """A residence permit for a new case, with exactly one thing wrong."""
    event = envelope("nidos", "ResidencePermitGranted", fresh_case(), dict(PERMIT))
    subject = "amv.inbox.nidos.ResidencePermitGranted"
    defect = draw(st.sampled_from([
        "drop", "not-a-string", "extra-attribute", "extra-data", "bsn-case", "other-source", "other-type",
        "other-version", "bad-date", "unknown-municipality", "naive-time", "bad-id", "data-not-object",
        "wrong-reporter", "bad-specversion", "poison-date", "poison-time", "too-deep", "personal-text",
    ]))
    match defect:
        case "drop":
            del event[draw(st.sampled_from(["id", "source", "type", "subject", "time", "data"]))]
        case "not-a-string":
            event[draw(st.sampled_from(["id", "source", "type", "subject"]))] = draw(not_a_string)
        case "extra-attribute":
            event[draw(st.sampled_from(["bsn", "name", "vnummer"])) + draw(st.text(string.ascii_lowercase, max_size=4))] = (
                draw(json_values))
        case "extra-data":
            event["data"]["name"] = draw(junk_text)
        case "bsn-case":
            event["subject"] = str(draw(st.integers(100_000_000, 999_999_999)))
        case "other-source":
            event["source"] = draw(st.sampled_from(["urn:nld:warmeoverdracht:org:ind-x", "urn:nld:warmeoverdracht:org:coa",
                                                    "urn:evil:x", "nidos"]))
        case "other-type":
            event["type"] = draw(st.sampled_from(["nl.warmeoverdracht.ApplicationFiled.v1", "nl.warmeoverdracht.Turned18.v1",
                                                  "nl.warmeoverdracht.HandoffRequested.v1", "com.example.Permit.v1"]))
        case "other-version":
            event["type"] = f"nl.warmeoverdracht.ResidencePermitGranted.v{draw(st.integers(2, 99))}"
        case "bad-date":
            event["data"][draw(st.sampled_from(["permit_date", "date_of_birth"]))] = draw(
                st.sampled_from(["2026-13-01", "2026-02-30", "yesterday", "", "0000-00-00"]) | junk_text.map(lambda t: "x" + t))
        case "unknown-municipality":
            event["data"]["municipality"] = draw(st.sampled_from(["GM9999", "GM0000", "gm0855", "Tilburg", "GM08555"]))
        case "naive-time":
            event["time"] = draw(st.sampled_from(["2026-01-01T10:00:00", "now", "", "2026-01-01"]))
        case "bad-id":
            event["id"] = draw(st.sampled_from(["", "a b", "../../etc/passwd", "$JS.API.STREAM.DELETE.AMV_EVENTS", "x" * 129]))
        case "data-not-object":
            event["data"] = draw(st.lists(st.integers(), max_size=3) | st.text(max_size=10) | st.integers())
        case "wrong-reporter":  # a school may not report a permit (source and subject agree)
            event["source"] = "urn:nld:warmeoverdracht:org:school-isk-tilburg"
            subject = "amv.inbox.school-isk-tilburg.ResidencePermitGranted"
        case "bad-specversion":
            event["specversion"] = draw(st.sampled_from(["0.3", "2.0", 1, None]))
        case "poison-date":  # parses, cannot be true (contracts/bounds.py)
            event["data"][draw(st.sampled_from(["permit_date", "date_of_birth"]))] = draw(
                st.sampled_from(["9999-12-01", "9999-01-01", "0001-01-01", "1999-12-31", "1990-05-17"]))
        case "poison-time":
            event["time"] = draw(st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                                  "2000-01-01T00:00:00Z"]))
        case "too-deep":
            depth = draw(st.integers(31, 900))
            event["data"]["nested"] = json.loads("[" * depth + "]" * depth)
        case "personal-text":  # a task declined with a phone number, BSN or e-mail in its reason
            event = envelope("gm0855", "TaskDeclined", fresh_case(), {"task_id": str(uuid.uuid4()), "reason": draw(
                st.sampled_from(["call 06-12345678", "BSN 123456782", "mail a.b@example.nl", "V-nr 1234567890"]))})
            subject = "amv.inbox.gm0855.TaskDeclined"
    return subject, json.dumps(event).encode()


@st.composite
def fact_about_no_case(draw) -> tuple[str, bytes]:
    """A well-formed report, from an organisation allowed to make it, about a case that does not exist."""
    org, event_type, data = draw(st.sampled_from([
        ("nidos", "ApplicationFiled", {"filed_on": "2026-02-02"}),
        ("ind", "ApplicationDecided", {"decision": "approved", "decided_on": "2026-04-01"}),
        ("nidos", "GuardianAssigned", {"guardian": "nidos", "since": "2025-06-01"}),  # waits for the permit, then refused
        ("gm0855", "TaskAccepted", {"task_id": str(uuid.uuid4())}),
        ("gm0855", "TaskCompleted", {"task_id": str(uuid.uuid4())}),
    ]))
    return f"amv.inbox.{org}.{event_type}", json.dumps(envelope(org, event_type, fresh_case(), data)).encode()


@st.composite
def odd_subject(draw) -> tuple[str, bytes]:
    """A report on a subject no service owns: unknown organisation, unknown or derived-only type,
    too many tokens; with a body that would otherwise be a fine permit, or junk."""
    body = draw(st.just(json.dumps(envelope("nidos", "ResidencePermitGranted", fresh_case(), dict(PERMIT))).encode())
                | st.binary(max_size=200))
    subject = draw(st.sampled_from([
        "amv.inbox.zz{t}.ResidencePermitGranted", "amv.inbox.nidos.Zz{t}", "amv.inbox.nidos.HandoffRequested",
        "amv.inbox.nidos.TaskOpened", "amv.inbox.nidos.DayStarted", "amv.inbox.nidos.ResidencePermitGranted.{t}",
        "amv.inbox.{t}", "amv.inbox.nidos.{t}.ApplicationFiled",
    ])).format(t=draw(token))
    return subject, body


@st.composite
def junk(draw) -> tuple[str, bytes]:
    """Bodies that are not a CloudEvent at all: bytes, non-objects, JSON nested deeper than the
    parser goes, bigger than the limit, or a random object with envelope-like keys."""
    subject = draw(st.sampled_from(["amv.inbox.nidos.ResidencePermitGranted", "amv.inbox.gm0855.TaskAccepted",
                                    "amv.inbox.nidos.GuardianAssigned", "amv.inbox.coa.HousingAssigned"]))
    kind = draw(st.sampled_from(["bytes", "non-object", "deep", "deep-inside", "too-large", "random-object", "empty",
                                 "almost-a-mebibyte"]))
    match kind:
        case "bytes":
            body = draw(st.binary(min_size=1, max_size=500))
        case "non-object":
            body = json.dumps(draw(st.lists(json_values, max_size=3) | st.integers() | st.text() | st.none())).encode()
        case "deep":
            depth = draw(st.integers(2_000, 60_000))
            body = draw(st.sampled_from(["[", '{"a":'])).encode() * (depth // 5)
        case "deep-inside":
            event = envelope("nidos", "ResidencePermitGranted", fresh_case(), {})
            depth = draw(st.integers(2_000, 10_000))
            body = json.dumps(event).replace('"data": {}', '"data": ' + "[" * depth + "]" * depth).encode()
        case "too-large":
            event = envelope("nidos", "ResidencePermitGranted", fresh_case(), dict(PERMIT))
            event["data"]["padding"] = "x" * draw(st.integers(64 * 1024, 200 * 1024))
            body = json.dumps(event).encode()
        case "almost-a-mebibyte":  # fits in one NATS message; a rejection copying it would not
            event = envelope("nidos", "ResidencePermitGranted", fresh_case(), dict(PERMIT))
            event["data"]["padding"] = "x" * (1024 * 1024 - 600 - draw(st.integers(0, 400)))
            body = json.dumps(event).encode()
        case "random-object":
            keys = st.sampled_from(["specversion", "id", "source", "type", "subject", "time", "data"]) | st.text(max_size=8)
            body = json.dumps(draw(st.dictionaries(keys, json_values, max_size=8))).encode()
        case _:
            body = b""
    return subject, body


hostile_headers = st.none() | st.none() | st.none() | st.sampled_from([
    {"Nats-Rollup": "all"},
    {"Nats-Rollup": "sub"},
    {"Nats-TTL": "1s"},
    {"Nats-Schedule": "@every 1s", "Nats-Schedule-Target": "amv.events.intake.case-evil1.ResidencePermitGranted"},
    {"Nats-Expected-Stream": "AMV_EVENTS"},
    {"Nats-Batch-Id": "evil", "Nats-Batch-Sequence": "1", "Nats-Batch-Commit": "1"},
    {"Wo-Error-Code": "forged", "Wo-Original-Sequence": "1"},
])
hostile = st.tuples(broken_permit() | fact_about_no_case() | odd_subject() | junk(), hostile_headers)


class Fuzzer:
    """Publishes in its own event loop (hypothesis runs the test body synchronously) and keeps
    count of the rejections arriving live, by the inbox sequence they refer to."""

    def __init__(self, runner: asyncio.Runner, url: str) -> None:
        self.runner = runner
        self.nc = runner.run(connect(url))
        self.seen: Counter[int] = Counter()
        self.stored: list[int] = []
        self.published = 0
        self.refused_at_the_door: Counter[str] = Counter()
        runner.run(self.nc.subscribe("amv.rejected.>", cb=self._on_rejection))

    async def _on_rejection(self, msg) -> None:
        self.seen[int((msg.headers or {}).get("Wo-Original-Sequence", "0"))] += 1

    def publish_and_wait(self, subject: str, body: bytes, headers: dict | None) -> None:
        self.runner.run(self._publish_and_wait(subject, body, headers))

    async def _publish_and_wait(self, subject: str, body: bytes, headers: dict | None) -> None:
        headers = {**headers, "Nats-Msg-Id": uuid.uuid4().hex} if headers else None
        self.published += 1
        try:
            ack = await self.nc.jetstream().publish(subject, body, headers=headers, timeout=5)
        except Exception as exc:  # noqa: BLE001 - JetStream refused the message: it never entered
            self.refused_at_the_door[type(exc).__name__] += 1
            assert headers is not None, f"a plain message was refused by JetStream: {exc!r}"
            return
        self.stored.append(ack.seq)
        deadline = time.monotonic() + 20
        while not self.seen[ack.seq]:
            assert time.monotonic() < deadline, f"no rejection of inbox message {ack.seq} on {subject}"
            await asyncio.sleep(0.01)


def test_hostile_inbox_messages_are_each_rejected_once_and_nothing_crashes(tmp_path) -> None:
    server = EmbeddedNats(tmp_path / "store").start()
    # Two deliveries: a report waiting for a fact that never comes is refused on the second.
    procs = ServiceProcesses(server.url, tmp_path / "logs", WO_MAX_DELIVER="2", LOG_LEVEL="WARNING")
    runner = asyncio.Runner()
    try:
        procs.start()
        runner.run(wait_for_consumers(server.url))
        fuzzer = Fuzzer(runner, server.url)

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(hostile)
        def each_message_is_rejected(message) -> None:
            (subject, body), headers = message
            fuzzer.publish_and_wait(subject, body, headers)
            assert procs.dead() == [], {name: procs.tail(name) for name in procs.dead()}

        each_message_is_rejected()
        runner.run(the_system_still_works(fuzzer, procs))
    finally:
        runner.close()
        procs.stop()
        server.stop()


async def wait_for_consumers(url: str, timeout_s: float = 60.0) -> None:
    """Until every service has bound its consumers (they are idle and each is pulling)."""
    async def pulling(nc) -> bool:  # raises while they are not provisioned yet
        infos = [await nc.jetstream().consumer_info(s.stream, s.durable) for s in consumers() if s.stream == INBOX_STREAM]
        return all(info.num_waiting for info in infos)

    await wait_until(url, pulling, "the services did not start", timeout_s, every_s=0.2)


async def the_system_still_works(fuzzer: Fuzzer, procs: ServiceProcesses) -> None:
    nc = fuzzer.nc
    # every stored message: exactly one rejection in the stream, and no rejection of anything else
    rejected = Counter(int(m.headers["Wo-Original-Sequence"]) for m in await read_stream(nc, "AMV_REJECTED", ">"))
    assert sorted(rejected) == sorted(fuzzer.stored)
    assert set(rejected.values()) == {1}
    assert len(fuzzer.stored) > fuzzer.published // 2  # most hostile messages did get in, and out again
    assert await read_stream(nc, "AMV_EVENTS", "amv.events.>") == []  # nothing hostile became a fact
    # and the services still answer: a real case gets its two tasks
    case_id = fresh_case()
    js = nc.jetstream()
    for event_type, data in (("ResidencePermitGranted", PERMIT), ("ApplicationFiled", {"filed_on": "2026-02-02"})):
        await js.publish(f"amv.inbox.nidos.{event_type}", json.dumps(envelope("nidos", event_type, case_id, data)).encode())
    deadline = time.monotonic() + 30
    while len([m for m in await read_stream(nc, "AMV_TASKS", "amv.tasks.gm0855.>") if case_id.encode() in m.data]) < 2:
        assert time.monotonic() < deadline, "a valid case got no tasks after the fuzz run\n" + await consumer_report(nc)
        await asyncio.sleep(0.1)
    deadline = time.monotonic() + 30
    while not await idle(nc):
        assert time.monotonic() < deadline, await consumer_report(nc)
        await asyncio.sleep(0.1)
    assert procs.dead() == [] and set(procs.procs) == set(SERVICES)
    errors = procs.errors()
    assert all("dead-lettered" in line for lines in errors.values() for line in lines), errors
