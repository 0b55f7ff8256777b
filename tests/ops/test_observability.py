"""The system as `make run` runs it (the supervisor and the four services as processes of their
own, on the test session's NATS server): the health, readiness and metrics endpoints it prints,
scraped before and after a case is played, and the JSON log line of every message handled."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import nats
import pytest

from ops.cli.status import open_support_gaps
from services.notify import state as notify_state
from services.runtime.observability import open_and_overdue_tasks
from services.runtime.projection import Projection
from services.bootstrap import consumers
from services.runtime.supervisor import SERVICES
from tests.ops.support import Endpoints, free_port_block, get_json, scrape, settle, total
from tests.support.brokers import REPO
from tests.support.partner import case_events, new_case_id, publish, publish_raw, rejection_of, start_day, envelope

pytestmark = pytest.mark.integration

DATE_OF_BIRTH = "2008-09-10"
BSN_LIKE = "123456782"  # digits only: the inbox refuses it as a case id, and it must never be logged
PERMIT = {"date_of_birth": DATE_OF_BIRTH, "municipality": "GM0344", "permit_date": "2026-01-20"}
LOG_KEYS = {"event", "level", "timestamp", "consumer", "subject", "event_id", "causation_id", "case_id", "outcome",
            "duration_ms"}


@dataclass
class Supervised:
    process: subprocess.Popen
    endpoints: Endpoints
    stdout: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)

    def log_lines(self) -> list[str]:
        return self.stdout.read_text().splitlines()


@pytest.fixture(scope="module")
def supervised(broker_url, tmp_path_factory) -> Supervised:
    """`make run` against the session's NATS server, its logs in a file."""
    folder = tmp_path_factory.mktemp("supervised")
    endpoints = Endpoints(free_port_block())
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_USER", "NATS_PASSWORD", "WO_NATS_CREDENTIALS")}
    env |= {"NATS_URL": broker_url, "WO_METRICS_PORT": str(endpoints.base), "WO_HTTP_PORT": "0", "LOG_LEVEL": "INFO",
            "WO_DATA_DIR": str(folder / "var")}
    stdout = folder / "stdout.log"
    with open(stdout, "ab") as out, open(folder / "stderr.log", "ab") as err:
        process = subprocess.Popen([sys.executable, "-m", "services.runtime.supervisor"], cwd=REPO, env=env,
                                   stdout=out, stderr=err)
    running = Supervised(process, endpoints, stdout)
    try:
        deadline = time.monotonic() + 90
        for name in SERVICES:
            while True:
                assert process.poll() is None, (folder / "stderr.log").read_text()
                try:
                    status = urllib.request.urlopen(f"{endpoints.url(name)}/readyz", timeout=5).status
                except (OSError, urllib.error.HTTPError):
                    status = None
                if status == 200:
                    break
                assert time.monotonic() < deadline, f"{name} did not become ready"
                time.sleep(0.2)
        yield running
    finally:
        running.stop()


