"""Issue 15, points 5 and 6, through the real inbox and NATS: the owner and the requester of a task
each receive every change of it, on amv.tasks.<org>.<Type> and by signed webhook (only the changes
a subscription chose); an overdue task is escalated to the owner's own coordinator in the
coordinator's name, and that escalation resolves itself when the task is accepted.

Its own municipality (GM0034) in its own directory, so no other test's tasks reach its receivers."""

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from ops.quiesce import wait_until_idle
from services.runtime.directory import DEFAULT_PATH
from services.runtime.eventstore import read_stream
from tests.integration.test_webhooks import FAST_RETRIES, consumer_done, nc, secret  # noqa: F401 - nc: fixture
from tests.support.partner import eventually, new_case_id, publish, report, start_day, tasks_of_case
from tests.support.system import RunningSystem
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.integration

CODE, MUNICIPALITY, VWN, REGIE = "GM0034", "gm0034", "vwn-gm0034", "regie-gm0034"
CHANGES = ["TaskOpened", "TaskOverdueNotice", "TaskEscalatedNotice", "TaskAcceptedNotice", "TaskStartedNotice",
           "TaskCompletedNotice"]


def directory_file(tmp_path: Path, channels: dict[str, list[dict]]) -> Path:
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    raw["municipalities"][CODE] = {
        "name": "Almere", "municipality": MUNICIPALITY, "coordinator": REGIE, "district_team": f"wijkteam-{MUNICIPALITY}",
        "vwn": VWN, "rmc": f"rmc-{MUNICIPALITY}",
    }
    raw["channels"] = channels
    path = tmp_path / "organisations.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def hook(name: str, receiver: Receiver, variable: str, **subscription) -> dict:
    return {"type": "webhook", "name": name, "url": receiver.url, "secret_env": variable, **subscription}


async def messages(nc, org: str, case_id: str) -> list[dict]:
    """Every message on amv.tasks.<org>.> about the case, in order, with its subject's type."""
    found = []
    for m in await read_stream(nc, "AMV_TASKS", f"amv.tasks.{org}.>"):
        body = json.loads(m.data)
        if body["subject"] == case_id:
            found.append(body | {"subject_type": m.subject.split(".")[3]})
    return found


def about(found: list[dict], task_id: str) -> list[str]:
    return [m["subject_type"] for m in found if m["data"]["task_id"] == task_id]


