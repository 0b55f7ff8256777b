"""The handoff desk's HTTP API against the real notify service on a real nats-server: tasks move
through the FHIR lifecycle by the organisations' own reports, refusals come back with notify's
reason, and no organisation reaches another's cases."""

import re
from datetime import date, timedelta

import httpx
import nats
import pytest

from tests.support.desk import BAD_TOKEN, TOKENS, auth, case_with_18_plus_task, day, desk_system, report, task_of
from tests.support.partner import case_events, eventually, new_case_id

pytestmark = pytest.mark.integration
CHECKLIST = [
    "income-studiefinanciering", "health-insurance-zorgtoeslag", "rent-huurtoeslag", "digid", "bank-account",
    "housing-after-18", "inburgering-status",
]


@pytest.fixture(scope="module")
async def desk(broker_url):
    async with desk_system(broker_url) as (system, url):
        yield url


@pytest.fixture
async def http(desk):
    async with httpx.AsyncClient(base_url=desk, timeout=30) as client:
        yield client


@pytest.fixture
async def nc(broker_url):
    client = await nats.connect(broker_url)
    yield client
    await client.close()


def task_path(task: dict, action: str) -> str:
    return f"/api/cases/{task['case_id']}/tasks/{task['task_id']}/{action}"


async def answer(http, org: str, task: dict, action: str, **body) -> httpx.Response:
    return await http.post(task_path(task, action), headers=auth(org), json=body or None)


async def status_of(http, org: str, task: dict) -> str:
    case = (await http.get(f"/api/cases/{task['case_id']}", headers=auth(org))).json()
    return next(t["status"] for t in case["tasks"] if t["task_id"] == task["task_id"])


async def test_the_owner_works_the_18_plus_transition_through_its_lifecycle(http, nc) -> None:
    case_id, task = await case_with_18_plus_task(nc, http)
    assert (task["status"], task["requester"], task["kind_text"]) == ("requested", "nidos", "arrange the 18+ transition")
    assert [entry["item"] for entry in task["checklist"]] == CHECKLIST
    assert task["actions"] == ["accept", "decline"]

    too_early = await answer(http, "gm0855", task, "complete")
    assert too_early.status_code == 409
    assert too_early.headers["content-type"] == "application/problem+json"  # RFC 9457, with notify's code and reason
    assert too_early.json()["type"] == "tag:warmeoverdracht.nl,2026:problem:answer-refused"
    assert too_early.json()["code"] == "illegal-transition" and too_early.json()["status"] == 409
    assert "is requested: it cannot take TaskCompleted" in too_early.json()["reason"]
    assert too_early.json()["detail"] == too_early.json()["reason"]
    assert await status_of(http, "gm0855", task) == "requested"

    accepted = await answer(http, "gm0855", task, "accept")
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["outcome"], accepted.json()["task"]["status"]) == ("recorded", "accepted")
    again = await answer(http, "gm0855", task, "accept")
    assert (again.status_code, again.json()["code"]) == (409, "illegal-transition")

    unknown_item = await http.post(task_path(task, "checklist/passport/tick"), headers=auth("gm0855"))
    assert (unknown_item.status_code, unknown_item.json()["code"]) == (422, "unknown-checklist-item")
    started = await answer(http, "gm0855", task, "start")
    assert started.json()["task"]["status"] == "in-progress"
    for item in CHECKLIST[:-1]:
        ticked = await http.post(task_path(task, f"checklist/{item}/tick"), headers=auth("gm0855"))
        assert ticked.status_code == 200, ticked.text
    open_item = await answer(http, "gm0855", task, "complete")
    assert (open_item.status_code, open_item.json()["code"]) == (409, "checklist-open")
    assert open_item.json()["reason"].endswith("checklist items still open: inburgering-status")
    await http.post(task_path(task, f"checklist/{CHECKLIST[-1]}/tick"), headers=auth("gm0855"))
    completed = await answer(http, "gm0855", task, "complete")
    assert completed.json()["task"]["status"] == "completed"
    assert all(entry["ticked"] for entry in completed.json()["task"]["checklist"])

    inbox = (await http.get("/api/tasks", headers=auth("gm0855"))).json()
    assert task["task_id"] not in [t["task_id"] for t in inbox["tasks"]]
    case = (await http.get(f"/api/cases/{case_id}", headers=auth("gm0855"))).json()
    texts = [entry["text"] for entry in case["timeline"]]
    assert texts[-1] == "gm0855 completed the task"
    assert "gm0855 ticked 'digid' on the checklist" in texts
    stored = [e["type"].split(".")[2] for e in await case_events(nc, case_id)]
    assert stored.count("ChecklistItemChecked") == len(CHECKLIST)
    assert stored.count("HandoffCompleted") == 1 and stored.count("HandoffAccepted") == 1


