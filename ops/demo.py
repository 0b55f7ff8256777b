"""`make demo` (`overdracht demo`): several realistic, synthetic cases through a year of days, in
under a minute.

Runs against the system `make run` started (NATS_URL, default nats://127.0.0.1:4222); if none
answers, or its clock is already at or past the demo's first day (days only move forward, so
those days would be refused), it starts one of its own for the duration of the demo. It logs in as the operator `ops`
(NATS_USER/NATS_PASSWORD, else the dev credentials in WO_NATS_CREDENTIALS or var/credentials.json).
Partners publish their facts on the day they happen; organisations accept the tasks they receive
after a few days, except where a scenario says nobody does. Then it prints, per organisation, the
tasks it received, and every case's timeline.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import nats.js.errors
from nats.aio.client import Client as NATS

from contracts import subjects
from contracts.clock import refusal, start_of
from ops.connection import answers, connect, credentials_file, ops_login
from ops.partner import publish, start_day
from ops.quiesce import wait_until_idle
from services.monitoring.timeline import timeline
from services.runtime import natsauth
from services.runtime.clock import current_day
from services.runtime.directget import StoreError
from services.runtime.eventstore import decode, read_stream
from services.runtime.natsserver import free_port, wait_for_port
from services.bootstrap import consumers
from services.runtime.streams import EVENTS_STREAM, TASKS_STREAM

ACCEPT_AFTER = timedelta(days=3)


@dataclass
class Scenario:
    label: str
    story: str
    reports: list[tuple[date, str, str, dict]]  # (day, org, event type, data)
    never_accepted: set[str] = field(default_factory=set)  # task kinds nobody accepts
    late_accepted: dict[str, date] = field(default_factory=dict)  # task kind -> the day it is accepted


def scenarios() -> list[Scenario]:
    d = date.fromisoformat
    return [
        Scenario(
            "warm-tilburg",
            "Tilburg: everything on time, every organisation accepts; guardianship passes warmly.",
            [
                (d("2026-01-05"), "nidos", "ResidencePermitGranted",
                 {"date_of_birth": "2008-12-15", "municipality": "GM0855", "permit_date": "2026-01-05"}),
                (d("2026-01-05"), "nidos", "GuardianAssigned", {"guardian": "nidos", "since": "2025-06-01"}),
                (d("2026-01-06"), "school-isk-tilburg", "EducationEnrolled",
                 {"level": "isk", "since": "2025-09-01", "school": "school-isk-tilburg"}),
                (d("2026-02-10"), "nidos", "ApplicationFiled", {"filed_on": "2026-02-10"}),
                (d("2026-03-20"), "ind", "DnaTestOffered", {"offered_on": "2026-03-20"}),
                (d("2026-05-15"), "ind", "ApplicationDecided", {"decision": "approved", "decided_on": "2026-05-15"}),
                (d("2026-07-01"), "coa", "ParentsArrived", {"arrival_date": "2026-07-01", "municipality": "GM0855"}),
                (d("2026-07-10"), "gm0855", "HousingAssigned",
                 {"municipality": "GM0855", "housing": "family-home", "housed_on": "2026-07-10"}),
                (d("2026-07-20"), "nidos", "GuardianshipTransferRequested", {"petition_filed_on": "2026-07-20"}),
                (d("2026-10-20"), "nidos", "GuardianshipTransferred", {"transferred_on": "2026-10-20"}),
            ],
        ),
        Scenario(
            "move-den-haag",
            "Den Haag: the family is housed in Utrecht; the young person skips school after the parents arrive.",
            [
                (d("2026-01-12"), "nidos", "ResidencePermitGranted",
                 {"date_of_birth": "2010-03-01", "municipality": "GM0518", "permit_date": "2026-01-12"}),
                (d("2026-01-12"), "rmc-gm0518", "EducationEnrolled", {"level": "part-time", "since": "2025-11-01"}),
                (d("2026-03-01"), "nidos", "ApplicationFiled", {"filed_on": "2026-03-01"}),
                (d("2026-06-01"), "ind", "ApplicationDecided", {"decision": "approved", "decided_on": "2026-06-01"}),
                (d("2026-07-15"), "coa", "ParentsArrived", {"arrival_date": "2026-07-15", "municipality": "GM0344"}),
                (d("2026-08-01"), "coa", "HousingAssigned",
                 {"municipality": "GM0344", "housing": "family-home", "housed_on": "2026-08-01"}),
                (d("2026-08-10"), "nidos", "GuardianshipTransferRequested", {"petition_filed_on": "2026-08-10"}),
                (d("2026-09-15"), "rmc-gm0344", "SchoolAbsenceReported", {"reported_on": "2026-09-15", "days_absent": 9}),
            ],
        ),
        Scenario(
            "gap-utrecht",
            "Utrecht: nobody accepts the 18+ transition in time; at 18 the gap is detected and escalated.",
            [
                (d("2026-01-20"), "nidos", "ResidencePermitGranted",
                 {"date_of_birth": "2008-09-10", "municipality": "GM0344", "permit_date": "2026-01-20"}),
                (d("2026-01-20"), "nidos", "GuardianAssigned", {"guardian": "nidos", "since": "2025-04-01"}),
                (d("2026-03-10"), "nidos", "ApplicationFiled", {"filed_on": "2026-03-10"}),
            ],
            never_accepted={"escalation"},
            late_accepted={"transition-18-plus": d("2026-10-01")},
        ),
        Scenario(
            "missed-deadline",
            "Tilburg: the application is never filed; the deadline warning and the miss are recorded.",
            [
                (d("2026-02-01"), "nidos", "ResidencePermitGranted",
                 {"date_of_birth": "2011-07-04", "municipality": "GM0855", "permit_date": "2026-02-01"}),
            ],
            never_accepted={"file-reunification-application", "escalation"},
        ),
    ]


def started_system(url: str) -> tuple[str, subprocess.Popen | None, Path]:
    """`url` if a server answers there; else a fresh system (`make run`'s supervisor) of our own.
    Also where the system's dev credentials are (they may not exist: a server without authentication)."""
    if answers(url):
        return url, None, credentials_file()
    print(f"no system answered at {url}; ", end="", file=sys.stderr)
    return fresh_system()


def fresh_system() -> tuple[str, subprocess.Popen, Path]:
    """A new system of the demo's own (`make run`'s supervisor) on a free port, with a new store."""
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="wo-demo-"))
    env = {**os.environ, "WO_NATS_PORT": str(port), "WO_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}
    env.pop("NATS_URL", None)
    env.pop("WO_NATS_CREDENTIALS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.runtime.supervisor"], env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )
    wait_for_port("127.0.0.1", port, process=process)
    print(f"started one on port {port} for this demo", file=sys.stderr)
    return f"nats://127.0.0.1:{port}", process, data_dir / natsauth.CREDENTIALS_FILE


