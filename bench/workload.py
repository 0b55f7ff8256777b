"""The events the benchmarks store and send: whole cases, as the services would have stored them.

One case is played through the real, pure rules of the four services in memory (partner reports
through the inbox gate, each service's `decide`, and the reactions `react` derives), which gives
the events, subjects and bodies of a real case. Cloning that case with a new case id and new ids
gives any number of cases quickly (a million events in seconds) without faking a body by hand.
"""

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts import subjects
from contracts.envelope import CloudEvent
from contracts.events import event_class
from contracts.inbox import Rejection, parse_inbox_message
from ops.partner import envelope
from services.bootstrap import DECIDERS
from services.runtime.directory import load_directory
from services.runtime.privacy import KEYS_SUBJECT_PREFIX, PERSONAL_EVENT_TYPES, PERSONAL_FIELDS, CaseKey, seal

SERVICES = {decider.service: decider for decider in DECIDERS}
TEMPLATE_CASE = "case-template0"
WHEN = datetime(2026, 2, 2, 10, tzinfo=UTC)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def case_id(index: int) -> str:
    return f"case-b{index:08d}"


def permit(case: str, municipality: str = "GM0855") -> tuple[str, bytes]:
    data = {"date_of_birth": "2010-05-17", "municipality": municipality, "permit_date": "2026-01-10"}
    body = envelope("nidos", "ResidencePermitGranted", case, data, f"{case}-permit", WHEN)
    return subjects.inbox("nidos", "ResidencePermitGranted"), json.dumps(body).encode()


def filing(case: str, when: datetime | None = None) -> tuple[str, bytes]:
    """The filing a benchmark publishes live: made now, since the inbox refuses a `time` more than
    a day from its receipt (contracts/bounds.py); the played case's is made at WHEN."""
    body = envelope("nidos", "ApplicationFiled", case, {"filed_on": "2026-02-02"}, f"{case}-filed", when)
    return subjects.inbox("nidos", "ApplicationFiled"), json.dumps(body).encode()


def play_case() -> list[tuple[str, str, bytes]]:
    """(subject, event type, body) of every event the services store for one case: permit,
    guardian, school, filing (two handoffs, two tasks) and the municipality's acceptance."""
    directory = load_directory()
    stored: list[tuple[str, object]] = []  # (service, CloudEvent)

    def store(service: str, events: list) -> None:
        queue = [(service, e) for e in events]
        while queue:
            owner, event = queue.pop(0)
            stored.append((owner, event))
            for other, decider in SERVICES.items():
                if event.event_type in decider.reactions:
                    derived = decider.react(decider.replay(TEMPLATE_CASE, [e for _, e in stored]), event, directory)
                    queue += [(other, e) for e in derived]

    def report(subject: str, body: bytes) -> None:
        parsed = parse_inbox_message(subject, body, received_at=WHEN)  # played as of WHEN
        assert not isinstance(parsed, Rejection), parsed
        service = event_class(parsed.envelope.event_type).service
        decider = SERVICES[service]
        outcome = decider.decide(decider.replay(TEMPLATE_CASE, [e for _, e in stored]), parsed, directory)
        assert not isinstance(outcome, Rejection), outcome
        store(service, outcome)

    case = TEMPLATE_CASE
    report(*permit(case))
    for org, event_type, data in (
        ("nidos", "GuardianAssigned", {"guardian": "nidos", "since": "2025-06-01"}),
        ("school-isk-gm0855", "EducationEnrolled", {"level": "isk", "since": "2025-09-01", "school": "school-isk-gm0855"}),
    ):
        report(subjects.inbox(org, event_type), json.dumps(envelope(org, event_type, case, data, f"{case}-{event_type}", WHEN)).encode())
    report(*filing(case, WHEN))
    meeting = next(e for _, e in stored if e.event_type == "HandoffNotified" and e.data["kind"] == "plan-transition-meeting")
    accept = envelope("gm0855", "TaskAccepted", case, {"task_id": meeting.data["handoff_id"]}, f"{case}-accept", WHEN)
    report(subjects.inbox("gm0855", "TaskAccepted"), json.dumps(accept).encode())
    return [(subjects.event(s, case, e.event_type), e.event_type, e.model_dump_json(exclude_none=True).encode())
            for s, e in stored]