async def test_a_decline_needs_a_reason_and_keeps_it(http, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2011-03-03", "municipality": "GM0855", "permit_date": "2026-01-05"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-01-20"})
    task = await task_of(http, "gm0855", case_id, "plan-family-housing")
    for body in (None, {}, {"reason": "no"}):
        refused = await http.post(task_path(task, "decline"), headers=auth("gm0855"), json=body)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "tag:warmeoverdracht.nl,2026:problem:invalid-request"
        assert [e["field"] for e in refused.json()["errors"]] == ["body" if body is None else "reason"]
    assert await status_of(http, "gm0855", task) == "requested"

    declined = await answer(http, "gm0855", task, "decline", reason="no family homes free this quarter")
    assert declined.status_code == 200
    assert (declined.json()["task"]["status"], declined.json()["task"]["status_reason"]) == (
        "rejected", "no family homes free this quarter"
    )


async def test_only_the_requester_cancels_and_only_the_owner_answers(http, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2011-04-04", "municipality": "GM0855", "permit_date": "2026-01-05"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-01-20"})
    task = await task_of(http, "gm0855", case_id, "plan-transition-meeting")

    by_owner = await answer(http, "gm0855", task, "cancel", reason="we would rather not")
    assert (by_owner.status_code, by_owner.json()["code"]) == (403, "not-requester")
    by_requester = await answer(http, "nidos", task, "accept")
    assert (by_requester.status_code, by_requester.json()["code"]) == (403, "not-owner")
    nidos_inbox = (await http.get("/api/tasks", headers=auth("nidos"))).json()
    [asked] = [t for t in nidos_inbox["requested"] if t["task_id"] == task["task_id"]]
    assert asked["actions"] == ["cancel"]

    cancelled = await answer(http, "nidos", task, "cancel", reason="the family withdrew the application")
    assert cancelled.status_code == 200
    assert cancelled.json()["task"]["status"] == "cancelled"
    after = await answer(http, "gm0855", task, "accept")
    assert (after.status_code, after.json()["code"]) == (409, "illegal-transition")


async def test_overdue_tasks_come_first_and_reach_the_coordinator(http, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2011-05-05", "municipality": "GM0855", "permit_date": "2026-01-05"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-01-20"})
    meeting = await task_of(http, "gm0855", case_id, "plan-transition-meeting")
    housing = await task_of(http, "gm0855", case_id, "plan-family-housing")
    assert meeting["due"] < housing["due"]
    await day(nc, http, date.fromisoformat(meeting["due"]) + timedelta(days=1))

    inbox = (await http.get("/api/tasks", headers=auth("gm0855"))).json()
    mine = [t for t in inbox["tasks"] if t["case_id"] == case_id]
    assert [(t["kind"], t["overdue"]) for t in mine] == [("plan-transition-meeting", True), ("plan-family-housing", False)]
    overdue = [t["overdue"] for t in inbox["tasks"]]
    assert overdue == sorted(overdue, reverse=True)  # every overdue task before every other
    dues = [t["due"] for t in inbox["tasks"] if t["overdue"]]
    assert dues == sorted(dues)

    coordinator = (await http.get("/api/coordinator", headers=auth("regie-gm0855"))).json()
    [escalation] = [e for e in coordinator["escalations"] if e["case_id"] == case_id]
    assert escalation["escalated"]["task_id"] == meeting["task_id"]
    assert escalation["escalation"]["owner"] == "regie-gm0855"
    other = (await http.get("/api/coordinator", headers=auth("regie-gm0518"))).json()
    assert case_id not in [e["case_id"] for e in other["escalations"]]


async def test_a_support_gap_shows_on_the_case_and_to_the_coordinator_until_the_successor_accepts(http, nc) -> None:
    case_id, task = await case_with_18_plus_task(nc, http)
    await day(nc, http, date(2026, 8, 1))  # the 18th birthday: nobody accepted the 18+ transition

    case = (await http.get(f"/api/cases/{case_id}", headers=auth("nidos"))).json()
    assert case["responsible"]["org"] is None
    assert case["responsible"]["text"].startswith("nobody — support gap")
    assert any(e["event_type"] == "SupportGapDetected" for e in case["timeline"])
    coordinator = (await http.get("/api/coordinator", headers=auth("regie-gm0855"))).json()
    [gap] = [g for g in coordinator["gaps"] if g["case_id"] == case_id]
    assert (gap["ended_support_of"], gap["reason"], gap["gap_task"]["owner"]) == ("nidos", "turned-18", "regie-gm0855")

    assert (await answer(http, "gm0855", task, "accept")).status_code == 200

    async def gap_closed():
        case = (await http.get(f"/api/cases/{case_id}", headers=auth("nidos"))).json()
        return case["responsible"]["org"] == "gm0855" and case

    case = await eventually(gap_closed, what="the gap to close when the successor accepts")
    assert "took over from nidos" in case["responsible"]["text"]
    coordinator = (await http.get("/api/coordinator", headers=auth("regie-gm0855"))).json()
    assert case_id not in [g["case_id"] for g in coordinator["gaps"]]