async def clock_ahead_of(nc: NATS, start: date) -> str | None:
    """Why the system's clock refuses the demo's first day (days only move forward), or None."""
    try:
        return refusal(await current_day(nc), start)
    except (nats.js.errors.NotFoundError, StoreError):  # no clock stream yet: no day started
        return None


async def _wait_for_consumers(nc: NATS, timeout_s: float = 60.0) -> None:
    js = nc.jetstream()
    deadline = time.monotonic() + timeout_s
    for spec in consumers():
        while True:
            try:
                await js.consumer_info(spec.stream, spec.durable)
                break
            except Exception:  # noqa: BLE001 - not provisioned yet
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


async def play(nc: NATS, start: date, days: int, plays: list[Scenario], run_id: str) -> dict[str, str]:
    """Play the scenarios day by day; returns case id -> scenario label."""
    case_ids = {s.label: f"case-{s.label}-{run_id}" for s in plays}
    by_day: dict[date, list[tuple[str, str, str, dict]]] = defaultdict(list)
    for s in plays:
        for day, org, event_type, data in s.reports:
            by_day[day].append((case_ids[s.label], org, event_type, data))
    scenario_of = {case_ids[s.label]: s for s in plays}
    replies: dict[date, list[tuple[str, str, str]]] = defaultdict(list)  # day -> (org, case, task id)
    seen_tasks: set[str] = set()
    for offset in range(days):
        day = start + timedelta(days=offset)
        office_hours = start_of(day) + timedelta(hours=10)
        for case_id, org, event_type, data in by_day.get(day, []):
            await publish(nc, org, event_type, case_id, data, time=office_hours)
        for org, case_id, task_id in replies.pop(day, []):
            await publish(nc, org, "TaskAccepted", case_id, {"task_id": task_id}, time=office_hours)
        await wait_until_idle(nc)
        await start_day(nc, day)
        await wait_until_idle(nc)
        for msg in await read_stream(nc, TASKS_STREAM, subjects.tasks("*", "TaskOpened")):
            task = json.loads(msg.data)
            scenario = scenario_of.get(task["subject"])
            if scenario is None or task["id"] in seen_tasks:
                continue
            seen_tasks.add(task["id"])
            kind = task["data"]["kind"]
            if kind in scenario.never_accepted:
                continue
            when = scenario.late_accepted.get(kind, day + ACCEPT_AFTER)
            replies[max(when, day + timedelta(days=1))].append((task["data"]["owner"], task["subject"], task["data"]["task_id"]))
    return {case_id: label for label, case_id in case_ids.items()}


