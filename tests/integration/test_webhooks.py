"""Webhook delivery of tasks against real receivers (HTTP servers on loopback) and a real
nats-server: retries until delivered, exactly once per delivery id at the receiver, signed and
timestamped; a receiver that never answers ends in the dead-letter list, and a redrive delivers.

Each test gets its own municipality in its own directory, so tasks of other tests (same NATS
server, same durable consumers) are never POSTed to its receivers."""

import asyncio
import json
import os
import sys
from pathlib import Path

import nats
import pytest
import yaml

from ops.deadletters import dead_letters, redrive
from services.notify.app import NotifyService
from services.notify.webhooks import WebhookConfigError, attempts_subject, new_secret
from services.runtime.directory import DEFAULT_PATH
from services.runtime.eventstore import read_stream
from services.runtime.settings import Settings
from tests.support.partner import eventually, new_case_id, publish, tasks_of_case
from tests.support.system import RunningSystem
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FAST_RETRIES = dict(ack_wait_s=5.0, webhook_backoff_s=0.05, webhook_backoff_max_s=0.2, webhook_timeout_s=0.5)


@pytest.fixture
async def nc(broker_url):
    client = await nats.connect(broker_url)
    yield client
    await client.close()


def secret() -> str:
    return new_secret()  # whsec_ + base64 of 32 random bytes, new per test


def directory_file(tmp_path: Path, code: str, name: str, webhooks: list[dict]) -> Path:
    """The default directory plus municipality `code`, whose municipality has `webhooks`."""
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    org = code.lower()
    raw["municipalities"][code] = {
        "name": name, "municipality": org, "coordinator": f"regie-{org}", "district_team": f"wijkteam-{org}",
        "vwn": f"vwn-{org}", "rmc": f"rmc-{org}",
    }
    raw["channels"] = {org: webhooks}
    path = tmp_path / "organisations.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


async def file_application(nc, code: str) -> str:
    """A new case in municipality `code` up to the filed application: two tasks for the municipality."""
    case_id = new_case_id()
    permit = {"date_of_birth": "2010-05-17", "municipality": code, "permit_date": "2026-01-10"}
    await publish(nc, "nidos", "ResidencePermitGranted", case_id, permit)
    await publish(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})
    return case_id


async def task_ids(nc, org: str, case_id: str) -> list[str]:
    tasks = await eventually(lambda: _two_tasks(nc, org, case_id), what=f"the two tasks of {case_id}")
    return [task["id"] for task in tasks]


async def _two_tasks(nc, org, case_id):
    tasks = await tasks_of_case(nc, org, case_id)
    return tasks if len(tasks) == 2 else None


async def attempt_records(nc, org: str, delivery_id: str) -> list[dict]:
    return [json.loads(m.data) for m in await read_stream(nc, "AMV_WEBHOOKS", attempts_subject(org, delivery_id))]


async def consumer_done(nc, durable: str, stream: str) -> bool:
    info = await nc.jetstream().consumer_info(stream, durable)
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_a_failing_receiver_gets_each_task_exactly_once_signed_after_retries(broker_url, nc, tmp_path, monkeypatch) -> None:
    key = secret()
    receiver = Receiver(key, fail_first=3)
    monkeypatch.setenv("WO_TEST_HOOK_SECRET_GM0363", key)
    monkeypatch.setenv("WO_TEST_HOOK_AUTH_GM0363", "Bearer amsterdam-token")
    path = directory_file(tmp_path, "GM0363", "Amsterdam", [{
        "type": "webhook", "name": "zaaksysteem", "url": receiver.url,
        "secret_env": "WO_TEST_HOOK_SECRET_GM0363", "authorization_env": "WO_TEST_HOOK_AUTH_GM0363",
    }])
    system = await RunningSystem(broker_url, directory=str(path), webhook_max_attempts=6, **FAST_RETRIES).start()
    try:
        case_id = await file_application(nc, "GM0363")
        ids = await task_ids(nc, "gm0363", case_id)
        await eventually(lambda: _accepted(receiver, ids), what="both tasks accepted by the receiver")
        await eventually(lambda: consumer_done(nc, "notify-webhooks", "AMV_TASKS"), what="every task acknowledged")

        on_nats = {t["id"]: t for t in await tasks_of_case(nc, "gm0363", case_id)}
        assert set(receiver.accepted) == set(ids)
        assert receiver.duplicates == {}
        assert len(receiver.calls) == 3 + 2  # three refused calls, then one accepted call per task
        for call in receiver.calls:
            assert call.verified, "every attempt is signed with a fresh timestamp (Standard Webhooks)"
            assert call.headers["webhook-id"] == json.loads(call.body)["id"]
            assert call.headers["Content-Type"].startswith("application/cloudevents+json")
            assert call.headers["Authorization"] == "Bearer amsterdam-token"
            assert json.loads(call.body) == on_nats[call.delivery_id]  # the task as on NATS, id = delivery id
        for delivery_id in ids:
            attempts = [int(c.headers["Wo-Attempt"]) for c in receiver.calls_for(delivery_id)]
            assert attempts == list(range(1, len(attempts) + 1))  # every retry carried the same webhook-id
            records = await attempt_records(nc, "gm0363", delivery_id)
            assert [r["outcome"] for r in records] == ["failed"] * (len(attempts) - 1) + ["delivered"]
            assert [r["attempt"] for r in records] == attempts
            assert {r["webhook"] for r in records} == {"zaaksysteem"}
            assert records[-1]["status_code"] == 200 and records[0]["case_id"] == case_id

        # A restart of notify neither loses nor re-sends a delivered task.
        await system.stop("notify")
        await system.start("notify")
        await asyncio.sleep(1.5)
        await eventually(lambda: consumer_done(nc, "notify-webhooks", "AMV_TASKS"), what="nothing left to deliver")
        assert len(receiver.calls) == 5
    finally:
        await system.stop()
        receiver.stop()