async def test_owner_and_requester_hear_every_change_and_an_accepted_tasks_escalation_resolves(
    broker_url, nc, tmp_path, monkeypatch
) -> None:
    keys = {org: secret() for org in (MUNICIPALITY, VWN)}
    municipality, vwn, opened_only = Receiver(keys[MUNICIPALITY]), Receiver(keys[VWN]), Receiver(keys[MUNICIPALITY])
    monkeypatch.setenv("WO_TEST_HOOK_SECRET_GM0034", keys[MUNICIPALITY])
    monkeypatch.setenv("WO_TEST_HOOK_SECRET_VWN_GM0034", keys[VWN])
    path = directory_file(tmp_path, {
        MUNICIPALITY: [hook("zaaksysteem", municipality, "WO_TEST_HOOK_SECRET_GM0034"),
                       hook("new-tasks", opened_only, "WO_TEST_HOOK_SECRET_GM0034", changes=["opened"], roles=["owner"])],
        VWN: [hook("begeleiding", vwn, "WO_TEST_HOOK_SECRET_VWN_GM0034")],
    })
    system = await RunningSystem(broker_url, directory=str(path), webhook_max_attempts=6, **FAST_RETRIES).start()
    try:
        case_id = new_case_id()
        await publish(nc, "nidos", "ResidencePermitGranted", case_id,
                      {"date_of_birth": "2011-03-01", "municipality": CODE, "permit_date": "2026-10-01"})
        await publish(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-10-15"})
        await publish(nc, "ind", "ApplicationDecided", case_id, {"decision": "approved", "decided_on": "2026-11-01"})
        await report(nc, "coa", "ParentsArrived", case_id, {"arrival_date": "2026-11-20", "municipality": CODE})
        [guidance] = await tasks_of_case(nc, VWN, case_id, "social-guidance-parents")
        task_id = guidance["data"]["task_id"]
        assert guidance["data"]["requester"] == MUNICIPALITY

        # overdue: noted, and escalated to VluchtelingenWerk's own coordinator, in the coordinator's name
        await start_day(nc, date(2028, 1, 3))
        await wait_until_idle(nc)
        [escalation] = [t for t in await tasks_of_case(nc, VWN, case_id, "escalation") if t["data"]["escalates"] == task_id]
        assert (escalation["data"]["requester"], escalation["data"]["escalation_step"]) == (REGIE, "own-coordinator")

        await report(nc, VWN, "TaskAccepted", case_id, {"task_id": task_id})
        await report(nc, VWN, "TaskStarted", case_id, {"task_id": task_id})
        await report(nc, VWN, "TaskCompleted", case_id, {"task_id": task_id})

        # the municipality declines one of Nidos' tasks and Nidos withdraws the other: both hear both
        [housing] = await tasks_of_case(nc, MUNICIPALITY, case_id, "plan-family-housing")
        [meeting] = await tasks_of_case(nc, MUNICIPALITY, case_id, "plan-transition-meeting")
        await report(nc, MUNICIPALITY, "TaskDeclined", case_id, {"task_id": housing["data"]["task_id"], "reason": "no homes"})
        await report(nc, "nidos", "TaskCancelled", case_id, {"task_id": meeting["data"]["task_id"], "reason": "held already"})
        for org in (MUNICIPALITY, "nidos"):
            found = await messages(nc, org, case_id)
            assert about(found, housing["data"]["task_id"])[-1] == "TaskDeclinedNotice"
            assert about(found, meeting["data"]["task_id"])[-1] == "TaskCancelledNotice"

        to_owner, to_requester = await messages(nc, VWN, case_id), await messages(nc, MUNICIPALITY, case_id)
        assert about(to_owner, task_id) == CHANGES
        assert about(to_requester, task_id) == ["TaskOpenedNotice", *CHANGES[1:]]
        [escalated] = [m["data"] for m in to_requester if m["subject_type"] == "TaskEscalatedNotice" and m["data"]["task_id"] == task_id]
        assert (escalated["escalated_to"], escalated["escalation_id"]) == (VWN, escalation["data"]["task_id"])

        # the escalation resolved itself when the task was accepted: completed, told to its owner and to regie
        escalation_id = escalation["data"]["task_id"]
        assert about(to_owner, escalation_id) == ["TaskOpened", "TaskCompletedNotice"]
        assert about(await messages(nc, REGIE, case_id), escalation_id) == ["TaskOpenedNotice", "TaskCompletedNotice"]
        [resolved] = [m["data"] for m in to_owner if m["data"]["task_id"] == escalation_id and m["subject_type"] == "TaskCompletedNotice"]
        assert resolved["status"] == "completed" and resolved["reason"].startswith("resolved: the escalated task was accepted")

        # by webhook: each organisation received exactly what NATS holds for it, signed, once
        for receiver, found in ((vwn, to_owner), (municipality, to_requester)):
            by_id = {m["id"]: m for m in found}
            await eventually(lambda: _received(receiver, set(by_id)), what="every message by webhook")
            for call in receiver.calls:
                assert call.verified and call.headers["webhook-id"] in by_id
                body = json.loads(call.body)
                assert body == {k: v for k, v in by_id[body["id"]].items() if k != "subject_type"}
            assert receiver.duplicates == {}
        await eventually(lambda: consumer_done(nc, "notify-webhooks", "AMV_TASKS"), what="every message acknowledged")
        kinds = {json.loads(call.body)["type"].split(".")[2] for call in opened_only.calls}
        assert kinds == {"TaskOpened"}, "a subscription to 'opened' as owner gets only the tasks the organisation owns"
    finally:
        await system.stop()
        for receiver in (municipality, vwn, opened_only):
            receiver.stop()


async def _received(receiver: Receiver, ids: set[str]) -> bool:
    return ids <= set(receiver.accepted)