@dataclass
class Played:
    case_id: str
    report_ids: dict[str, str]  # event type -> CloudEvent id of the report published
    refused: dict  # a refused report whose envelope is valid
    refused_seq: int
    bsn_seq: int  # a refused report with a BSN-like case id: its envelope fails validation
    open_gaps: list[str] = field(default_factory=list)
    tasks_open_and_overdue: tuple[int, int] = (0, 0)
    before: dict[str, dict] = field(default_factory=dict)  # service -> metrics before
    after: dict[str, dict] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def played(supervised, broker_url) -> Played:
    """A case whose 18+ transition nobody accepts (a support gap opens), and one refused report,
    with every service's metrics scraped before and after."""
    nc = await nats.connect(broker_url)
    await settle(nc)
    before = {name: await scrape(supervised.endpoints.url(name)) for name in SERVICES}
    case_id = new_case_id()
    report_ids = {}
    for org, event_type, data in (
        ("nidos", "ResidencePermitGranted", PERMIT),
        ("nidos", "GuardianAssigned", {"guardian": "nidos", "since": "2025-04-01"}),
        ("nidos", "ApplicationFiled", {"filed_on": "2026-02-01"}),
    ):
        report_ids[event_type] = f"{case_id}-{event_type}"
        await publish(nc, org, event_type, case_id, data, event_id=report_ids[event_type])
        await settle(nc)
    for when in ("2026-03-10", "2026-09-10", "2026-09-11"):
        await start_day(nc, date.fromisoformat(when))
        await settle(nc)
    refused = envelope("nidos", "ResidencePermitGranted", new_case_id(), {"municipality": "GM0344", "permit_date": "2026-01-20"})
    refused_seq = await publish_raw(nc, "amv.inbox.nidos.ResidencePermitGranted", json.dumps(refused).encode())
    bsn_like = envelope("nidos", "ResidencePermitGranted", "new-case", PERMIT) | {"subject": BSN_LIKE}
    bsn_seq = await publish_raw(nc, "amv.inbox.nidos.ResidencePermitGranted", json.dumps(bsn_like).encode())
    await rejection_of(nc, refused_seq)
    await rejection_of(nc, bsn_seq)
    await settle(nc)
    await asyncio.sleep(2.5)  # one refresh of the gauges read from NATS (lag, dead letters, today)
    after = {name: await scrape(supervised.endpoints.url(name)) for name in SERVICES}
    # what the read models should say, folded from the store here
    notify = Projection(nc, notify_state.empty, notify_state.apply)
    await notify.start()
    await notify.stop()
    last_day = await nc.jetstream().get_last_msg("AMV_CLOCK", "amv.clock.day")
    today = date.fromisoformat(json.loads(last_day.data)["date"])
    played = Played(case_id, report_ids, refused, refused_seq, bsn_seq, open_gaps=await open_support_gaps(nc),
                    tasks_open_and_overdue=open_and_overdue_tasks(notify.cases.values(), today), before=before, after=after)
    await nc.close()
    return played


def test_make_run_prints_where_each_services_endpoints_are(supervised) -> None:
    printed = supervised.stdout.read_text()
    for name in SERVICES:
        assert f"{name:<13} {supervised.endpoints.url(name)}/healthz  /readyz  /metrics" in printed
    assert f"WO_METRICS_PORT={supervised.endpoints.base} .venv/bin/overdracht status" in printed


async def test_health_and_readiness_answer_with_their_checks(supervised) -> None:
    for name in SERVICES:
        status, health = await get_json(f"{supervised.endpoints.url(name)}/healthz")
        assert (status, health["service"], health["alive"]) == (200, name, True)
        status, ready = await get_json(f"{supervised.endpoints.url(name)}/readyz")
        assert status == 200 and ready["ready"] is True
        assert ready["checks"] == {"nats": "ok", "streams": "ok", "consumers": "ok", "projection": "ok"}


def grew(played: Played, service: str, name: str, **labels: str) -> float:
    return total(played.after[service], name, **labels) - total(played.before[service], name, **labels)


async def test_metrics_count_what_was_handled_and_what_the_read_models_hold(played) -> None:
    assert grew(played, "intake", "wo_events_handled_total", consumer="intake-inbox",
                event_type="ResidencePermitGranted", outcome="stored") == 1
    assert grew(played, "intake", "wo_events_handled_total", consumer="intake-inbox",
                event_type="ResidencePermitGranted", outcome="rejected") == 2  # no birth date; a BSN as case id
    assert grew(played, "guardianship", "wo_events_handled_total", consumer="guardianship-inbox",
                event_type="GuardianAssigned", outcome="stored") == 1
    assert grew(played, "notify", "wo_events_handled_total", consumer="notify-reactions",
                event_type="HandoffRequested", outcome="reacted") >= 3  # meeting, housing, 18+ transition, ...
    for name in SERVICES:
        assert grew(played, name, "wo_events_handled_total", consumer=f"{name}-clock", event_type="DayStarted",
                    outcome="day") == 3
        assert grew(played, name, "wo_event_handling_seconds_count", consumer=f"{name}-clock") == 3
        assert total(played.after[name], "wo_events_failed_total") == total(played.before[name], "wo_events_failed_total")
    # the read models: a support gap opened, tasks were opened and the 18+ one is overdue
    assert played.case_id in played.open_gaps
    assert total(played.after["guardianship"], "wo_support_gaps_open") == len(played.open_gaps)
    assert grew(played, "notify", "wo_tasks_open") >= 3
    assert grew(played, "notify", "wo_tasks_overdue") >= 1
    assert (total(played.after["notify"], "wo_tasks_open"), total(played.after["notify"], "wo_tasks_overdue")) == (
        played.tasks_open_and_overdue
    )