@dataclass(frozen=True)
class Template:
    """A stored event with holes where the case id and its ids go, filled per case."""

    subject_parts: list[str]
    body_parts: list[str]
    body_holes: list[object]  # the case id marker, or the index of the uuid in the case

    @classmethod
    def of(cls, subject: str, body: bytes, uuids: dict[str, int]) -> "Template":
        parts: list[str] = []
        holes: list[object] = []
        text = body.decode()
        pattern = re.compile(f"{UUID.pattern}|{re.escape(TEMPLATE_CASE)}")
        last = 0
        for match in pattern.finditer(text):
            parts.append(text[last:match.start()])
            found = match.group(0)
            holes.append("case" if found == TEMPLATE_CASE else uuids.setdefault(found, len(uuids)))
            last = match.end()
        parts.append(text[last:])
        return cls(subject.split(TEMPLATE_CASE), parts, holes)

    def fill(self, case: str, ids: list[str]) -> tuple[str, bytes]:
        out = [self.body_parts[0]]
        for hole, part in zip(self.body_holes, self.body_parts[1:], strict=True):
            out.append(case if hole == "case" else ids[hole])
            out.append(part)
        return case.join(self.subject_parts), "".join(out).encode()


class CaseFactory:
    """Clones of the played case: `events(i)` are case i's stored events, in order."""

    def __init__(self) -> None:
        played = play_case()
        self.uuids: dict[str, int] = {}
        self.templates = [Template.of(subject, body, self.uuids) for subject, _, body in played]
        self.types = [event_type for _, event_type, _ in played]

    @property
    def per_case(self) -> int:
        return len(self.templates)

    def ids(self, index: int) -> list[str]:
        return [str(uuid.UUID(int=(index << 20) + k + 1)) for k in range(len(self.uuids))]

    def event(self, index: int, position: int, ids: list[str] | None = None) -> tuple[str, bytes]:
        """Case `index`'s event at `position`, its personal fields sealed with the case's key as the
        event store holds them (services/runtime/privacy.py), so reading it costs what it costs live."""
        subject, body = self.templates[position].fill(case_id(index), ids or self.ids(index))
        if self.types[position] not in PERSONAL_EVENT_TYPES:
            return subject, body
        event = CloudEvent.model_validate_json(body)
        sealed = seal(event, PERSONAL_FIELDS.get(event.type, ()), self.key(index))
        return subject, sealed.model_dump_json(exclude_none=True).encode()

    @staticmethod
    def key(index: int) -> CaseKey:
        """Case `index`'s key, the same in every run (the benchmark's, never a real one)."""
        return CaseKey(f"bench{index:08x}", hashlib.sha256(f"bench-key-{index}".encode()).digest())

    def keys(self, indexes: Iterable[int]) -> Iterator[tuple[str, bytes]]:
        """The key-bucket entries of cases `indexes` (subject, JSON Web Key), as intake creates them."""
        for index in indexes:
            yield f"{KEYS_SUBJECT_PREFIX}{case_id(index)}", self.key(index).to_json()

    def interleaved(self, cases: int, window: int = 10_000) -> Iterator[tuple[str, bytes]]:
        """Every event of `cases` cases: per window of cases, first event of each, then the second…,
        so one case's events lie spread over the stream as a real store's would."""
        for first in range(0, cases, window):
            chunk = range(first, min(first + window, cases))
            ids = {i: self.ids(i) for i in chunk}
            for position in range(self.per_case):
                for i in chunk:
                    yield self.event(i, position, ids[i])
