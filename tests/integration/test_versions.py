"""Event versions against the real event store: a stored HousingAssigned v1 loads as v2, and the
running system takes v1 reports (inside the deprecation window) and v2 reports alike."""

import json
from datetime import UTC, datetime

import nats
import pytest

from contracts.envelope import CloudEvent
from contracts.events import HousingAssigned, data_of
from contracts.versions import HousingAssignedV1
from tests.support.casefold import fold
from services.housing import state as housing_state
from services.runtime import provision
from services.runtime.eventstore import EventStore, read_stream
from tests.support.partner import envelope, eventually, new_case_id, publish, publish_raw
from tests.support.system import RunningSystem

pytestmark = pytest.mark.integration

PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}


@pytest.fixture
async def nc(broker_url):
    client = await nats.connect(broker_url)
    yield client
    await client.close()


async def test_a_stored_v1_event_loads_as_v2_through_the_event_store(nc) -> None:
    await provision.provision_streams(nc.jetstream())
    store = EventStore(nc)
    case_id = new_case_id()
    stored_v1 = CloudEvent(
        id=f"{case_id}-housed",
        source="urn:nld:warmeoverdracht:org:gm0855",
        type=HousingAssignedV1.type_name(),
        subject=case_id,
        time=datetime(2026, 11, 16, 9, tzinfo=UTC),
        data=HousingAssignedV1(municipality="GM0855", housing="family-home", housed_on="2026-11-16").model_dump(mode="json"),
    )
    assert stored_v1.type == "nl.warmeoverdracht.HousingAssigned.v1"
    await store.append("housing", case_id, [stored_v1], expected_version=0)

    [loaded] = (await store.load_case("housing", case_id)).events
    assert loaded == stored_v1  # the store keeps what was stored: never rewritten
    event = data_of(loaded)
    assert type(event) is HousingAssigned and HousingAssigned.version == 2
    assert event == HousingAssigned(municipality="GM0855", housing="family-home", housed_on="2026-11-16")
    assert fold(housing_state, case_id, [loaded]).in_permanent_family_home


async def _housing_events(nc, case_id: str) -> list[dict]:
    return [json.loads(m.data) for m in await read_stream(nc, "AMV_EVENTS", f"amv.events.housing.{case_id}.>")]


async def test_the_running_system_takes_v1_and_v2_reports_and_decides_on_v2(broker_url, nc) -> None:
    system = await RunningSystem(broker_url, ack_wait_s=2.0).start()
    try:
        v1_case, v2_case = new_case_id(), new_case_id()
        for case_id in (v1_case, v2_case):
            await publish(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)

        v1 = envelope("gm0855", "HousingAssigned", v1_case, {"municipality": "GM0855", "housing": "family-home",
                                                               "housed_on": "2026-11-16"})
        v1["type"] = "nl.warmeoverdracht.HousingAssigned.v1"
        await publish_raw(nc, "amv.inbox.gm0855.HousingAssigned", json.dumps(v1).encode())

        for housing, housed_on in (("temporary-family-home", "2026-11-16"), ("family-home", "2026-12-01")):
            v2 = envelope("gm0855", "HousingAssigned", v2_case, {"municipality": "GM0855", "housing": housing,
                                                                   "housed_on": housed_on})
            v2["type"] = "nl.warmeoverdracht.HousingAssigned.v2"
            await publish_raw(nc, "amv.inbox.gm0855.HousingAssigned", json.dumps(v2).encode())

        v1_stored = await eventually(lambda: _housing_events(nc, v1_case), what="the v1 report stored")
        assert [e["type"].rsplit(".", 2)[1:] for e in v1_stored] == [
            ["HousingAssigned", "v1"], ["CohabitationDutyStarted", "v1"]
        ]  # kept as sent; the rules decided on it read as v2

        async def both_homes():
            events = await _housing_events(nc, v2_case)
            return events if len([e for e in events if e["type"].endswith("HousingAssigned.v2")]) == 2 else None

        v2_stored = await eventually(both_homes, what="the temporary and the permanent home stored")
        assert [e["data"]["housing"] for e in v2_stored if "HousingAssigned" in e["type"]] == [
            "temporary-family-home", "family-home"
        ]
        duty = [e["data"] for e in v2_stored if e["type"].endswith("CohabitationDutyStarted.v1")]
        assert duty == [{"starts_on": "2026-11-16", "ends_on": "2027-11-16"}]  # the temporary home started it, once
    finally:
        await system.stop()
