"""What the fault tests share: the four services as real subprocesses (tests/faults/processes.py)
that can be SIGKILLed and restarted, a partner that publishes at least once (retrying until
JetStream acknowledges), a load of whole cases, and the checks that nothing was lost or doubled.

Every process started here is stopped by the caller's `finally` (or by `under_load` on leaving it);
nothing is left behind.
"""

import asyncio
import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import nats
from nats.aio.client import Client as NATS

from contracts import subjects
from ops.partner import envelope
from services.runtime.eventstore import read_stream
from services.bootstrap import consumers
from tests.faults.processes import SERVICES, ServiceProcesses  # noqa: F401 - re-exported for the tests
from tests.ops.support import overdracht

T = TypeVar("T")


async def connect(url: str) -> NATS:
    """A client that never gives up reconnecting (a partner's or a checker's)."""
    return await nats.connect(
        url.split(","), max_reconnect_attempts=-1, reconnect_time_wait=0.2, connect_timeout=2, allow_reconnect=True
    )


async def wait_until(url: str, ready: Callable[[NATS], Awaitable[bool]], what: str, timeout_s: float, every_s: float) -> None:
    """With a client of its own, ask `ready` every `every_s` until it answers true (an exception
    counts as not yet); fail with `what` after `timeout_s`."""
    nc = await connect(url)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if await ready(nc):
                    return
            except Exception:  # noqa: BLE001 - not there yet
                pass
            assert time.monotonic() < deadline, what
            await asyncio.sleep(every_s)
    finally:
        await nc.close()


# --- the partners ------------------------------------------------------------------------------


@dataclass
class Partner:
    """Publishes reports at least once: until JetStream acknowledges, the same CloudEvent (same
    id) is published again. A report stored twice in the inbox must still count once."""

    nc: NATS
    retry_for_s: float = 60.0
    published: int = 0
    retries: int = 0

    async def report(self, org: str, event_type: str, case_id: str, data: dict, event_id: str) -> int:
        body = json.dumps(envelope(org, event_type, case_id, data, event_id, datetime.now(UTC))).encode()
        return await self.publish(subjects.inbox(org, event_type), body)

    async def publish(self, subject: str, body: bytes, headers: dict | None = None) -> int:
        js = self.nc.jetstream()
        deadline = time.monotonic() + self.retry_for_s
        while True:
            try:
                ack = await js.publish(subject, body, timeout=2, headers=headers)
                self.published += 1
                return ack.seq
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - no ack (server down, no leader, timeout): send again
                if time.monotonic() > deadline:
                    raise
                self.retries += 1
                await asyncio.sleep(0.2)


# --- the load: whole cases ---------------------------------------------------------------------

MUNICIPALITIES = {"GM0855": "gm0855", "GM0518": "gm0518", "GM0344": "gm0344"}


@dataclass(frozen=True)
class Case:
    case_id: str
    municipality: str

    @property
    def owner(self) -> str:
        return MUNICIPALITIES[self.municipality]

    def reports(self) -> list[tuple[str, str, dict, str]]:
        """(org, event type, data, event id) of the facts partners report about this case, in order."""
        return [
            ("nidos", "ResidencePermitGranted",
             {"date_of_birth": "2010-05-17", "municipality": self.municipality, "permit_date": "2026-01-10"},
             f"{self.case_id}-permit"),
            ("nidos", "GuardianAssigned", {"guardian": "nidos", "since": "2025-06-01"}, f"{self.case_id}-guardian"),
            (f"school-isk-{self.owner}", "EducationEnrolled",
             {"level": "isk", "since": "2025-09-01", "school": f"school-isk-{self.owner}"}, f"{self.case_id}-school"),
            ("nidos", "ApplicationFiled", {"filed_on": "2026-02-02"}, f"{self.case_id}-filed"),
        ]