# --- authorization: every route, as a stranger, without a token, with a bad token ----------------------------------


def concrete(path: str, task: dict) -> str:
    values = {"case_id": task["case_id"], "task_id": task["task_id"], "item": "digid"}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


async def test_every_api_route_refuses_strangers_missing_and_bad_tokens(http, nc) -> None:
    case_id, task = await case_with_18_plus_task(nc, http)
    routes = [
        (method.upper(), concrete(path, task))
        for path, methods in (await http.get("/openapi.json")).json()["paths"].items()
        for method in methods
    ]
    assert len(routes) == 10 and all(path.startswith("/api/") for _, path in routes)
    body = {"reason": "an attempt from elsewhere"}
    events_before = len(await case_events(nc, case_id))

    for method, path in routes:
        for headers in ({}, {"Authorization": f"Bearer {BAD_TOKEN}"}, {"Authorization": TOKENS["gm0855"]}):
            response = await http.request(method, path, headers=headers, json=body)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.headers["content-type"] == "application/problem+json"
            assert case_id not in response.text
        for stranger in ("vwn-gm0518", "regie-gm0518", "wijkteam-gm0855"):
            response = await http.request(method, path, headers=auth(stranger), json=body)
            if path in ("/api/me", "/api/tasks"):
                assert response.status_code == 200 and case_id not in response.text, (stranger, path)
            elif path == "/api/coordinator":
                expected = 200 if stranger == "regie-gm0518" else 403
                assert response.status_code == expected and case_id not in response.text, (stranger, path)
            else:
                assert response.status_code == 404, (stranger, method, path, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json() == {
                    "type": "about:blank", "title": "Not Found", "status": 404,
                    "detail": f"no case {case_id} among your cases",
                }

    assert len(await case_events(nc, case_id)) == events_before  # nothing was reported on their behalf
    assert await status_of(http, "gm0855", task) == "requested"
    assert (await http.get(f"/api/cases/{case_id}", headers=auth("regie-gm0855"))).status_code == 200


async def test_the_page_signs_in_with_a_token_escapes_what_people_typed_and_wants_its_csrf_token(http, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2011-06-06", "municipality": "GM0855", "permit_date": "2026-01-05"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-01-20"})
    task = await task_of(http, "gm0855", case_id, "plan-family-housing")
    await answer(http, "gm0855", task, "decline", reason="<script>alert('x')</script> & more")

    assert (await http.get("/inbox")).headers["location"] == "/signin"
    wrong = await http.post("/signin", data={"token": BAD_TOKEN})
    assert wrong.status_code == 401 and "Deze sleutel is niet bekend" in wrong.text
    signed_in = await http.post("/signin", data={"token": TOKENS["gm0855"]})
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = await http.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in page.text
    assert "<script>alert" not in page.text

    meeting = await task_of(http, "gm0855", case_id, "plan-transition-meeting")
    accept_form = f"/cases/{case_id}/tasks/{meeting['task_id']}/accept"
    forged = await http.post(accept_form, data={"csrf": "guessed"})
    assert forged.status_code == 403
    assert await status_of(http, "gm0855", meeting) == "requested"
    csrf = re.search(r'name="csrf" value="([^"]+)"', (await http.get(f"/cases/{case_id}")).text).group(1)
    first = await http.post(accept_form, data={"csrf": csrf, "back": "case"})
    assert (first.status_code, first.headers["location"]) == (303, f"/cases/{case_id}")
    assert "Taak geaccepteerd: het multidisciplinaire overgangsoverleg plannen" in (await http.get(f"/cases/{case_id}")).text
    await http.post(accept_form, data={"csrf": csrf})  # a second click, e.g. from a page left open
    assert f"Niet gelukt: task {meeting['task_id']} is accepted: it cannot take TaskAccepted" in (await http.get("/inbox")).text
    await http.post("/signout")
    assert (await http.get(f"/cases/{case_id}")).headers["location"] == "/signin"
