"""NATS authentication and authorization against a real nats-server running the configuration that
services/runtime/natsauth.py generates: every partner tried on every other partner's subjects, on
the event store and on the JetStream API; every service on the others' events; the inbox stream's
own refusals; and the whole system playing the slice with nothing but its own permissions.

A denial is proven twice: the client receives the server's "Permissions Violation" for exactly
that subject, and an `ops` subscriber (or the stream's state) shows that nothing got through.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import nats.errors
import nats.js.errors
import pytest
from nats.aio.msg import Msg

from contracts import subjects
from services.bootstrap import consumers as bootstrap_consumers
from services.runtime import natsauth, provision
from services.runtime.clock import provision_schedule
from services.runtime.directory import load_directory
from services.runtime.natsserver import EmbeddedNats, free_port
from tests.support.natsauth import (
    FAST_BCRYPT_ROUNDS,
    SCHOOL,
    AuthServer,
    Watcher,
    auth_server,
    connect_as,
    provision_as_provisioner,
    stream_state,
)
from tests.support.partner import envelope, eventually, new_case_id
from tests.support.system import SERVICE_CLASSES

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}
USERS = natsauth.users(load_directory(), schools=[SCHOOL])
PARTNERS = [user.name for user in USERS if user.role == "partner"]


@pytest.fixture(scope="module")
async def secured() -> AsyncIterator[AuthServer]:
    with auth_server() as running:
        await provision_as_provisioner(running)
        yield running


# --- partners ---------------------------------------------------------------------------------


def test_every_organisation_of_the_directory_and_the_configured_school_is_a_partner() -> None:
    assert set(PARTNERS) == load_directory().organisations() | {SCHOOL}
    assert {"nidos", "ind", "coa", "gm0855", "regie-gm0855", "wijkteam-gm0855", "vwn-gm0855", "rmc-gm0855"} <= set(PARTNERS)


@pytest.mark.parametrize("partner", PARTNERS)
async def test_a_partner_publishes_only_into_its_own_inbox(secured, partner) -> None:
    watcher = await Watcher().start(secured)
    client = await connect_as(secured, partner)
    marker = f"probe-{uuid.uuid4().hex}".encode()
    events_before = await stream_state(secured, "AMV_EVENTS")
    others = [other for other in PARTNERS if other != partner]
    forbidden = [subjects.inbox(other, "ResidencePermitGranted") for other in others] + [
        subjects.event("intake", "case-forged", "ResidencePermitGranted"),  # the event store
        subjects.event("notify", "case-forged", "HandoffAccepted"),
        subjects.tasks(partner, "TaskOpened"),  # not even its own tasks: only notify writes them
        subjects.rejected(partner, "ResidencePermitGranted"),
        subjects.CLOCK_DAY,
        subjects.CLOCK_SCHEDULE,  # a schedule of its own would start days
        "amv.deadletter.intake.intake-inbox",
    ]
    for subject in forbidden:
        await client.nc.publish(subject, marker)
    own = subjects.inbox(partner, "ResidencePermitGranted")
    await client.nc.publish(own, marker)
    try:
        for subject in forbidden:
            assert await client.denied("publish", subject), subject

        async def arrived() -> list[str]:
            return watcher.subjects(marker)

        await eventually(arrived, 5, "the report in the inbox")
        await watcher.client.nc.flush()
        assert watcher.subjects(marker) == [own]  # nothing else reached the system
        assert not client.refused("publish", own)
        assert (await stream_state(secured, "AMV_EVENTS")).last_seq == events_before.last_seq
    finally:
        await client.nc.close()
        await watcher.stop()


@pytest.mark.parametrize("partner", PARTNERS)
async def test_a_partner_receives_only_its_own_tasks_and_rejections(secured, partner) -> None:
    client = await connect_as(secured, partner)
    received: list[str] = []

    async def on_msg(msg: Msg) -> None:
        received.append(msg.subject)

    others = [other for other in PARTNERS if other != partner]
    forbidden = [f"{subjects.TASKS_PREFIX}.{o}.>" for o in others] + [f"{subjects.REJECTED_PREFIX}.{o}.>" for o in others]
    forbidden += ["amv.>", "amv.events.>", "amv.inbox.>", "_INBOX.>", "$JS.API.>", "_INBOX_intake.>"]
    forbidden += [f"{natsauth.inbox_prefix(o)}.>" for o in others[:3]]
    own = [f"{subjects.TASKS_PREFIX}.{partner}.>", f"{subjects.REJECTED_PREFIX}.{partner}.>"]
    for subject in forbidden + own:
        await client.nc.subscribe(subject, cb=on_msg)
    notify = await connect_as(secured, "notify")
    intake = await connect_as(secured, "intake")
    try:
        for subject in forbidden:
            assert await client.denied("subscription", subject), subject

        for org in PARTNERS:  # what the services send to every organisation
            await notify.nc.publish(subjects.tasks(org, "TaskOpened"), b"task")
            await intake.nc.publish(subjects.rejected(org, "ResidencePermitGranted"), b"rejection")
        await notify.nc.flush()
        await intake.nc.flush()
        expected = sorted([subjects.tasks(partner, "TaskOpened"), subjects.rejected(partner, "ResidencePermitGranted")])

        async def both_arrived() -> bool:
            return len(received) >= 2

        await eventually(both_arrived, 5, "its own task and rejection")
        await asyncio.sleep(0.1)
        assert sorted(received) == expected
        assert not any(client.refused("subscription", subject) for subject in own)
    finally:
        for c in (client, notify, intake):
            await c.nc.close()


@pytest.mark.parametrize("partner", ["nidos", "gm0855", "vwn-gm0518", SCHOOL])
async def test_a_partner_has_no_jetstream_api(secured, partner) -> None:
    client = await connect_as(secured, partner)
    inbox_before = await stream_state(secured, "AMV_INBOX")
    consumers_before = inbox_before.consumer_count
    attempts = {
        "$JS.API.INFO": b"",
        "$JS.API.STREAM.INFO.AMV_INBOX": b"",
        "$JS.API.STREAM.INFO.AMV_EVENTS": b"",
        "$JS.API.STREAM.PURGE.AMV_INBOX": b"",
        "$JS.API.STREAM.DELETE.AMV_INBOX": b"",
        "$JS.API.STREAM.MSG.DELETE.AMV_INBOX": json.dumps({"seq": 1}).encode(),
        "$JS.API.CONSUMER.CREATE.AMV_INBOX": json.dumps(
            {"stream_name": "AMV_INBOX", "config": {"deliver_policy": "all", "ack_policy": "none"}}
        ).encode(),
        "$JS.API.CONSUMER.CREATE.AMV_EVENTS.snoop.amv.events.>": json.dumps(
            {"stream_name": "AMV_EVENTS", "config": {"name": "snoop", "ack_policy": "none"}}
        ).encode(),
        "$JS.API.DIRECT.GET.AMV_EVENTS": json.dumps({"seq": 1}).encode(),
        "$JS.API.DIRECT.GET.AMV_TASKS": json.dumps({"seq": 1}).encode(),
    }
    answers = await client.nc.subscribe(f"{natsauth.inbox_prefix(partner)}.>")
    try:
        for subject, body in attempts.items():
            await client.nc.publish(subject, body, reply=client.nc.new_inbox())
            assert await client.denied("publish", subject), subject
        await asyncio.sleep(0.2)
        assert answers.pending_msgs == 0  # not even an error reply: the request never reached JetStream
        after = await stream_state(secured, "AMV_INBOX")
        assert after.messages >= inbox_before.messages and after.first_seq == inbox_before.first_seq
        assert after.consumer_count == consumers_before
    finally:
        await client.nc.close()


async def test_a_partner_confirms_its_report_with_a_jetstream_publish_from_its_own_reply_inbox(secured) -> None:
    client = await connect_as(secured, "nidos")
    try:
        ack = await client.nc.jetstream().publish(subjects.inbox("nidos", "ResidencePermitGranted"), b"{}", timeout=2)
        assert ack.stream == provision.INBOX_STREAM and ack.seq > 0
    finally:
        await client.nc.close()

    without_prefix = await connect_as(secured, "nidos", inbox_prefix="_INBOX")
    try:  # the default reply inbox is not its own: it may not subscribe there, so no ack arrives
        with pytest.raises(nats.errors.TimeoutError):
            await without_prefix.nc.jetstream().publish(subjects.inbox("nidos", "ResidencePermitGranted"), b"{}", timeout=0.5)
        assert any('permissions violation for subscription to "_inbox.' in error for error in without_prefix.errors)
    finally:
        await without_prefix.nc.close()


async def test_a_reply_subject_cannot_smuggle_the_inbox_acknowledgement_into_another_stream(secured) -> None:
    """JetStream answers a publish on its reply subject, and permissions do not cover reply
    subjects; the partner's own account keeps that answer away from the system's streams."""
    before = {name: await stream_state(secured, name) for name in ("AMV_EVENTS", "AMV_TASKS", "AMV_REJECTED")}
    client = await connect_as(secured, "nidos")
    try:
        for reply in (
            subjects.event("intake", "case-smuggled", "ResidencePermitGranted"),
            subjects.tasks("gm0855", "TaskOpened"),
            subjects.rejected("ind", "ApplicationDecided"),
        ):
            await client.nc.publish(subjects.inbox("nidos", "ResidencePermitGranted"), b"{}", reply=reply)
        await client.nc.flush()
        inbox_sequence = (await stream_state(secured, "AMV_INBOX")).last_seq
        await asyncio.sleep(0.2)
        assert inbox_sequence > 0
        for name, state in before.items():
            assert (await stream_state(secured, name)).last_seq == state.last_seq, name
    finally:
        await client.nc.close()


async def test_rollup_and_schedule_headers_from_a_partner_change_nothing_in_the_inbox(secured) -> None:
    client = await connect_as(secured, "nidos")
    js = client.nc.jetstream()
    subject = subjects.inbox("nidos", "ResidencePermitGranted")
    try:
        first = await js.publish(subject, b"kept-1", timeout=2)
        second = await js.publish(subject, b"kept-2", timeout=2)
        for headers in (
            {"Nats-Rollup": "sub"},
            {"Nats-Rollup": "all"},
            {"Nats-Schedule": "@every 1s", "Nats-Schedule-Target": subject},
            {"Nats-Schedule": "@at 2020-01-01T00:00:00Z", "Nats-Schedule-Target": subject},
        ):
            with pytest.raises(nats.js.errors.APIError):
                await js.publish(subject, b"refused", headers=headers, timeout=2)
        await asyncio.sleep(1.5)  # a schedule of every second would have fired by now
        state = await stream_state(secured, "AMV_INBOX")
        assert state.last_seq == second.seq  # nothing stored after the two kept reports
        ops = await connect_as(secured, natsauth.OPS_USER)
        stored = [await ops.nc.jetstream().get_msg("AMV_INBOX", seq) for seq in (first.seq, second.seq)]
        await ops.nc.close()
        assert [m.data for m in stored] == [b"kept-1", b"kept-2"]  # no rollup removed them
    finally:
        await client.nc.close()


async def test_the_inbox_stream_itself_refuses_purge_and_delete_even_to_a_client_with_every_right() -> None:
    """Beyond permissions: provision.py's inbox stream denies purge and message deletion, so not
    even an unrestricted client (here on a server without authentication) can remove a report."""
    with tempfile.TemporaryDirectory(prefix="wo-open-") as tmp, EmbeddedNats(Path(tmp)) as server:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await provision.provision_streams(js)
        await js.publish(subjects.inbox("nidos", "ResidencePermitGranted"), b"kept")
        purge = json.loads((await nc.request("$JS.API.STREAM.PURGE.AMV_INBOX", b"", timeout=2)).data)
        delete = json.loads(
            (await nc.request("$JS.API.STREAM.MSG.DELETE.AMV_INBOX", json.dumps({"seq": 1}).encode(), timeout=2)).data
        )
        state = (await js.stream_info("AMV_INBOX")).state
        await nc.close()
    assert purge["error"]["description"] == "stream purge not permitted"
    assert delete["error"]["description"] == "message delete not permitted"
    assert state.messages == 1


# --- services and ops -------------------------------------------------------------------------


@pytest.mark.parametrize("service", natsauth.SERVICES)
async def test_a_service_writes_only_its_own_events(secured, service) -> None:
    client = await connect_as(secured, service)
    case_id = new_case_id()
    try:
        ack = json.loads(
            (await client.nc.request(subjects.event(service, case_id, "Probe"), b"{}", timeout=2)).data
        )
        assert ack["stream"] == "AMV_EVENTS"
        before = await stream_state(secured, "AMV_EVENTS")
        for other in natsauth.SERVICES:
            if other != service:
                forged = subjects.event(other, case_id, "Probe")
                await client.nc.publish(forged, b"{}")
                assert await client.denied("publish", forged), forged
        assert (await stream_state(secured, "AMV_EVENTS")).last_seq == before.last_seq
    finally:
        await client.nc.close()


@pytest.mark.parametrize("service", natsauth.SERVICES)
async def test_a_service_cannot_act_as_a_partner_another_service_or_an_operator(secured, service) -> None:
    client = await connect_as(secured, service)
    other = next(s for s in natsauth.SERVICES if s != service)
    forbidden_publish = [
        subjects.inbox("nidos", "ResidencePermitGranted"),
        subjects.CLOCK_DAY,
        subjects.CLOCK_SCHEDULE,
        f"amv.deadletter.{other}.{other}-clock",
        "$JS.API.STREAM.DELETE.AMV_EVENTS",
        "$JS.API.STREAM.PURGE.AMV_INBOX",
        "$JS.API.STREAM.MSG.DELETE.AMV_EVENTS",
        f"$JS.API.CONSUMER.DELETE.AMV_CLOCK.{service}-clock",
        f"$JS.API.CONSUMER.CREATE.AMV_CLOCK.{other}-clock",
        f"$JS.API.CONSUMER.MSG.NEXT.AMV_CLOCK.{other}-clock",
        "$JS.API.DIRECT.GET.AMV_INBOX",
    ]
    if service != "notify":
        forbidden_publish += [subjects.tasks("gm0855", "TaskOpened"), "$JS.API.DIRECT.GET.AMV_TASKS"]
    forbidden_subscribe = ["amv.>", f"{natsauth.inbox_prefix(other)}.>", "_INBOX.>", subjects.CLOCK_DAY]
    try:
        for subject in forbidden_publish:
            await client.nc.publish(subject, b"{}")
            assert await client.denied("publish", subject), subject
        for subject in forbidden_subscribe:
            await client.nc.subscribe(subject)
            assert await client.denied("subscription", subject), subject
    finally:
        await client.nc.close()


async def test_only_notify_delivers_tasks(secured) -> None:
    client = await connect_as(secured, "notify")
    try:
        ack = json.loads((await client.nc.request(subjects.tasks("gm0855", "TaskOpened"), b"{}", timeout=2)).data)
        assert ack["stream"] == "AMV_TASKS"
    finally:
        await client.nc.close()


async def test_ops_starts_days_and_reads_streams_but_writes_no_events_and_purges_nothing(secured) -> None:
    ops = await connect_as(secured, natsauth.OPS_USER)
    js = ops.nc.jetstream()
    try:
        assert (await js.publish(subjects.CLOCK_DAY, json.dumps({"date": "2026-03-01"}).encode())).stream == "AMV_CLOCK"
        assert await provision_schedule(js) in (True, False)  # the clock's one schedule (services/runtime/clock.py)
        assert (await js.publish(subjects.inbox("coa", "ParentsArrived"), b"{}")).stream == "AMV_INBOX"
        assert (await js.stream_info("AMV_EVENTS")).config.name == "AMV_EVENTS"
        for subject in (
            subjects.event("intake", "case-by-ops", "ResidencePermitGranted"),
            subjects.tasks("gm0855", "TaskOpened"),
            subjects.rejected("nidos", "ResidencePermitGranted"),
            "$JS.API.STREAM.PURGE.AMV_INBOX",
            "$JS.API.STREAM.DELETE.AMV_EVENTS",
            "$JS.API.STREAM.MSG.DELETE.AMV_TASKS",
        ):
            await ops.nc.publish(subject, b"{}")
            assert await ops.denied("publish", subject), subject
    finally:
        await ops.nc.close()


async def test_a_wrong_password_or_no_user_is_refused(secured) -> None:
    for login in ({"user": "nidos", "password": "not-its-password"}, {}):
        with pytest.raises(Exception, match="(?i)authorization"):
            await nats.connect(secured.url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, **login)


# --- the whole system, with nothing but its own permissions -----------------------------------


async def test_the_services_play_the_slice_as_their_own_users_without_a_single_violation() -> None:
    with auth_server() as server:
        await provision_as_provisioner(server, ack_wait_s=2.0)  # as _settings_for
        running = []
        for name, service_class in SERVICE_CLASSES.items():
            runtime = service_class(_settings_for(server, name))
            nc = await nats.connect(server.url, **server.auth.connect_options(name))
            await runtime.start(nc)
            running.append((runtime, nc))
        nidos = await connect_as(server, "nidos")
        gm0855 = await connect_as(server, "gm0855")
        ops = await connect_as(server, natsauth.OPS_USER)
        try:
            case_id = new_case_id()
            tasks = await gm0855.nc.subscribe("amv.tasks.gm0855.>")
            rejections = await nidos.nc.subscribe("amv.rejected.nidos.>")
            await gm0855.nc.flush()
            await nidos.nc.flush()
            for event_type, data in (("ResidencePermitGranted", PERMIT), ("ApplicationFiled", {"filed_on": "2026-02-02"})):
                body = json.dumps(envelope("nidos", event_type, case_id, data)).encode()
                await nidos.nc.publish(subjects.inbox("nidos", event_type), body)
            bad = json.dumps(envelope("nidos", "ResidencePermitGranted", new_case_id(), {"permit_date": "soon"})).encode()
            await nidos.nc.publish(subjects.inbox("nidos", "ResidencePermitGranted"), bad)

            while True:
                task = json.loads((await tasks.next_msg(timeout=15)).data)
                if task["subject"] == case_id and task["data"]["kind"] == "plan-transition-meeting":
                    break
            rejection = await rejections.next_msg(timeout=10)
            assert rejection.headers["Wo-Error-Code"]
            accept = envelope("gm0855", "TaskAccepted", case_id, {"task_id": task["data"]["task_id"]})
            await gm0855.nc.publish(subjects.inbox("gm0855", "TaskAccepted"), json.dumps(accept).encode())
            day = await ops.nc.jetstream().publish(subjects.CLOCK_DAY, json.dumps({"date": "2026-05-01"}).encode())
            assert day.seq > 0

            async def accepted():
                found = await ops.nc.jetstream().stream_info("AMV_EVENTS", subjects_filter=f"amv.events.notify.{case_id}.>")
                return "HandoffAccepted" in " ".join(found.state.subjects or {})

            await eventually(accepted, 15, "HandoffAccepted recorded by notify")

            async def every_service_had_the_day() -> bool:  # each reads AMV_CLOCK as itself to decide it
                js = ops.nc.jetstream()
                infos = [await js.consumer_info("AMV_CLOCK", f"{name}-clock") for name in natsauth.SERVICES]
                return all(info.ack_floor.stream_seq >= day.seq for info in infos)

            await eventually(every_service_had_the_day, 15, "every service to handle the day")
            await asyncio.sleep(1.0)  # the clock consumers ran too
            assert server.violations() == []
        finally:
            for client in (nidos, gm0855, ops):
                await client.nc.close()
            for runtime, nc in running:
                await runtime.stop()
                await nc.close()


async def _until_every_service_consumes(url: str, credentials_file: Path, deadline: float) -> None:
    """The services are started when the banner shows; wait until each has its durable consumers."""
    nc = await nats.connect(url, **natsauth.client_options(natsauth.OPS_USER, credentials_file))
    js = nc.jetstream()
    try:
        for spec in bootstrap_consumers():
            while True:
                try:
                    await js.consumer_info(spec.stream, spec.durable)
                    break
                except nats.js.errors.NotFoundError:
                    assert time.monotonic() < deadline, f"consumer {spec.durable} was never created"
                    await asyncio.sleep(0.2)
    finally:
        await nc.close()


def _settings_for(server: AuthServer, service: str):
    from services.runtime.settings import Settings

    return Settings(nats_url=server.url, ack_wait_s=2.0, http_port=0, metrics_port=0)


async def test_make_run_starts_with_authentication_and_the_first_case_example_gets_its_task() -> None:
    """`make run` (the supervisor, real processes) with its generated dev credentials,
    examples/first_case.py logging in as nidos and gm0855, and the handoff desk (its own process,
    logged in as notify) showing gm0855 the task."""
    with tempfile.TemporaryDirectory(prefix="wo-make-run-") as data_dir:
        # Credentials made beforehand (cheaply hashed) are kept by `make run`, not replaced.
        earlier = natsauth.ensure_dev_credentials(Path(data_dir), rounds=FAST_BCRYPT_ROUNDS).passwords
        port, desk_port = free_port(), free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("NATS_", "WO_"))},
            "WO_NATS_PORT": str(port),
            "WO_DATA_DIR": data_dir,
            "WO_HTTP_PORT": str(desk_port),
            "LOG_LEVEL": "WARNING",
        }
        output = Path(data_dir) / "make-run.out"
        with open(output, "w") as out:
            supervisor = subprocess.Popen(
                [sys.executable, "-m", "services.runtime.supervisor"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 60
            while "Stop with Ctrl-C" not in output.read_text():
                assert supervisor.poll() is None, output.read_text()
                assert time.monotonic() < deadline, output.read_text()
                await asyncio.sleep(0.1)
            text = output.read_text()
            credentials_file = Path(data_dir) / natsauth.CREDENTIALS_FILE
            await _until_every_service_consumes(f"nats://127.0.0.1:{port}", credentials_file, deadline)
            assert str(credentials_file) in text, text
            assert "Clock: a day starts by schedule '0 0 0 * * *' (Europe/Amsterdam)" in text, text
            ops = await nats.connect(f"nats://127.0.0.1:{port}", **natsauth.client_options(natsauth.OPS_USER, credentials_file))
            try:  # `make run` provisioned the clock's one schedule
                schedule = await ops.jetstream().get_last_msg("AMV_CLOCK", subjects.CLOCK_SCHEDULE)
                assert schedule.headers["Nats-Schedule"] == "0 0 0 * * *"
                assert schedule.headers["Nats-Schedule-Time-Zone"] == "Europe/Amsterdam"
            finally:
                await ops.close()
            assert natsauth.load_credentials(credentials_file) == earlier
            assert oct(credentials_file.stat().st_mode & 0o777) == "0o600"
            assert oct((Path(data_dir) / natsauth.CONFIG_FILE).stat().st_mode & 0o777) == "0o600"

            example = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "examples/first_case.py"],
                cwd=REPO, env={**env, "NATS_URL": f"nats://127.0.0.1:{port}", "WO_NATS_CREDENTIALS": str(credentials_file)},
                capture_output=True, text=True, timeout=60,
            )
            assert "gm0855 accepted the task" in example.stdout, example.stdout + example.stderr
            token = json.loads((Path(data_dir) / "org-tokens.json").read_text())["gm0855"]
            assert token in text, "make run prints the desk's development tokens"
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{desk_port}", timeout=10) as desk:
                while True:
                    try:
                        inbox = await desk.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
                        if inbox.status_code == 200 and "accepted" in {t["status"] for t in inbox.json()["tasks"]}:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline + 60, "the desk never showed gm0855 the task it accepted"
                    await asyncio.sleep(0.2)

            connections = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port + 4000}/connz?auth=true", timeout=5))
            logged_in = {c.get("authorized_user") for c in connections["connections"]}
            assert set(natsauth.SERVICES) <= logged_in  # every service as itself
            log = (Path(data_dir) / "nats-server.log").read_text()
            assert "Violation" not in log, [line for line in log.splitlines() if "Violation" in line]
        finally:
            os.killpg(supervisor.pid, signal.SIGTERM)
            supervisor.wait(60)