# What each case must end with in the event store: (service, event type) -> how many. The
# permit, guardian, school and filing reports are stored once each; the filing asks the
# municipality for a transition meeting and family housing (two handoffs, two tasks); the
# municipality accepts the meeting.
EXPECTED_PER_CASE = Counter({
    ("intake", "ResidencePermitGranted"): 1,
    ("intake", "ApplicationFiled"): 1,
    ("intake", "HandoffRequested"): 2,
    ("guardianship", "GuardianAssigned"): 1,
    ("guardianship", "EducationEnrolled"): 1,
    ("notify", "HandoffNotified"): 2,
    ("notify", "HandoffAccepted"): 1,
})
ACCEPTED_KIND = "plan-transition-meeting"


def make_cases(count: int) -> list[Case]:
    run = uuid.uuid4().hex[:6]
    codes = list(MUNICIPALITIES)
    return [Case(f"case-{run}-{i:05d}", codes[i % len(codes)]) for i in range(count)]


@dataclass
class Load:
    """Publishes every case's reports (a few publishers in parallel, each case in order) and, as a
    municipality would, accepts each transition-meeting task once it arrives on amv.tasks."""

    partner: Partner
    cases: list[Case]
    publishers: int = 8
    accepted: set[str] = field(default_factory=set)
    reports_done: bool = False

    async def publish_reports(self) -> None:
        queue: asyncio.Queue[Case] = asyncio.Queue()
        for case in self.cases:
            queue.put_nowait(case)

        async def worker() -> None:
            while not queue.empty():
                case = queue.get_nowait()
                for org, event_type, data, event_id in case.reports():
                    await self.partner.report(org, event_type, case.case_id, data, event_id)

        await asyncio.gather(*(worker() for _ in range(self.publishers)))
        self.reports_done = True

    def run(self, reader: NATS, timeout_s: float = 150) -> asyncio.Future:
        """Publish every report and accept the tasks (`reader` within `timeout_s`), both at once."""
        return asyncio.gather(self.publish_reports(), self.accept_tasks(reader, timeout_s=timeout_s))

    async def accept_tasks(self, reader: NATS, timeout_s: float) -> None:
        """Poll the task stream; accept every new transition-meeting task of our cases, once."""
        ours = {case.case_id: case for case in self.cases}
        deadline = time.monotonic() + timeout_s
        while len(self.accepted) < len(self.cases):
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.accepted)} of {len(self.cases)} tasks arrived to accept\n"
                                     + await consumer_report(reader))
            try:
                stored = await read_stream(reader, "AMV_TASKS", "amv.tasks.*.TaskOpened", timeout_s=2)
            except Exception:  # noqa: BLE001 - the server may be down for a moment: look again
                await asyncio.sleep(0.5)
                continue
            for msg in stored:
                task = json.loads(msg.data)
                case = ours.get(task["subject"])
                if case is None or task["data"]["kind"] != ACCEPTED_KIND or case.case_id in self.accepted:
                    continue
                await self.partner.report(case.owner, "TaskAccepted", case.case_id,
                                          {"task_id": task["data"]["task_id"]}, f"{case.case_id}-accept")
                self.accepted.add(case.case_id)
            await asyncio.sleep(0.3)


@dataclass
class Trial:
    """The four services as processes, a checker's client, the cases and their load, and what runs
    beside the test (chaos, the load); see `under_load`."""

    procs: ServiceProcesses
    nc: NATS
    cases: list[Case]
    load: Load
    beside: list[asyncio.Future] = field(default_factory=list)

    def meanwhile(self, work: Awaitable) -> asyncio.Future:
        """Run `work` beside the test; cancelled when the trial ends."""
        future = asyncio.ensure_future(work)
        self.beside.append(future)
        return future

    async def survive(self, chaos: Awaitable[T], chaos_within_s: float) -> T:
        """Run the load (at most 180 s) with `chaos` beside it, wait for the chaos to end (at most
        `chaos_within_s`) and until everything settled (at most 90 s); what the chaos returned."""
        beside = self.meanwhile(chaos)
        await asyncio.wait_for(self.load.run(self.nc), 180)
        result = await asyncio.wait_for(beside, chaos_within_s)
        await settle(self.nc, self.cases, timeout_s=90)
        return result


