"""Privacy against the real thing: the date of birth is stored encrypted (the raw bytes in
AMV_EVENTS never hold it) while the rules still derive the 17½ and 18th birthdays from it; erasing a
case (crypto-shredding) makes it unreadable everywhere, in running services too, securely removes
the key from the bucket and from the disk, leaves every other case alone, and every service keeps
loading the erased case; the services' logs never print a personal value; and under the real NATS
permissions services read keys, only intake writes them, only ops erases them, partners see none.
"""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import nats
import nats.js.errors
import pytest

from contracts import subjects
from contracts.events import ResidencePermitGranted, data_of, report
from ops.quiesce import wait_until_idle
from services.runtime import natsauth
from services.runtime.eventstore import EventStore, read_messages
from services.runtime.natsserver import EmbeddedNats
from services.runtime.privacy import KEYRING, KEYS_BUCKET, KEYS_STREAM, KEYS_SUBJECT_PREFIX, UnknownCase, erase_case
from tests.faults.harness import ServiceProcesses
from tests.support.natsauth import auth_server, connect_as, provision_as_provisioner
from tests.support.partner import eventually, new_case_id, publish, publish_raw, start_day
from tests.support.system import RunningSystem

pytestmark = pytest.mark.integration

IDLE_TIMEOUT_S = 60.0


def permit(date_of_birth: str, municipality: str = "GM0855") -> dict:
    return {"date_of_birth": date_of_birth, "municipality": municipality, "permit_date": "2026-01-10"}


@pytest.fixture
async def nc(broker_url):
    client = await nats.connect(broker_url)
    yield client
    await client.close()


@pytest.fixture
async def system(broker_url):
    running = await RunningSystem(broker_url, ack_wait_s=2.0).start()
    yield running
    await running.stop()


async def raw_events(nc, case_id: str) -> list:
    """The case's events as stored: bytes, no key involved."""
    return await read_messages(nc, "AMV_EVENTS", subjects.case_events("*", case_id))


async def stored_types(nc, case_id: str, service: str = "*") -> list[str]:
    return [m.subject.rsplit(".", 1)[1] for m in await read_messages(nc, "AMV_EVENTS", subjects.case_events(service, case_id))]


async def permit_is_stored(nc, case_id: str) -> bool:
    return "ResidencePermitGranted" in await stored_types(nc, case_id, "intake")


# --- encrypted at rest, readable to the rules --------------------------------------------------------


async def test_the_date_of_birth_is_stored_encrypted_and_the_rules_still_derive_the_18th_birthday(system, nc) -> None:
    case_id = new_case_id()
    await publish(nc, "nidos", "ResidencePermitGranted", case_id, permit("2010-05-17"))
    await eventually(lambda: permit_is_stored(nc, case_id), 15, "the permit stored")

    stored = (await read_messages(nc, "AMV_EVENTS", subjects.event("intake", case_id, "ResidencePermitGranted")))[0]
    assert b"2010-05-17" not in stored.data
    sealed = json.loads(stored.data)["data"]
    assert set(sealed["date_of_birth"]) == {"sealed"} and sealed["municipality"] == "GM0855"
    key = await (await nc.jetstream().key_value(KEYS_BUCKET)).get(case_id)
    assert json.loads(key.value)["alg"] == "A256GCM"

    await start_day(nc, date(2027, 11, 17))  # 17½: the 18+ transition is requested
    await start_day(nc, date(2028, 5, 17))  # 18: Turned18

    async def turned_18():
        return "Turned18" in await stored_types(nc, case_id, "guardianship")

    await eventually(turned_18, 20, "guardianship derives Turned18 from the encrypted date of birth")
    turned = await read_messages(nc, "AMV_EVENTS", subjects.event("guardianship", case_id, "Turned18"))
    assert json.loads(turned[0].data)["data"]["birthday"] == "2028-05-17"
    assert "HandoffRequested" in await stored_types(nc, case_id, "guardianship")  # the 18+ transition
    assert all(b"2010-05-17" not in m.data for m in await raw_events(nc, case_id))

    history = await EventStore(nc).load_case("guardianship", case_id)
    assert data_of(history.events[0]).date_of_birth == date(2010, 5, 17)


# --- erasure -----------------------------------------------------------------------------------------