async def summary(nc: NATS, cases: dict[str, str], plays: list[Scenario]) -> dict:
    """What the demo shows: per organisation the tasks it received, and every case's timeline."""
    per_org: dict[str, list[dict]] = defaultdict(list)
    for msg in await read_stream(nc, TASKS_STREAM, subjects.tasks("*", "TaskOpened")):
        task = json.loads(msg.data)
        if task["subject"] in cases:
            t = task["data"]
            per_org[t["owner"]].append({"due": t["due"], "kind": t["kind"], "case_id": task["subject"],
                                        "requester": t["requester"]})
    stories = {s.label: s.story for s in plays}
    timelines = []
    for case_id, label in cases.items():
        events = [decode(m.data) for m in await read_stream(nc, EVENTS_STREAM, subjects.case_events("*", case_id))]
        timelines.append({"case_id": case_id, "scenario": label, "story": stories[label], "lines": list(timeline(events))})
    tasks = {org: sorted(per_org[org], key=lambda t: (t["due"], t["kind"], t["case_id"])) for org in sorted(per_org)}
    return {"tasks": tasks, "timelines": timelines}


def report(shown: dict) -> str:
    """The summary as text."""
    lines = ["TASKS PER ORGANISATION"]
    for org, tasks in shown["tasks"].items():
        lines.append(f"  {org}: {len(tasks)} task(s)")
        lines += [f"    due {t['due']}  {t['kind']:<31} {t['case_id']}  (from {t['requester']})" for t in tasks]
    for case in shown["timelines"]:
        lines += ["", f"TIMELINE {case['case_id']}", f"  {case['story']}"]
        lines += [f"  {line}" for line in case["lines"]]
    return "\n".join(lines)


async def run(url: str, start: date, days: int) -> dict:
    """Play every scenario from `start` for `days` days against the system at `url` (or one of our
    own); the summary, with the days played and the seconds it took."""
    url, process, credentials = started_system(url)
    if process is None:
        nc = await connect(url, ops_login(credentials))
        try:
            ahead = await clock_ahead_of(nc, start)
        finally:
            await nc.close()
        if ahead:  # a year from `start` cannot be played there: on a system of its own instead
            print(f"the system at {url} refuses the demo's days ({ahead}); ", end="", file=sys.stderr)
            url, process, credentials = fresh_system()
    try:
        nc = await connect(url, ops_login(credentials))
        try:
            await _wait_for_consumers(nc)
            began = time.monotonic()
            plays = scenarios()
            cases = await play(nc, start, days, plays, uuid.uuid4().hex[:6])
            shown = await summary(nc, cases, plays)
            return shown | {"cases": len(plays), "days": days, "seconds": round(time.monotonic() - began, 1)}
        finally:
            await nc.close()
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
