"""Least privilege, against a real nats-server running the generated configuration: every service
and the operator tried on every JetStream admin verb (create, update, purge and delete a stream;
create a consumer with another filter; put a key-value record elsewhere; forge a reply inside the
system's account), the provisioner as the one login that creates, and a service started before
provisioning that waits instead of creating anything.

A denial is proven twice: the client receives the server's "Permissions Violation" for exactly that
subject, and the streams, consumers and buckets are unchanged afterwards.
"""

import asyncio
import dataclasses
import json
import os
import sys
from pathlib import Path
from collections.abc import AsyncIterator

import nats.js.errors
import pytest

from contracts import subjects
from services.bootstrap import consumers as bootstrap_consumers
from services.bootstrap import decider_of
from services.runtime import natsauth, provision
from services.runtime.settings import Settings
from tests.ops.support import free_port_block
from tests.support.natsauth import AuthServer, auth_server, connect_as, provision_as_provisioner
from tests.support.partner import envelope, eventually, new_case_id
from tests.support.system import SERVICE_CLASSES

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]

STREAMS = [config.name for config in provision.stream_configs()]
LOGINS = (*natsauth.SERVICES, natsauth.OPS_USER)


@pytest.fixture(scope="module")
async def provisioned() -> AsyncIterator[AuthServer]:
    with auth_server() as running:
        await provision_as_provisioner(running)
        yield running


def _other(login: str) -> str:
    return next(s for s in natsauth.SERVICES if s != login)


def _wipe(stream: str) -> bytes:
    """The request that empties a stream past deny_delete: its configuration with max_age 1s."""
    config = next(c for c in provision.stream_configs() if c.name == stream)
    return json.dumps(dataclasses.replace(config, max_age=1.0).as_dict()).encode()


def _consumer(stream: str, filter_subject: str, **config: object) -> bytes:
    return json.dumps({"stream_name": stream, "config": {"filter_subject": filter_subject, "ack_policy": "explicit", **config}}).encode()


def admin_attempts(login: str) -> dict[str, bytes]:
    """subject -> body of every admin verb `login` must be refused."""
    other = _other(login)
    attempts: dict[str, bytes] = {}
    for stream in STREAMS:
        attempts[f"$JS.API.STREAM.UPDATE.{stream}"] = _wipe(stream)
        attempts[f"$JS.API.STREAM.PURGE.{stream}"] = b""
        attempts[f"$JS.API.STREAM.DELETE.{stream}"] = b""
    attempts["$JS.API.STREAM.CREATE.AMV_SNOOP"] = json.dumps({"name": "AMV_SNOOP", "subjects": ["amv.>"]}).encode()
    attempts["$JS.API.STREAM.MSG.DELETE.AMV_EVENTS"] = json.dumps({"seq": 1}).encode()
    # consumers with another filter: a durable of its own rewritten, a new durable, a named snoop
    for spec in bootstrap_consumers():
        if spec.service == login or login == natsauth.OPS_USER:
            attempts[f"$JS.API.CONSUMER.CREATE.{spec.stream}.{spec.durable}"] = _consumer(spec.stream, "amv.>", name=spec.durable)
            attempts[f"$JS.API.CONSUMER.DURABLE.CREATE.{spec.stream}.{spec.durable}"] = _consumer(
                spec.stream, "amv.>", durable_name=spec.durable)
            attempts[f"$JS.API.CONSUMER.DELETE.{spec.stream}.{spec.durable}"] = b""
    attempts["$JS.API.CONSUMER.CREATE.AMV_EVENTS.snoop.amv.events.>"] = _consumer("AMV_EVENTS", "amv.events.>", name="snoop")
    attempts["$JS.API.CONSUMER.DURABLE.CREATE.AMV_INBOX.snoop"] = _consumer("AMV_INBOX", "amv.inbox.>", durable_name="snoop")
    if login != natsauth.OPS_USER:  # ops reads every stream with ordered consumers (overdracht replay, cases)
        attempts["$JS.API.CONSUMER.CREATE.AMV_INBOX"] = _consumer("AMV_INBOX", "amv.inbox.>")
        attempts["$JS.API.CONSUMER.CREATE.AMV_REJECTED"] = _consumer("AMV_REJECTED", "amv.rejected.>")
    # key-value records elsewhere: another service's parked case, another bucket
    if login != natsauth.OPS_USER:  # ops retries parked cases: a delete marker, which is a put too
        attempts[f"{provision.PARKED_SUBJECT_PREFIX}{other}.case-x"] = b"{}"
    attempts["$KV.AMV_SNOOP.case-x"] = b"{}"
    attempts[f"$JS.API.STREAM.MSG.DELETE.{provision.PARKED_STREAM}"] = json.dumps({"seq": 1}).encode()
    if login in ("guardianship", "housing", "notify"):  # stores no personal field: no case key to write
        attempts[f"{provision.KEYS_SUBJECT_PREFIX}case-x"] = b"forged key"
    # replies inside the system's account: another login's reply inbox
    for victim in {*natsauth.SERVICES, natsauth.OPS_USER, natsauth.PROVISIONER_USER} - {login}:
        attempts[f"{natsauth.inbox_prefix(victim)}.forged"] = b"{}"
    return attempts