@asynccontextmanager
async def under_load(url: str, log_dir: Path, cases: int, started_within_s: float = 30.0, metrics_base: int = 0,
                     **env: str) -> AsyncIterator[Trial]:
    """Start the four services against `url` (extra `env`; their HTTP endpoints from `metrics_base`
    on, 0: none), wait until they run, connect a checker and make `cases` cases with their load; at
    the end cancel what runs beside, close the client and stop the services (the NATS server is the caller's)."""
    procs = ServiceProcesses(url, log_dir, metrics_base=metrics_base, **env)
    nc = None
    beside: list[asyncio.Future] = []
    try:
        procs.start()
        await procs.wait_started(timeout_s=started_within_s)
        nc = await connect(url)
        made = make_cases(cases)
        yield Trial(procs, nc, made, Load(Partner(nc), made), beside)
    finally:
        for future in beside:
            future.cancel()
        if nc is not None:
            await nc.close()
        procs.stop()


# --- the checks ---------------------------------------------------------------------------------


async def idle(nc: NATS) -> bool:
    """Every durable consumer has read and acknowledged everything (twice in a row)."""
    js = nc.jetstream()
    for _ in range(2):
        for spec in consumers():
            info = await js.consumer_info(spec.stream, spec.durable, timeout=2)
            if info.num_pending or info.num_ack_pending:
                return False
        await asyncio.sleep(0.05)
    return True


async def settle(nc: NATS, cases: list[Case], timeout_s: float) -> None:
    """Wait until every case has all its expected events and the consumers are idle."""
    want = sum(EXPECTED_PER_CASE.values()) * len(cases)
    ours = {case.case_id for case in cases}
    deadline = time.monotonic() + timeout_s
    have = -1
    while True:
        try:
            stored = await read_stream(nc, "AMV_EVENTS", "amv.events.>", timeout_s=2)
            have = sum(1 for m in stored if m.subject.split(".")[3] in ours)
            if have >= want and await idle(nc):
                return
        except Exception:  # noqa: BLE001 - not reachable this moment
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled after {timeout_s}s: {have} of {want} events stored\n"
                                 + await consumer_report(nc))
        await asyncio.sleep(0.25)


@dataclass
class Findings:
    """What the streams hold about the cases, and every way it differs from what must be there."""

    problems: list[str] = field(default_factory=list)
    events: int = 0
    tasks: int = 0
    inbox_duplicates: int = 0

    def check(self, ok: bool, problem: str) -> None:
        if not ok and len(self.problems) < 50:
            self.problems.append(problem)


async def read_everything(nc: NATS, stream: str, subject: str, timeout_s: float = 20.0) -> list[bytes]:
    """Every message body of a stream, in order, read by an ordered consumer (for streams
    without direct get)."""
    js = nc.jetstream()
    last = (await js.stream_info(stream)).state.last_seq
    bodies: list[bytes] = []
    if last == 0:
        return bodies
    done = asyncio.Event()

    async def on_msg(msg) -> None:
        bodies.append(msg.data)
        if msg.metadata.sequence.stream >= last:
            done.set()

    sub = await js.subscribe(subject, stream=stream, ordered_consumer=True, cb=on_msg)
    try:
        await asyncio.wait_for(done.wait(), timeout_s)
    finally:
        await sub.unsubscribe()
    return bodies


async def consumer_report(nc: NATS) -> str:
    """pending / ack pending / redelivered of every durable consumer, for a failure message."""
    lines = []
    for spec in consumers():
        try:
            i = await nc.jetstream().consumer_info(spec.stream, spec.durable, timeout=2)
            lines.append(f"{spec.durable}: pending {i.num_pending}, ack pending {i.num_ack_pending}, "
                         f"redelivered {i.num_redelivered}, delivered up to {i.delivered.stream_seq}, "
                         f"acked up to {i.ack_floor.stream_seq}")
        except Exception as exc:  # noqa: BLE001
            lines.append(f"{spec.durable}: {exc!r}")
    return "\n".join(lines)