async def _accepted(receiver: Receiver, ids: list[str]) -> bool:
    return set(ids) <= set(receiver.accepted)


async def test_notify_stopped_during_retries_delivers_after_restart_exactly_once(broker_url, nc, tmp_path, monkeypatch) -> None:
    key = secret()
    receiver = Receiver(key, fail_first=2)
    monkeypatch.setenv("WO_TEST_HOOK_SECRET_GM0014", key)
    path = directory_file(tmp_path, "GM0014", "Groningen", [
        {"type": "webhook", "url": receiver.url, "secret_env": "WO_TEST_HOOK_SECRET_GM0014"},
    ])
    slow = {**FAST_RETRIES, "webhook_backoff_s": 1.0, "webhook_backoff_max_s": 2.0}
    system = await RunningSystem(broker_url, directory=str(path), webhook_max_attempts=10, **slow).start()
    try:
        case_id = await file_application(nc, "GM0014")
        ids = await task_ids(nc, "gm0014", case_id)
        await eventually(lambda: _refused_twice(receiver), what="the receiver to refuse two calls")
        await system.stop("notify")  # both refused tasks are waiting for their retry, in JetStream
        await system.start("notify")
        await eventually(lambda: _accepted(receiver, ids), timeout_s=20, what="delivery after the restart")
        await eventually(lambda: consumer_done(nc, "notify-webhooks", "AMV_TASKS"), what="every task acknowledged")
        assert receiver.duplicates == {}
        assert len([c for c in receiver.calls if c.answer == 200]) == 2
    finally:
        await system.stop()
        receiver.stop()


async def _refused_twice(receiver: Receiver) -> bool:
    return len([c for c in receiver.calls if c.answer == 500]) >= 2


async def test_during_a_secret_rotation_a_receiver_with_either_secret_verifies(broker_url, nc, tmp_path, monkeypatch) -> None:
    old, new = secret(), secret()
    not_yet_rotated, rotated = Receiver(old), Receiver(new)
    monkeypatch.setenv("WO_TEST_HOOK_SECRET_GM0772", new)
    monkeypatch.setenv("WO_TEST_HOOK_PREVIOUS_SECRET_GM0772", old)
    rotating = {"secret_env": "WO_TEST_HOOK_SECRET_GM0772", "previous_secret_env": "WO_TEST_HOOK_PREVIOUS_SECRET_GM0772"}
    path = directory_file(tmp_path, "GM0772", "Eindhoven", [
        {"type": "webhook", "name": "old-side", "url": not_yet_rotated.url, **rotating},
        {"type": "webhook", "name": "new-side", "url": rotated.url, **rotating},
    ])
    system = await RunningSystem(broker_url, directory=str(path), webhook_max_attempts=3, **FAST_RETRIES).start()
    try:
        case_id = await file_application(nc, "GM0772")
        ids = await task_ids(nc, "gm0772", case_id)
        await eventually(lambda: _accepted(not_yet_rotated, ids), what="the receiver with the previous secret")
        await eventually(lambda: _accepted(rotated, ids), what="the receiver with the current secret")
        for call in not_yet_rotated.calls + rotated.calls:
            assert call.verified and len(call.headers["webhook-signature"].split(" ")) == 2
        call = rotated.calls[0]
        assert not Receiver.verifies(secret(), call.body, call.headers), "a third secret does not verify"
    finally:
        await system.stop()
        not_yet_rotated.stop()
        rotated.stop()