async def test_erasing_a_case_makes_its_date_of_birth_unreadable_everywhere_and_leaves_other_cases_alone(
    system, nc
) -> None:
    erased, kept = new_case_id(), new_case_id()
    await publish(nc, "nidos", "ResidencePermitGranted", erased, permit("2010-08-03"))
    await publish(nc, "nidos", "ResidencePermitGranted", kept, permit("2010-08-03"))
    for case_id in (erased, kept):
        await eventually(lambda case_id=case_id: permit_is_stored(nc, case_id), 15, "the permits stored")
    kv = await nc.jetstream().key_value(KEYS_BUCKET)
    old_revision = (await kv.get(erased)).revision

    erasure = await erase_case(nc, erased)

    assert (erasure.key_erased, erasure.events, erasure.sealed_fields, erasure.clear_fields) == (True, 1, 1, 0)
    assert erasure.inbox_copies == 1  # the partner's report, which AMV_INBOX keeps in clear until it expires
    assert any("AMV_INBOX" in line for line in erasure.lines())
    # the key is gone, its history too: only the delete marker remains, the old revision is not there
    with pytest.raises(nats.js.errors.KeyNotFoundError) as gone:
        await kv.get(erased)
    assert gone.value.op == "DEL"
    marker = await nc.jetstream().get_last_msg(KEYS_STREAM, f"{KEYS_SUBJECT_PREFIX}{erased}")
    assert not marker.data and marker.seq != old_revision
    with pytest.raises(nats.js.errors.NotFoundError):
        await nc.jetstream().get_msg(KEYS_STREAM, old_revision)
    assert (await kv.get(kept)).value  # another case keeps its key

    # raw and decoded, in every service: the date of birth is no more; the rest of the case is
    assert all(b"2010-08-03" not in m.data for m in await raw_events(nc, erased))
    for name, (runtime, _) in system.running.items():
        history = await runtime.store.load_case(name, erased)
        assert data_of(history.events[0]).date_of_birth is None, name
        assert data_of(history.events[0]).municipality == "GM0855"
        folded = runtime.decider.replay(erased, history.events)  # every service still loads the case
        assert folded is not None
        other = await runtime.store.load_case(name, kept)
        assert data_of(other.events[0]).date_of_birth == date(2010, 8, 3), name

    # the days of the birthdays come: the kept case gets its 18+ transition and turns 18, the erased one nothing
    dead_letters_before = len(await read_messages(nc, "AMV_REJECTED", "amv.deadletter.>"))
    for day in (date(2028, 2, 3), date(2028, 8, 3)):
        await start_day(nc, day)

    async def kept_turned_18():
        return "Turned18" in await stored_types(nc, kept, "guardianship")

    await eventually(kept_turned_18, 20, "the kept case turns 18")
    await wait_until_idle(nc, IDLE_TIMEOUT_S)
    assert await stored_types(nc, erased, "guardianship") == []  # no 18+ transition, no Turned18
    assert "FilingDeadlineMissed" in await stored_types(nc, erased, "intake")  # its other rules still run
    assert len(await read_messages(nc, "AMV_REJECTED", "amv.deadletter.>")) == dead_letters_before

    again = await erase_case(nc, erased)  # erasing twice is harmless and says there was no key left
    assert (again.key_erased, again.sealed_fields) == (False, 1)
    with pytest.raises(UnknownCase):
        await erase_case(nc, new_case_id())


async def test_the_key_bytes_are_overwritten_on_disk_not_only_marked_deleted(tmp_path) -> None:
    """A key-value delete or purge leaves the key in the stream's block file; erase_case overwrites it."""
    store = tmp_path / "store"
    with EmbeddedNats(store) as server:
        client = await nats.connect(server.url)
        try:
            running = await RunningSystem(server.url, ack_wait_s=2.0).start("intake")
            try:
                case_id = new_case_id()
                await publish(client, "nidos", "ResidencePermitGranted", case_id, permit("2010-05-17"))
                await eventually(lambda: permit_is_stored(client, case_id), 15, "the permit stored")
            finally:
                await running.stop()
            secret = json.loads((await (await client.jetstream().key_value(KEYS_BUCKET)).get(case_id)).value)["k"]
            assert files_holding(store, secret.encode())  # the test can see a key on disk

            await erase_case(client, case_id)
        finally:
            await client.close()
    assert files_holding(store, secret.encode()) == []


def files_holding(directory: Path, needle: bytes) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file() and needle in path.read_bytes()]


# --- a full run through the real service processes ---------------------------------------------------


PERSONAL_VALUES = ("2010-05-17", "2010-08-03", "17-05-2010", "Amanuel", "Tesfay", "123456782")


