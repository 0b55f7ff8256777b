"""One warm handoff end to end, driven as a partner drives it: raw nats-py in, tasks out."""

import asyncio
import json

import nats
import pytest

from services.runtime.eventstore import read_stream
from tests.support.partner import (
    eventually,
    new_case_id,
    publish,
    publish_raw,
    rejection_of,
    tasks_of_case,
)
from tests.support.system import RunningSystem

pytestmark = pytest.mark.integration

MEETING = "plan-transition-meeting"
PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}


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


async def test_a_filed_application_becomes_a_task_the_municipality_accepts(system, nc) -> None:
    case_id = new_case_id()
    live_tasks = await nc.subscribe("amv.tasks.gm0855.>")
    await publish(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
    await publish(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})

    while True:  # the task arrives live on the municipality's subject
        task = json.loads((await live_tasks.next_msg(timeout=10)).data)
        if task["subject"] == case_id and task["data"]["kind"] == "plan-transition-meeting":
            break
    assert task["type"] == "nl.warmeoverdracht.TaskOpened.v1"
    assert task["data"]["kind"] == "plan-transition-meeting"
    assert task["data"]["owner"] == "gm0855"
    assert task["data"]["due"] == "2026-03-02"

    await publish(nc, "gm0855", "TaskAccepted", case_id, {"task_id": task["data"]["task_id"]})

    async def accepted():
        stored = await read_stream(nc, "AMV_EVENTS", f"amv.events.notify.{case_id}.HandoffAccepted")
        return stored

    [accepted_event] = await eventually(accepted, what="HandoffAccepted")
    assert json.loads(accepted_event.data)["data"] == {"handoff_id": task["data"]["task_id"], "accepted_by": "gm0855"}
    intake = await read_stream(nc, "AMV_EVENTS", f"amv.events.intake.{case_id}.>")
    assert [m.subject.rsplit(".", 1)[1] for m in intake] == [
        "ResidencePermitGranted",
        "ApplicationFiled",
        "HandoffRequested",
        "HandoffRequested",
    ]


async def test_the_same_event_id_published_twice_gives_one_task(system, nc) -> None:
    case_id = new_case_id()
    await publish(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
    for _ in range(2):
        await publish(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"}, event_id=f"{case_id}-filed")
    second = await publish(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"}, event_id=f"{case_id}-filed")
    await eventually(lambda: tasks_of_case(nc, "gm0855", case_id, MEETING), what="the task")
    # wait until intake has consumed the last copy, then count
    await eventually(lambda: _consumed(nc, "intake-inbox", second), what="intake to consume every copy")
    await eventually(lambda: _consumed_all(nc, "notify-reactions"), what="notify to consume its handoffs")
    assert len(await tasks_of_case(nc, "gm0855", case_id, MEETING)) == 1
    assert len(await read_stream(nc, "AMV_EVENTS", f"amv.events.intake.{case_id}.ApplicationFiled")) == 1
    assert len(await read_stream(nc, "AMV_EVENTS", f"amv.events.notify.{case_id}.HandoffNotified")) == 2


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({k: v for k, v in PERMIT.items() if k != "date_of_birth"}, "data.date_of_birth", "data-invalid"),
        ({**PERMIT, "name": "Yonas"}, "data.name", "data-invalid"),
        ({**PERMIT, "permit_date": "2026-13-01"}, "data.permit_date", "data-invalid"),
    ],
)
async def test_an_invalid_report_lands_in_the_rejected_stream_naming_the_field(system, nc, data, field, code) -> None:
    case_id = new_case_id()
    seq = await publish(nc, "nidos", "ResidencePermitGranted", case_id, data)
    rejection = await rejection_of(nc, seq)
    assert rejection.subject == "amv.rejected.nidos.ResidencePermitGranted"
    assert rejection.headers["Wo-Error-Code"] == code
    assert rejection.headers["Wo-Error-Field"] == field
    assert field in rejection.headers["Wo-Error-Reason"]
    assert json.loads(rejection.data)["data"] == data  # the original, untouched
    assert await read_stream(nc, "AMV_EVENTS", f"amv.events.intake.{case_id}.>") == []


async def test_an_unknown_event_type_is_rejected(system, nc) -> None:
    body = json.dumps({"specversion": "1.0", "type": "nl.warmeoverdracht.ChildRenamed.v1"}).encode()
    seq = await publish_raw(nc, "amv.inbox.nidos.ChildRenamed", body)
    rejection = await rejection_of(nc, seq)
    assert rejection.subject == "amv.rejected.nidos.ChildRenamed"
    assert rejection.headers["Wo-Error-Code"] in {"unknown-event-type", "envelope-invalid"}
    assert rejection.data == body


async def test_an_application_before_the_permit_is_rejected_not_stored(system, nc) -> None:
    case_id = new_case_id()
    seq = await publish(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})
    rejection = await rejection_of(nc, seq)
    assert rejection.headers["Wo-Error-Code"] == "unknown-case"
    assert "ResidencePermitGranted" in rejection.headers["Wo-Error-Reason"]
    assert await read_stream(nc, "AMV_EVENTS", f"amv.events.intake.{case_id}.>") == []


async def test_notify_restarted_midway_neither_loses_nor_repeats_a_task(broker_url, nc) -> None:
    system = await RunningSystem(broker_url, ack_wait_s=2.0).start()
    cases = [new_case_id() for _ in range(20)]
    try:
        await system.stop("notify")
        for case_id in cases[:10]:
            await publish(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
            await publish(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})
        await system.start("notify")
        await asyncio.sleep(0.05)
        await system.stop("notify")  # stopped again while (probably) still working
        for case_id in cases[10:]:
            await publish(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
            await publish(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})
        await system.start("notify")

        async def all_delivered():
            return all([len(await tasks_of_case(nc, "gm0855", c)) == 2 for c in cases])

        await eventually(all_delivered, timeout_s=20, what="a task for every case")
        await eventually(lambda: _consumed_all(nc, "notify-reactions"), what="notify to finish")
        for case_id in cases:
            assert len(await tasks_of_case(nc, "gm0855", case_id, MEETING)) == 1, case_id
            assert len(await tasks_of_case(nc, "gm0855", case_id, "plan-family-housing")) == 1, case_id
            notified = await read_stream(nc, "AMV_EVENTS", f"amv.events.notify.{case_id}.HandoffNotified")
            assert len(notified) == 2, case_id
    finally:
        await system.stop()


async def _consumed(nc, durable: str, stream_seq: int) -> bool:
    info = await nc.jetstream().consumer_info("AMV_INBOX", durable)
    return info.ack_floor.stream_seq >= stream_seq


async def _consumed_all(nc, durable: str) -> bool:
    info = await nc.jetstream().consumer_info("AMV_EVENTS", durable)
    return info.num_pending == 0 and info.num_ack_pending == 0
