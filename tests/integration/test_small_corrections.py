"""Issue 15, point 8, through the inbox of a running system (real NATS): the move handover asked by
COA from reception and by Nidos after it; no petition left open at 18; VluchtelingenWerk "en/of" the
district team (§4.2)."""

from datetime import date

import pytest

from ops.quiesce import wait_until_idle
from tests.support.fixtures import nc, system  # noqa: F401 - fixtures
from tests.support.partner import case_events, new_case_id, report, start_day, tasks_of_case

pytestmark = pytest.mark.integration


async def day(nc, when: str) -> None:
    await start_day(nc, date.fromisoformat(when))
    await wait_until_idle(nc)


def of_type(events: list[dict], name: str) -> list[dict]:
    return [e["data"] for e in events if e["type"].split(".")[2] == name]


async def arrived(nc, case_id: str, born: str, municipality: str = "GM0855") -> None:
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": born, "municipality": municipality, "permit_date": "2026-01-05"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-01-20"})
    await report(nc, "ind", "ApplicationDecided", case_id, {"decision": "approved", "decided_on": "2026-04-01"})
    await report(nc, "coa", "ParentsArrived", case_id, {"arrival_date": "2026-05-04", "municipality": municipality})


async def test_the_move_handovers_are_asked_by_coa_from_reception_then_by_nidos(system, nc) -> None:  # noqa: F811
    case_id = new_case_id()
    await arrived(nc, case_id, "2010-03-01")
    await report(nc, "coa", "HousingAssigned", case_id, {"municipality": "GM0855", "housing": "azc", "housed_on": "2026-05-05"})
    await report(nc, "coa", "HousingAssigned", case_id,  # from reception; GM0518 has no role in the case yet
                 {"municipality": "GM0518", "housing": "family-home", "housed_on": "2026-06-01"})
    await report(nc, "gm0518", "FamilyRelocated", case_id,
                 {"from_municipality": "GM0518", "to_municipality": "GM0344", "moved_on": "2026-09-01"})
    handovers = [h for h in of_type(await case_events(nc, case_id), "HandoffRequested") if h["kind"] == "district-team-handover"]
    assert [(h["requester"], h["owner"], h["invited"]) for h in handovers] == [
        ("coa", "wijkteam-gm0518", ["wijkteam-gm0855"]),
        ("nidos", "wijkteam-gm0344", ["wijkteam-gm0518"]),
    ]
    [task] = await tasks_of_case(nc, "wijkteam-gm0344", case_id, "district-team-handover")
    assert task["data"]["requester"] == "nidos"


async def test_an_open_petition_task_is_closed_at_18_and_none_is_opened_after(system, nc) -> None:  # noqa: F811
    almost_18, adult = new_case_id(), new_case_id()
    await arrived(nc, almost_18, "2008-07-01")  # 18 on 1 July 2026
    await arrived(nc, adult, "2008-06-01")  # 18 on 1 June 2026, before the petition is expected
    await day(nc, "2026-06-15")  # six weeks after the arrival: the petition is expected
    [task] = await tasks_of_case(nc, "nidos", almost_18, "petition-guardianship-transfer")
    assert task["data"]["due"] == "2026-06-29"
    assert await tasks_of_case(nc, "nidos", adult, "petition-guardianship-transfer") == []
    await day(nc, "2026-07-01")
    [cancelled] = of_type(await case_events(nc, almost_18), "HandoffCancelled")
    assert cancelled["handoff_id"] == task["data"]["task_id"]
    assert cancelled["reason"].startswith("the young person turned 18 on 2026-07-01")


async def test_vluchtelingenwerk_accepting_when_the_district_team_declined_ends_support_warmly(system, nc) -> None:  # noqa: F811
    case_id = new_case_id()
    await arrived(nc, case_id, "2010-03-01")
    await report(nc, "nidos", "GuardianshipTransferRequested", case_id, {"petition_filed_on": "2026-07-02"})
    [district] = await tasks_of_case(nc, "wijkteam-gm0855", case_id, "aftercare-district-team")
    [guidance] = await tasks_of_case(nc, "vwn-gm0855", case_id, "aftercare-social-guidance")
    await report(nc, "wijkteam-gm0855", "TaskDeclined", case_id,
                 {"task_id": district["data"]["task_id"], "reason": "no capacity this quarter"})
    await report(nc, "vwn-gm0855", "TaskAccepted", case_id, {"task_id": guidance["data"]["task_id"]})
    await report(nc, "nidos", "GuardianshipTransferred", case_id, {"transferred_on": "2026-09-15"})
    events = await case_events(nc, case_id)
    assert of_type(events, "SupportGapDetected") == []
    [ended] = of_type(events, "SupportEnded")
    assert (ended["reason"], ended["successor_handoff_id"]) == ("guardianship-transferred", guidance["data"]["task_id"])