async def test_a_receiver_that_never_answers_is_dead_lettered_and_a_redrive_delivers(broker_url, nc, tmp_path, monkeypatch) -> None:
    key = secret()
    silent = Receiver(key, hang_s=2.0)  # answers nothing within the 0.5 s timeout
    healthy = Receiver(key)
    monkeypatch.setenv("WO_TEST_HOOK_SECRET_GM0599", key)
    path = directory_file(tmp_path, "GM0599", "Rotterdam", [
        {"type": "webhook", "name": "primary", "url": silent.url, "secret_env": "WO_TEST_HOOK_SECRET_GM0599"},
        {"type": "webhook", "name": "backup", "url": healthy.url, "secret_env": "WO_TEST_HOOK_SECRET_GM0599"},
    ])
    system = await RunningSystem(broker_url, directory=str(path), webhook_max_attempts=3, **FAST_RETRIES).start()
    try:
        case_id = await file_application(nc, "GM0599")
        ids = await task_ids(nc, "gm0599", case_id)
        letters = await eventually(lambda: _dead_letters_of(nc, ids), timeout_s=20, what="two dead letters")
        await eventually(lambda: consumer_done(nc, "notify-webhooks", "AMV_TASKS"), what="the tasks acknowledged")

        for letter in letters:
            assert (letter.owner, letter.attempts, letter.webhooks, letter.status) == ("gm0599", 3, ("primary",), "dead")
            assert "primary: ReadTimeout" in letter.reason
            assert letter.case_id == case_id and letter.task_type == "nl.warmeoverdracht.TaskOpened.v1"
            assert len(silent.calls_for(letter.delivery_id)) == 3
            records = await attempt_records(nc, "gm0599", letter.delivery_id)
            primary = [r["outcome"] for r in records if r["webhook"] == "primary"]
            assert primary == ["failed", "failed", "failed", "dead-lettered"]
            assert [r["outcome"] for r in records if r["webhook"] == "backup"] == ["delivered"]
        assert set(healthy.accepted) == set(ids) and healthy.duplicates == {}  # the backup got them at once

        silent.fix()
        first, second = letters
        listing = await _cli(broker_url, "list")
        assert str(first.seq) in listing and "dead" in listing
        assert f"re-queued for delivery" in await _cli(broker_url, "redrive", str(first.seq))
        assert "already redriven" in await _cli(broker_url, "redrive", str(first.seq))
        await redrive(nc, second.seq)

        await eventually(lambda: _accepted(silent, ids), timeout_s=20, what="the redriven tasks delivered")
        await eventually(lambda: consumer_done(nc, "notify-webhooks-redrive", "AMV_WEBHOOKS"), what="redrives done")
        assert silent.duplicates == {} and healthy.duplicates == {}
        assert len(healthy.calls) == 2, "the webhook that had the task is not sent it again"
        assert {letter.status for letter in await _dead_letters_of(nc, ids)} == {"delivered"}
    finally:
        await system.stop()
        silent.stop()
        healthy.stop()


async def _dead_letters_of(nc, ids: list[str]):
    found = sorted((letter for letter in await dead_letters(nc) if letter.delivery_id in ids), key=lambda l: l.seq)
    return found if len(found) == len(ids) else None


async def _cli(broker_url: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ops.cli", "dead-letters", *args, cwd=REPO, env={**os.environ, "NATS_URL": broker_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_redriving_what_is_not_a_webhook_dead_letter_is_refused(broker_url) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ops.cli", "dead-letters", "redrive", "999999999", cwd=REPO,
        env={**os.environ, "NATS_URL": broker_url}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 1
    assert "has no message 999999999" in err.decode()


async def test_a_task_that_is_not_a_cloud_event_is_dead_lettered_and_delivery_goes_on(broker_url, nc, tmp_path, monkeypatch) -> None:
    key = secret()
    receiver = Receiver(key)
    monkeypatch.setenv("WO_TEST_HOOK_SECRET_GM0153", key)
    path = directory_file(tmp_path, "GM0153", "Enschede", [
        {"type": "webhook", "url": receiver.url, "secret_env": "WO_TEST_HOOK_SECRET_GM0153"},
    ])
    system = await RunningSystem(broker_url, directory=str(path), webhook_max_attempts=3, **FAST_RETRIES).start()
    try:
        junk = await nc.jetstream().publish("amv.tasks.wijkteam-gm0153.TaskOpened", b"{not json", timeout=5)

        async def parked():
            return [m for m in await read_stream(nc, "AMV_REJECTED", "amv.deadletter.notify.webhooks")
                    if m.headers.get("Wo-Original-Sequence") == str(junk.seq)
                    and m.headers.get("Wo-Original-Stream") == "AMV_TASKS"]

        [letter] = await eventually(parked, what="the junk task dead-lettered")
        assert letter.data == b"{not json" and "not a CloudEvent" in letter.headers["Wo-Error-Reason"]
        case_id = await file_application(nc, "GM0153")
        ids = await task_ids(nc, "gm0153", case_id)
        await eventually(lambda: _accepted(receiver, ids), what="later tasks still delivered")
        assert receiver.calls and all(call.delivery_id in ids for call in receiver.calls)
    finally:
        await system.stop()
        receiver.stop()


async def test_a_webhook_without_its_secret_stops_notify_before_it_consumes(broker_url, nc, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("WO_TEST_HOOK_SECRET_UNSET", raising=False)
    path = directory_file(tmp_path, "GM0202", "Arnhem", [
        {"type": "webhook", "url": "https://hooks.example/arnhem", "secret_env": "WO_TEST_HOOK_SECRET_UNSET"},
    ])
    service = NotifyService(Settings(nats_url=broker_url, directory=str(path)))
    with pytest.raises(WebhookConfigError, match="channels.gm0202.webhook: the secret variable WO_TEST_HOOK_SECRET_UNSET is not set"):
        await service.start(nc)
