"""Whole cases end to end against a real nats-server, time driven by DayStarted."""

from collections import Counter
from datetime import date

import pytest

from contracts.events import data_of
from ops.quiesce import wait_until_idle
from tests.support.casefold import fold
from services.notify import state as notify_state
from services.runtime.eventstore import decode, read_stream
from services.runtime.projection import Projection
from tests.support.fixtures import nc, system  # noqa: F401 - fixtures
from tests.support.partner import case_events, new_case_id, publish, report, start_day, tasks_of_case

pytestmark = pytest.mark.integration
d = date.fromisoformat


async def day(nc, when: str):
    await start_day(nc, d(when))
    await wait_until_idle(nc)


async def accept(nc, owner: str, case_id: str, kind: str) -> None:
    [task] = await tasks_of_case(nc, owner, case_id, kind)
    await report(nc, owner, "TaskAccepted", case_id, {"task_id": task["data"]["task_id"]})


def types(events: list[dict]) -> Counter:
    return Counter(e["type"].split(".")[2] for e in events)


async def test_a_case_from_permit_to_a_warm_18_plus_transition(system, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2008-08-01", "municipality": "GM0855", "permit_date": "2026-01-05"})
    await report(nc, "nidos", "GuardianAssigned", case_id, {"guardian": "nidos", "since": "2025-03-01"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-01-20"})
    await accept(nc, "gm0855", case_id, "plan-transition-meeting")
    await day(nc, "2026-01-31")
    assert await tasks_of_case(nc, "gm0855", case_id, "transition-18-plus") == []
    await day(nc, "2026-02-01")  # 17½: the 18+ transition is requested, with its checklist
    [transition] = await tasks_of_case(nc, "gm0855", case_id, "transition-18-plus")
    assert "digid" in transition["data"]["checklist"]
    await report(nc, "ind", "ApplicationDecided", case_id, {"decision": "approved", "decided_on": "2026-04-01"})
    await report(nc, "coa", "ParentsArrived", case_id, {"arrival_date": "2026-05-04", "municipality": "GM0855"})
    await accept(nc, "gm0855", case_id, "transition-18-plus")
    for when in ("2026-05-05", "2026-07-31", "2026-08-01", "2026-08-02"):
        await day(nc, when)

    events = await case_events(nc, case_id)
    counts = types(events)
    assert counts["Turned18"] == 1
    assert counts["SupportEnded"] == 1
    assert counts["SupportGapDetected"] == 0
    ended = next(e for e in events if e["type"].endswith("SupportEnded.v1"))
    assert ended["data"]["reason"] == "turned-18"
    assert ended["data"]["successor_handoff_id"] == transition["data"]["task_id"]
    # every handoff asked for became exactly one task for its owner
    requested = [e["data"] for e in events if e["type"].endswith("HandoffRequested.v1")]
    assert {r["kind"] for r in requested} >= {
        "plan-transition-meeting", "plan-family-housing", "transition-18-plus", "brede-intake-pip",
        "social-guidance-parents", "petition-guardianship-transfer",
    }
    for handoff in requested:
        delivered = [t for t in await tasks_of_case(nc, handoff["owner"], case_id) if t["data"]["task_id"] == handoff["handoff_id"]]
        assert len(delivered) == 1, handoff["kind"]


async def test_a_successor_who_never_accepts_is_a_gap_detected_and_escalated_once_per_step(system, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2008-09-10", "municipality": "GM0344", "permit_date": "2026-01-20"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-01"})
    for when in ("2026-03-10", "2026-06-11", "2026-06-12", "2026-09-10", "2026-09-11", "2026-09-30", "2026-10-30"):
        await day(nc, when)

    events = await case_events(nc, case_id)
    counts = types(events)
    assert counts["SupportGapDetected"] == 1
    assert counts["SupportEnded"] == 0
    escalated = [e["data"] for e in events if e["type"].endswith("HandoffEscalated.v1")]
    [transition] = await tasks_of_case(nc, "gm0344", case_id, "transition-18-plus")
    # once per step of the chain: the municipality's own coordinator, then its integral meeting (both regie-gm0344)
    steps = [e["step"] for e in escalated if e["handoff_id"] == transition["data"]["task_id"]]
    assert steps == ["own-coordinator", "integral-meeting"]
    assert len(await tasks_of_case(nc, "regie-gm0344", case_id, "support-gap")) == 1
    to_regie = [e for e in escalated if e["escalated_to"] == "regie-gm0344"]
    assert len(await tasks_of_case(nc, "regie-gm0344", case_id, "escalation")) == len(to_regie)

    # the successor accepts after all: the gap closes, once
    await accept(nc, "gm0344", case_id, "transition-18-plus")
    await day(nc, "2026-11-01")
    counts = types(await case_events(nc, case_id))
    assert (counts["SupportGapClosed"], counts["SupportEnded"], counts["SupportGapDetected"]) == (1, 1, 1)


async def test_a_report_that_overtakes_the_permit_waits_for_it_instead_of_being_rejected(system, nc) -> None:
    case_id = new_case_id()
    await publish(nc, "nidos", "GuardianAssigned", case_id, {"guardian": "nidos", "since": "2025-03-01"})
    await publish(nc, "nidos", "ResidencePermitGranted", case_id,
                  {"date_of_birth": "2010-08-01", "municipality": "GM0855", "permit_date": "2026-01-05"})
    await wait_until_idle(nc)
    assert types(await case_events(nc, case_id))["GuardianAssigned"] == 1
    rejected = [m for m in await read_stream(nc, "AMV_REJECTED", "amv.rejected.nidos.>") if case_id.encode() in m.data]
    assert rejected == []


async def test_replaying_every_event_into_fresh_read_models_gives_the_same_tasks(system, nc) -> None:
    await wait_until_idle(nc)
    fresh = Projection(nc, notify_state.empty, notify_state.apply)
    await fresh.start()
    await fresh.stop()
    live_runtime, _ = system.running["notify"]
    live = live_runtime.projection
    await live.caught_up()

    def tasks(projection) -> dict:
        return {
            (case_id, task_id): (t.kind, t.owner, t.status, t.escalated)
            for case_id, case in projection.cases.items()
            for task_id, t in case.tasks.items()
        }

    assert tasks(fresh) == tasks(live)
    assert len(tasks(fresh)) > 10
    # and every delivered task is on its owner's subject, exactly once
    delivered = Counter(decode(m.data).data["task_id"] for m in await read_stream(nc, "AMV_TASKS", "amv.tasks.*.TaskOpened"))
    notified = {task_id for (_, task_id), (_, _, status, _) in tasks(fresh).items() if status != "draft"}
    assert notified <= set(delivered)
    assert all(delivered[t] == 1 for t in notified)
    # folding a case from the store gives what the live projection holds
    some_case = next(iter(live.cases))
    stored = [decode(m.data) for m in await read_stream(nc, "AMV_EVENTS", f"amv.events.*.{some_case}.>")]
    assert fold(notify_state, some_case, stored).tasks == live.cases[some_case].tasks
    assert data_of(stored[0]) is not None