async def test_real_service_processes_never_log_a_personal_value_and_an_erasure_reaches_them_while_they_run(
    tmp_path,
) -> None:
    with EmbeddedNats(tmp_path / "store") as server:
        processes = ServiceProcesses(server.url, tmp_path / "logs")
        nc = await nats.connect(server.url)
        try:
            processes.start()
            await processes.wait_started()
            lives, erased = new_case_id(), new_case_id()
            for case_id, born in ((lives, "2010-05-17"), (erased, "2010-08-03")):
                await publish(nc, "nidos", "ResidencePermitGranted", case_id, permit(born))
                await publish(nc, "nidos", "GuardianAssigned", case_id, {"guardian": "nidos", "since": "2025-06-01"})
            await publish(nc, "nidos", "ApplicationFiled", lives, {"filed_on": "2026-02-02"})
            # reports a partner should never send: a name and a BSN, a date of birth in another
            # format, a BSN as the case id; all refused, and none of these values may reach a log
            await publish(nc, "nidos", "ResidencePermitGranted", new_case_id(),
                          {**permit("2010-05-17"), "name": "Amanuel Tesfay", "bsn": "123456782"})
            await publish(nc, "nidos", "ResidencePermitGranted", new_case_id(), permit("17-05-2010"))
            await publish(nc, "nidos", "ResidencePermitGranted", "123456782", permit("2010-05-17"))
            await wait_until_idle(nc, IDLE_TIMEOUT_S)
            assert len(await read_messages(nc, "AMV_REJECTED", "amv.rejected.>")) == 3
            assert await stored_types(nc, erased, "guardianship") == ["GuardianAssigned"]  # guardianship has its key

            kv = await nc.jetstream().key_value(KEYS_BUCKET)
            secret = json.loads((await kv.get(erased)).value)["k"].encode()
            assert files_holding(tmp_path / "store", secret)

            erasure = await erase_case(nc, erased)  # from this process: the services hold the key in theirs
            assert erasure.key_erased and erasure.sealed_fields == 1
            assert files_holding(tmp_path / "store", secret) == []

            # the running services had the erased case's key; its birthdays must pass unnoticed now
            for day in (date(2027, 11, 17), date(2028, 2, 3), date(2028, 5, 17), date(2028, 8, 3)):
                await start_day(nc, day)
                await wait_until_idle(nc, IDLE_TIMEOUT_S)
            assert {"HandoffRequested", "Turned18"} <= set(await stored_types(nc, lives, "guardianship"))
            assert await stored_types(nc, erased, "guardianship") == ["GuardianAssigned"]

            # every service still loads the erased case and decides on it (facts dated by the day
            # they are received: the inbox refuses a date after it, contracts/bounds.py)
            received = datetime.now(UTC).date().isoformat()
            await publish(nc, "nidos", "ApplicationFiled", erased, {"filed_on": "2026-02-03"})
            await publish(nc, "school-isk-tilburg", "EducationEnrolled", erased,
                          {"level": "isk", "since": received, "school": "school-isk-tilburg"})
            await publish(nc, "gm0855", "HousingAssigned", erased,
                          {"municipality": "GM0855", "housing": "family-home", "housed_on": received})
            await wait_until_idle(nc, IDLE_TIMEOUT_S)
            after = await stored_types(nc, erased)
            assert {"ApplicationFiled", "EducationEnrolled", "HousingAssigned"} <= set(after), after
            assert processes.errors() == {}
        finally:
            processes.stop()
            await nc.close()

    logs = {path.name: path.read_text() for path in (tmp_path / "logs").glob("*.log")}
    assert len(logs) == 4 and all(f'"case_id": "{lives}"' in text for name, text in logs.items() if name != "housing.log")
    for name, text in logs.items():
        for line in text.splitlines():
            leaked = [value for value in PERSONAL_VALUES if value in line]
            assert not leaked, f"{name} logged {leaked}: {line}"


# --- under the real NATS permissions -----------------------------------------------------------------


async def test_under_the_nats_permissions_services_read_keys_only_intake_writes_them_and_ops_erases() -> None:
    with auth_server() as server:
        await provision_as_provisioner(server)
        intake = await connect_as(server, "intake")
        guardianship = await connect_as(server, "guardianship")
        housing = await connect_as(server, "housing")
        ops = await connect_as(server, natsauth.OPS_USER)
        nidos = await connect_as(server, "nidos")
        try:
            case_id = new_case_id()
            event = report(
                ResidencePermitGranted(date_of_birth=date(2010, 5, 17), municipality="GM0855", permit_date=date(2026, 1, 10)),
                case_id, "nidos", f"{case_id}-permit", datetime(2026, 1, 10, 9, tzinfo=UTC),
            )
            await EventStore(intake.nc).append("intake", case_id, [event], 0)  # intake makes the key

            KEYRING.forget(case_id)  # as in guardianship's own process: nothing cached yet
            history = await EventStore(guardianship.nc).load_case("guardianship", case_id)
            assert data_of(history.events[0]).date_of_birth == date(2010, 5, 17)

            for client, subject in ((housing, f"{KEYS_SUBJECT_PREFIX}{case_id}"),
                                    (nidos, f"$JS.API.DIRECT.GET.{KEYS_STREAM}.{KEYS_SUBJECT_PREFIX}{case_id}"),
                                    (ops, "$JS.API.STREAM.MSG.DELETE.AMV_EVENTS")):
                await client.nc.publish(subject, b"{}")
                assert await client.denied("publish", subject), (client.user, subject)

            erasure = await erase_case(ops.nc, case_id)  # a secure delete of the key, then its delete marker
            assert erasure.key_erased
            KEYRING.forget(case_id)
            history = await EventStore(guardianship.nc).load_case("guardianship", case_id)
            assert data_of(history.events[0]).date_of_birth is None
            assert intake.errors == [] and guardianship.errors == []  # made, read and followed the keys
            assert len(ops.errors) == 1 and "amv_events" in ops.errors[0]  # only the refusal provoked above
        finally:
            for client in (intake, guardianship, housing, ops, nidos):
                await client.nc.close()