async def examine(nc: NATS, cases: Iterable[Case]) -> Findings:
    cases = list(cases)
    ours = {case.case_id for case in cases}
    found = Findings()
    stored = [m for m in await read_stream(nc, "AMV_EVENTS", "amv.events.>") if m.subject.split(".")[3] in ours]
    found.events = len(stored)
    ids = Counter(json.loads(m.data)["id"] for m in stored)
    found.check(not [i for i, n in ids.items() if n > 1], f"events stored twice: {[i for i, n in ids.items() if n > 1][:5]}")
    per_case: dict[str, Counter] = defaultdict(Counter)
    handoffs: dict[str, set[str]] = defaultdict(set)
    notified: Counter[str] = Counter()
    for msg in stored:
        _, _, service, case_id, event_type = msg.subject.split(".")
        per_case[case_id][(service, event_type)] += 1
        body = json.loads(msg.data)
        if event_type == "HandoffRequested":
            handoffs[case_id].add(body["data"]["handoff_id"])
        if event_type == "HandoffNotified":
            notified[body["data"]["handoff_id"]] += 1
    for case in cases:
        found.check(per_case[case.case_id] == EXPECTED_PER_CASE,
                    f"{case.case_id}: {dict(per_case[case.case_id] - EXPECTED_PER_CASE)} extra, "
                    f"{dict(EXPECTED_PER_CASE - per_case[case.case_id])} missing")
        partner_ids = {event_id for *_, event_id in case.reports()}
        found.check(all(ids[i] == 1 for i in partner_ids), f"{case.case_id}: a partner report is not stored exactly once")
    all_handoffs = set().union(*handoffs.values()) if handoffs else set()
    found.check(all(notified[h] == 1 for h in all_handoffs), "a handoff is not notified exactly once")
    tasks = [json.loads(m.data) for m in await read_stream(nc, "AMV_TASKS", "amv.tasks.*.TaskOpened")]
    task_ids = Counter(t["data"]["task_id"] for t in tasks if t["subject"] in ours)
    found.tasks = sum(task_ids.values())
    found.check(set(task_ids) == all_handoffs, f"tasks {len(task_ids)} != handoffs {len(all_handoffs)}")
    found.check(all(n == 1 for n in task_ids.values()), f"tasks delivered twice: {[t for t, n in task_ids.items() if n > 1][:5]}")
    found.check(len(all_handoffs) == 2 * len(cases), f"{len(all_handoffs)} handoffs for {len(cases)} cases")
    rejected = await read_stream(nc, "AMV_REJECTED", ">")
    found.check(not rejected, f"{len(rejected)} spurious rejections, e.g. "
                f"{[(m.subject, m.headers.get('Wo-Error-Code'), m.headers.get('Wo-Error-Reason')) for m in rejected[:3]]}")
    inbox_ids = Counter(json.loads(body)["id"] for body in await read_everything(nc, "AMV_INBOX", "amv.inbox.>"))
    found.inbox_duplicates = sum(n - 1 for n in inbox_ids.values())
    return found


async def assert_nothing_lost_or_doubled(nc: NATS, cases: list[Case]) -> None:
    """`examine` finds no problem, and every case has its 9 events and 2 tasks."""
    found = await examine(nc, cases)
    assert found.problems == [], found.problems
    assert found.events == 9 * len(cases), f"{found.events} events for {len(cases)} cases"
    assert found.tasks == 2 * len(cases), f"{found.tasks} tasks for {len(cases)} cases"


async def assert_read_models_equal_a_replay(nats_url: str, metrics_base: int) -> dict[str, dict]:
    """`overdracht replay SERVICE --json` for every service, as an operator runs it: the live read
    model's digest (GET /projection/digest) equals the one folded afresh from the store. Returns
    each service's answer (digests, cases, last_seq)."""
    answers = {}
    for name in SERVICES:
        ran = await overdracht("replay", name, "--json", nats_url=nats_url, metrics_port=metrics_base, timeout_s=120)
        assert ran.code in (0, 1) and ran.stdout, f"replay {name} exited {ran.code}: {ran.stderr[-2000:]}"
        answers[name] = json.loads(ran.stdout)
    differ = {name: answer for name, answer in answers.items() if not answer["equal"]}
    assert not differ, f"read models differ from a replay of the store: {differ}"
    return answers
