"""Authorisation by relationship through the real inbox (issue 14, point 3): for every event type a
partner can report, an organisation of a kind allowed to report it but without a role in the case
(another municipality, another VluchtelingenWerk office, another school, another RMC) is refused
`not-involved`, field `source`, on amv.rejected.<org>.<EventType>, and nothing is stored; the
organisation with the role is accepted. The table is contracts/involvement.py (docs/partners.md)."""

import json

import pytest

from contracts.events import EVENT_TYPES
from contracts.involvement import CHECKED_BY_NOTIFY, OPENS_A_CASE, ROLES, roles_for
from ops.quiesce import wait_until_idle
from services.desk import desk
from services.runtime.eventstore import read_stream
from tests.support.fixtures import nc, system  # noqa: F401 - fixtures
from tests.support.partner import envelope, new_case_id, publish, publish_raw, rejection_of, tasks_of_case

pytestmark = pytest.mark.integration

PERMIT = ("nidos", "ResidencePermitGranted", {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"})
FILED = ("nidos", "ApplicationFiled", {"filed_on": "2026-02-02"})
APPROVED = ("ind", "ApplicationDecided", {"decision": "approved", "decided_on": "2026-09-01"})
ARRIVED = ("coa", "ParentsArrived", {"arrival_date": "2026-11-02", "municipality": "GM0855"})
HOME = ("gm0855", "HousingAssigned", {"municipality": "GM0855", "housing": "family-home", "housed_on": "2026-11-16"})
ENROLLED = ("school-isk-tilburg", "EducationEnrolled", {"level": "isk", "since": "2026-02-01", "school": "school-isk-tilburg"})
PETITION = ("nidos", "GuardianshipTransferRequested", {"petition_filed_on": "2026-11-20"})
MOVE = {"from_municipality": "GM0855", "to_municipality": "GM0518", "moved_on": "2026-12-01"}

# event type -> (the case's facts before, the uninvolved report or None, the involved report)
CASES = {
    "ApplicationFiled": ([PERMIT], None, ("nidos", {"filed_on": "2026-02-02"})),
    "DnaTestOffered": ([PERMIT, FILED], None, ("ind", {"offered_on": "2026-03-01"})),
    "ApplicationDecided": ([PERMIT, FILED], None, ("ind", {"decision": "approved", "decided_on": "2026-09-01"})),
    "ParentsArrived": ([PERMIT, FILED, APPROVED], ("gm0518", {"arrival_date": "2026-11-02", "municipality": "GM0518"}),
                       ("gm0855", {"arrival_date": "2026-11-02", "municipality": "GM0855"})),
    "LanguageNeedsReported": ([PERMIT], ("vwn-gm0518", {"languages": ["ti"], "interpreter_needed": True}),
                              ("vwn-gm0855", {"languages": ["ti"], "interpreter_needed": True})),
    "GuardianAssigned": ([PERMIT], None, ("nidos", {"guardian": "nidos", "since": "2025-06-01"})),
    "EducationEnrolled": ([PERMIT], ("rmc-gm0518", {"level": "isk", "since": "2026-02-01"}),
                          ("rmc-gm0855", {"level": "isk", "since": "2026-02-01"})),
    "SchoolAbsenceReported": ([PERMIT, ENROLLED], ("school-isk-utrecht", {"reported_on": "2026-12-01", "days_absent": 6}),
                              ("school-isk-tilburg", {"reported_on": "2026-12-01", "days_absent": 6})),
    "GuardianshipTransferRequested": ([PERMIT, FILED, APPROVED, ARRIVED], None, ("nidos", {"petition_filed_on": "2026-11-20"})),
    "GuardianshipTransferred": ([PERMIT, FILED, APPROVED, ARRIVED, PETITION], None, ("nidos", {"transferred_on": "2026-12-01"})),
    "SupportExtended": ([PERMIT], ("gm0518", {"until": "2027-06-01", "by": "gm0518"}),
                        ("gm0855", {"until": "2027-06-01", "by": "gm0855"})),
    "HousingAssigned": ([PERMIT, FILED, APPROVED, ARRIVED],
                        ("gm0518", {"municipality": "GM0518", "housing": "family-home", "housed_on": "2026-11-16"}),
                        ("gm0855", {"municipality": "GM0855", "housing": "family-home", "housed_on": "2026-11-16"})),
    "FamilyRelocated": ([PERMIT, FILED, APPROVED, ARRIVED, HOME], ("gm0518", MOVE), ("gm0855", MOVE)),
}
NATIONAL = {"nidos", "ind", "coa"}  # one organisation each: of these kinds, no other one exists


def reportable() -> list[str]:
    return sorted(t for t, cls in EVENT_TYPES.items() if cls.reporters and t != OPENS_A_CASE and t not in CHECKED_BY_NOTIFY)


def test_every_reportable_event_type_has_a_case_here() -> None:
    assert sorted(CASES) == reportable()
    for event_type, (_, uninvolved, _) in CASES.items():
        if uninvolved is None:  # only Nidos or the IND may report it, and they hold their role in every case
            assert EVENT_TYPES[event_type].reporters <= NATIONAL, event_type
            assert {ROLES[r].kind for r in roles_for(event_type)} <= NATIONAL, event_type


async def case_with(nc, facts) -> str:
    case_id = new_case_id()
    for org, event_type, data in facts:
        await publish(nc, org, event_type, case_id, data)
        await wait_until_idle(nc)
    return case_id


async def stored(nc, case_id: str, event_type: str) -> list[dict]:
    events = [json.loads(m.data) for m in await read_stream(nc, "AMV_EVENTS", f"amv.events.*.{case_id}.{event_type}")]
    return events


async def refused_not_involved(nc, org: str, event_type: str, case_id: str, data: dict) -> dict[str, str]:
    body = json.dumps(envelope(org, event_type, case_id, data)).encode()
    seq = await publish_raw(nc, f"amv.inbox.{org}.{event_type}", body)
    rejection = await rejection_of(nc, seq)
    assert rejection.subject == f"amv.rejected.{org}.{event_type}"
    assert rejection.data == body
    headers = rejection.headers
    assert (headers["Wo-Error-Code"], headers["Wo-Error-Field"]) == ("not-involved", "source"), headers["Wo-Error-Reason"]
    return headers


@pytest.mark.parametrize("event_type", sorted(CASES))
async def test_an_uninvolved_organisation_is_refused_and_the_involved_one_accepted(system, nc, event_type) -> None:  # noqa: F811
    facts, uninvolved, (org, data) = CASES[event_type]
    case_id = await case_with(nc, facts)
    before = len(await stored(nc, case_id, event_type))
    if uninvolved is not None:
        other, other_data = uninvolved
        headers = await refused_not_involved(nc, other, event_type, case_id, other_data)
        reason = headers["Wo-Error-Reason"]
        assert reason.startswith(f"field 'source': has no role in this case that may report {event_type}: only ")
        assert "GM0855" not in reason and "gm0855" not in reason and "2010-05-17" not in reason
        await wait_until_idle(nc)
        assert len(await stored(nc, case_id, event_type)) == before
    await publish(nc, org, event_type, case_id, data)
    await wait_until_idle(nc)
    assert len(await stored(nc, case_id, event_type)) == before + 1, f"{org}'s {event_type} was not stored"


@pytest.mark.parametrize("org", ["nidos", "ind"])
async def test_nidos_or_the_ind_opens_a_case(system, nc, org) -> None:  # noqa: F811
    case_id = new_case_id()
    await publish(nc, org, "ResidencePermitGranted", case_id, PERMIT[2])
    await wait_until_idle(nc)
    assert len(await stored(nc, case_id, "ResidencePermitGranted")) == 1


async def test_another_municipality_cannot_take_a_case_over_by_moving_the_family_to_itself(system, nc) -> None:  # noqa: F811
    case_id = await case_with(nc, [PERMIT, FILED, APPROVED, ARRIVED, HOME])
    await refused_not_involved(nc, "gm0518", "FamilyRelocated", case_id, MOVE)
    await refused_not_involved(nc, "coa", "FamilyRelocated", case_id, MOVE)  # COA: the family has a home of its own
    await wait_until_idle(nc)
    assert await stored(nc, case_id, "FamilyRelocated") == []
    assert await tasks_of_case(nc, "wijkteam-gm0518", case_id) == []  # no handover to the would-be taker
    notify, _ = system.running["notify"]
    await notify.projection.caught_up()
    case = notify.projection.cases[case_id]  # what the desk's access check reads (services/desk/core.py)
    assert "GM0518" not in case.municipalities
    for outsider in ("regie-gm0518", "wijkteam-gm0518", "rmc-gm0518", "gm0518"):
        assert not desk.can_see_case(outsider, case), outsider
    assert desk.can_see_case("regie-gm0855", case) and desk.can_see_case("gm0855", case)


@pytest.mark.parametrize(("answer", "data", "code"), [
    ("TaskAccepted", {}, "not-owner"),
    ("TaskDeclined", {"reason": "not ours"}, "not-owner"),
    ("TaskStarted", {}, "not-owner"),
    ("TaskCompleted", {}, "not-owner"),
    ("ChecklistItemTicked", {"item": "bank account"}, "not-owner"),
    ("TaskCancelled", {"reason": "not ours"}, "not-requester"),
])
async def test_a_task_is_answered_only_by_its_owner_and_withdrawn_only_by_its_requester(system, nc, answer, data, code) -> None:  # noqa: F811
    assert answer in CHECKED_BY_NOTIFY
    case_id = await case_with(nc, [PERMIT, FILED])
    [task] = await tasks_of_case(nc, "gm0855", case_id, "plan-transition-meeting")
    body = json.dumps(envelope("gm0518", answer, case_id, {"task_id": task["data"]["task_id"], **data})).encode()
    rejection = await rejection_of(nc, await publish_raw(nc, f"amv.inbox.gm0518.{answer}", body))
    assert rejection.headers["Wo-Error-Code"] == code