async def test_metrics_show_each_durable_consumers_lag_and_the_dead_letters(played) -> None:
    for name in SERVICES:
        after = played.after[name]
        for spec in consumers():
            if spec.service == name:
                pending = [v for (sample, labels), v in after.items()
                           if sample == "wo_consumer_pending_messages" and dict(labels)["consumer"] == spec.durable]
                assert pending == [0.0], f"{spec.durable}: {pending}"  # idle: nothing left to deliver
        assert ("wo_dead_letters", (("service", name),)) in after
        assert after[("wo_projection_lag_events", (("service", name),))] == 0.0


async def test_every_handled_message_is_one_json_line_with_its_ids(supervised, played, broker_url) -> None:
    supervised.stop()  # every line written
    lines = [line for line in supervised.log_lines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]  # every log line is JSON
    assert all({"event", "level", "timestamp"} <= r.keys() for r in records)
    handled = [r for r in records if r["event"] == "handled"]
    assert handled and all(LOG_KEYS <= r.keys() for r in handled), [r for r in handled if not LOG_KEYS <= r.keys()][:1]
    assert not any(DATE_OF_BIRTH in line for line in lines), "the date of birth was logged"
    assert not any(BSN_LIKE in line for line in supervised.log_lines()), "a BSN-like case id was logged"

    # each partner report: one line from the service that owns it, with its ids, stored
    for event_type, event_id in played.report_ids.items():
        owner = [r for r in handled if r["event_id"] == event_id and r["consumer"].endswith("-inbox")]
        assert [(r["case_id"], r["outcome"], r["subject"]) for r in owner] == [
            (played.case_id, "stored", f"amv.inbox.nidos.{event_type}")
        ], event_type
        assert owner[0]["causation_id"] is None and owner[0]["duration_ms"] >= 0
    # each stored event a service reacts to: a line with the event's own id and its cause
    stored = await _case_events(broker_url, played.case_id)
    requested = [e for e in stored if e["type"].endswith(".HandoffRequested.v1")]
    assert len(requested) >= 3
    for event in requested:
        [line] = [r for r in handled if r["event_id"] == event["id"] and r["consumer"] == "notify-reactions"]
        assert (line["case_id"], line["causation_id"], line["outcome"]) == (played.case_id, event["causationid"], "reacted")
    # days concern every case: no case id, no event id, but the day's outcome and duration
    days = [r for r in handled if r["subject"] == "amv.clock.day" and r.get("day") == "2026-09-10"]
    assert {r["consumer"] for r in days} == {f"{name}-clock" for name in SERVICES}
    assert all(r["case_id"] is None and r["outcome"].startswith("day-2026-09-10") for r in days)
    # refused reports: the ids of a valid envelope are logged; of an invalid one, none
    refused = [r for r in handled if r["consumer"] == "intake-inbox" and r["stream_seq"] == played.refused_seq]
    assert [(r["outcome"], r["case_id"], r["event_id"]) for r in refused] == [
        ("rejected", played.refused["subject"], played.refused["id"])
    ]
    bsn = [r for r in handled if r["consumer"] == "intake-inbox" and r["stream_seq"] == played.bsn_seq]
    assert [(r["outcome"], r["case_id"], r["event_id"]) for r in bsn] == [("rejected", None, None)]


async def _case_events(broker_url: str, case_id: str) -> list[dict]:
    nc = await nats.connect(broker_url)
    try:
        return await case_events(nc, case_id)
    finally:
        await nc.close()