async def _state(server: AuthServer) -> dict:
    """Every stream's configuration and message count, and every durable consumer's filters."""
    ops = await connect_as(server, natsauth.OPS_USER)
    js = ops.nc.jetstream()
    try:
        streams = {}
        for name in STREAMS:
            info = await js.stream_info(name)
            streams[name] = (info.config.max_age, info.config.subjects, info.state.messages)
        durables = {}
        for spec in bootstrap_consumers():
            config = (await js.consumer_info(spec.stream, spec.durable)).config
            durables[spec.durable] = (config.filter_subject, config.filter_subjects, config.max_deliver)
        names = {s.config.name for s in await js.streams_info()}
        return {"streams": streams, "durables": durables, "names": names}
    finally:
        await ops.nc.close()


@pytest.mark.parametrize("login", LOGINS)
async def test_no_service_and_not_ops_may_change_a_stream_a_consumer_a_key_or_a_reply(provisioned, login) -> None:
    before = await _state(provisioned)
    client = await connect_as(provisioned, login)
    try:
        attempts = admin_attempts(login)
        for subject, body in attempts.items():
            await client.nc.publish(subject, body, reply=f"{natsauth.inbox_prefix(login)}.attempt")
        refused = [subject for subject in attempts if await client.denied("publish", subject, timeout_s=0.5)]
        assert sorted(set(attempts) - set(refused)) == []
    finally:
        await client.nc.close()
    assert await _state(provisioned) == before


@pytest.mark.parametrize("login", LOGINS)
async def test_nobody_subscribes_to_another_logins_reply_inbox(provisioned, login) -> None:
    client = await connect_as(provisioned, login)
    victims = sorted({*natsauth.SERVICES, natsauth.OPS_USER, natsauth.PROVISIONER_USER} - {login})
    try:
        for victim in victims:
            await client.nc.subscribe(f"{natsauth.inbox_prefix(victim)}.>")
            assert await client.denied("subscription", f"{natsauth.inbox_prefix(victim)}.>"), victim
    finally:
        await client.nc.close()


async def test_the_provisioner_creates_and_updates_but_deletes_purges_publishes_and_reads_nothing(provisioned) -> None:
    before = await _state(provisioned)
    client = await connect_as(provisioned, natsauth.PROVISIONER_USER)
    try:
        await provision.provision_system(client.nc.jetstream(), [decider_of(s) for s in natsauth.SERVICES])  # idempotent
        forbidden = [
            "$JS.API.STREAM.PURGE.AMV_EVENTS",
            "$JS.API.STREAM.DELETE.AMV_INBOX",
            "$JS.API.STREAM.MSG.DELETE.KV_AMV_CASE_KEYS",
            "$JS.API.CONSUMER.DELETE.AMV_INBOX.intake-inbox",
            "$JS.API.CONSUMER.CREATE.AMV_EVENTS",  # an ordered consumer: it reads nothing
            "$JS.API.CONSUMER.CREATE.AMV_EVENTS.snoop.amv.events.>",
            "$JS.API.DIRECT.GET.AMV_EVENTS",
            subjects.event("intake", "case-x", "ResidencePermitGranted"),
            subjects.inbox("nidos", "ResidencePermitGranted"),
            subjects.CLOCK_DAY,
            f"{provision.KEYS_SUBJECT_PREFIX}case-x",
        ]
        for subject in forbidden:
            await client.nc.publish(subject, b"{}")
            assert await client.denied("publish", subject), subject
        await client.nc.subscribe(subjects.ALL)
        assert await client.denied("subscription", subjects.ALL)
    finally:
        await client.nc.close()
    assert await _state(provisioned) == before


async def test_ops_reads_streams_and_consumers_with_ordered_consumers_but_the_server_keeps_them_ephemeral(provisioned) -> None:
    """ops keeps `$JS.API.CONSUMER.CREATE.<stream>` for the ordered consumers of its commands: the
    server refuses a durable there, so ops cannot leave a consumer of its own behind."""
    ops = await connect_as(provisioned, natsauth.OPS_USER)
    try:
        js = ops.nc.jetstream()
        assert (await js.stream_info("AMV_EVENTS")).config.deny_delete
        assert (await js.consumer_info("AMV_INBOX", "intake-inbox")).config.durable_name == "intake-inbox"
        answer = json.loads((await ops.nc.request(
            "$JS.API.CONSUMER.CREATE.AMV_INBOX", _consumer("AMV_INBOX", "amv.inbox.>", durable_name="ops-snoop"), timeout=2)).data)
        assert answer["error"]["err_code"] == 10020  # "consumer expected to be ephemeral but a durable name was set"
        with pytest.raises(nats.js.errors.NotFoundError):
            await js.consumer_info("AMV_INBOX", "ops-snoop")
    finally:
        await ops.nc.close()


