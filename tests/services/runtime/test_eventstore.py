"""The event store against a real nats-server: versions, conflicts, atomic batches, idempotency."""

import asyncio
import uuid
from datetime import UTC, datetime

import nats
import pytest

from contracts.envelope import CloudEvent
from services.runtime import provision
from services.runtime.eventstore import EventStore, VersionConflict, read_stream
from tests.support.partner import new_case_id

pytestmark = pytest.mark.integration


def event(case_id: str, n: int) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="urn:nld:warmeoverdracht:service:intake",
        type="nl.warmeoverdracht.ApplicationFiled.v1",
        subject=case_id,
        time=datetime.now(UTC),
        data={"n": n},
    )


@pytest.fixture
async def store(broker_url):
    nc = await nats.connect(broker_url)
    await provision.provision_streams(nc.jetstream())
    yield EventStore(nc)
    await nc.close()


async def test_load_of_a_new_case_is_empty_with_version_zero(store) -> None:
    history = await store.load("intake", new_case_id())
    assert (history.events, history.version) == ([], 0)


async def test_append_then_load_gives_the_events_in_order_and_the_version(store) -> None:
    case_id = new_case_id()
    first = event(case_id, 1)
    version = await store.append("intake", case_id, [first], 0)
    batch = [event(case_id, 2), event(case_id, 3), event(case_id, 4)]
    version = await store.append("intake", case_id, batch, version)
    history = await store.load("intake", case_id)
    assert [e.id for e in history.events] == [first.id] + [e.id for e in batch]
    assert history.version == version
    assert history.events[1] == batch[0]


async def test_a_stale_writer_gets_a_conflict_and_writes_nothing(store) -> None:
    case_id = new_case_id()
    await store.append("intake", case_id, [event(case_id, 1)], 0)
    with pytest.raises(VersionConflict):
        await store.append("intake", case_id, [event(case_id, 2)], 0)
    with pytest.raises(VersionConflict):
        await store.append("intake", case_id, [event(case_id, 3), event(case_id, 4)], 0)
    assert len((await store.load("intake", case_id)).events) == 1


async def test_of_two_concurrent_writers_exactly_one_wins(store) -> None:
    case_id = new_case_id()
    results = await asyncio.gather(
        *(store.append("intake", case_id, [event(case_id, n)], 0) for n in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, VersionConflict) for r in results if isinstance(r, Exception))


async def test_cases_and_services_do_not_share_versions(store) -> None:
    a, b = new_case_id(), new_case_id()
    await store.append("intake", a, [event(a, 1)], 0)
    await store.append("intake", b, [event(b, 1)], 0)  # b is still at version 0
    await store.append("housing", a, [event(a, 1)], 0)  # so is a in another service's store
    assert len((await store.load("intake", a)).events) == 1


async def test_the_same_event_id_is_stored_once(store) -> None:
    case_id = new_case_id()
    once = event(case_id, 1)
    version = await store.append("intake", case_id, [once], 0)
    assert await store.append("intake", case_id, [once], version) == version
    stored = await read_stream(store._nc, "AMV_EVENTS", f"amv.events.intake.{case_id}.>")
    assert len(stored) == 1


async def test_load_reads_more_than_one_direct_get_batch(store) -> None:
    case_id = new_case_id()
    version = 0
    for start in range(0, 1100, 100):
        version = await store.append("intake", case_id, [event(case_id, n) for n in range(start, start + 100)], version)
    history = await store.load("intake", case_id)
    assert [e.data["n"] for e in history.events] == list(range(1100))
    assert history.version == version