async def test_a_service_started_before_provisioning_waits_not_ready_and_creates_nothing() -> None:
    with auth_server() as server:
        settings = Settings(nats_url=server.url, ack_wait_s=2.0, http_port=0, metrics_port=0)
        runtime = SERVICE_CLASSES["guardianship"](settings)
        nc = await nats.connect(server.url, **server.auth.connect_options("guardianship"))
        starting = asyncio.create_task(runtime.start(nc))
        try:
            await asyncio.sleep(2.0)
            assert not starting.done() and getattr(runtime, "projection", None) is None  # /readyz: "not started"
            ops = await connect_as(server, natsauth.OPS_USER)
            assert [s.config.name for s in await ops.nc.jetstream().streams_info()] == []
            await ops.nc.close()
            await provision_as_provisioner(server, ack_wait_s=2.0)
            await asyncio.wait_for(starting, 30)
            assert runtime.projection is not None
            assert server.violations() == []  # it never even tried to create a stream or a consumer
        finally:
            if not starting.done():
                starting.cancel()
            else:
                await runtime.stop()
            await nc.close()


async def test_a_durable_rewritten_through_an_ordered_consumer_request_keeps_its_service_waiting_until_provisioned_again(
    provisioned,
) -> None:
    """What NATS permissions cannot express: `$JS.API.CONSUMER.CREATE.<stream>` (an ordered consumer,
    which a service's read model needs on AMV_EVENTS) carries the consumer's name in its body, so a
    login allowed it can name another's durable there and change its filters. The service then
    refuses to bind to it (it waits, not ready) until the provisioner restores it."""
    intake = await connect_as(provisioned, "intake")
    guardianship = await connect_as(provisioned, "guardianship")
    decider = decider_of("guardianship")
    try:
        body = _consumer("AMV_EVENTS", "amv.events.>", name="guardianship-reactions")
        answer = json.loads((await intake.nc.request("$JS.API.CONSUMER.CREATE.AMV_EVENTS", body, timeout=2)).data)
        assert "error" not in answer, answer  # accepted by the server: documented in deploy/nats/README.md
        missing = await provision.missing_consumers(guardianship.nc.jetstream(), decider)
        assert missing == ["AMV_EVENTS/guardianship-reactions (filters differ from its declaration)"]
        await provision_as_provisioner(provisioned)
        assert await provision.missing_consumers(guardianship.nc.jetstream(), decider) == []
    finally:
        await intake.nc.close()
        await guardianship.nc.close()


async def _overdracht_as_ops(server: AuthServer, metrics_base: int, *args: str) -> tuple[int, str]:
    """`overdracht ARGS` as its own process, logged in as ops the way docs/operations.md says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NATS_", "WO_"))}
    env.update(NATS_URL=server.url, NATS_USER=natsauth.OPS_USER, NATS_PASSWORD=server.auth.passwords[natsauth.OPS_USER],
               WO_METRICS_PORT=str(metrics_base))
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "ops.cli", *args, "--json", cwd=REPO, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode()


async def test_ops_runs_the_documented_commands_with_its_own_login_without_a_violation() -> None:
    """The operator's commands (docs/cli.md) against the four services running as their own users:
    each does its work, and nats-server logs no violation of ops (nor of anyone)."""
    with auth_server() as server:
        await provision_as_provisioner(server, ack_wait_s=2.0)
        base, running = free_port_block(), []
        try:
            for index, name in enumerate(natsauth.SERVICES):
                settings = Settings(nats_url=server.url, ack_wait_s=2.0, http_port=0, metrics_port=base + index)
                runtime = SERVICE_CLASSES[name](settings)
                nc = await nats.connect(server.url, **server.auth.connect_options(name))
                await runtime.start(nc)
                running.append((runtime, nc))
            nidos = await connect_as(server, "nidos")
            case_id = new_case_id()
            permit = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}
            await nidos.nc.publish(subjects.inbox("nidos", "ResidencePermitGranted"),
                                   json.dumps(envelope("nidos", "ResidencePermitGranted", case_id, permit)).encode())
            await nidos.nc.close()
            ops = await connect_as(server, natsauth.OPS_USER)
            await eventually(lambda: _stored(ops, case_id), 20, "the report stored")
            await ops.nc.close()
            expected = {  # command -> the exit codes docs/cli.md gives it here
                ("status",): {0, 1},
                ("timeline", case_id): {0},
                ("tasks", "--org", "gm0855"): {0},
                ("day", "2026-03-02"): {0},
                ("replay", "intake"): {0},
                ("rejected", "list"): {0},
                ("dead-letters", "list"): {0},
                ("parked", "list"): {0},
                ("erase", case_id, "--yes"): {0},
            }
            for command, codes in expected.items():
                code, out = await _overdracht_as_ops(server, base, *command)
                assert code in codes, (command, code, out[-2000:])
            assert server.violations() == []
        finally:
            for runtime, nc in running:
                await runtime.stop()
                await nc.close()


async def _stored(ops, case_id: str) -> bool:
    info = await ops.nc.jetstream().stream_info("AMV_EVENTS", subjects_filter=f"amv.events.intake.{case_id}.>")
    return bool(info.state.subjects)
