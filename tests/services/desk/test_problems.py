"""The desk API's errors are RFC 9457 problem details (application/problem+json with type, title,
status, detail), its validation errors name fields but never values, and the pages keep their HTML
error pages. The web application runs in-process over a stand-in for the desk's core (no NATS):
what notify decides is tested against the real system in tests/integration/test_desk_api.py."""

from types import SimpleNamespace

import httpx
import pytest
from fastapi import HTTPException

from services.desk.problems import ANSWER_REFUSED, INVALID_REQUEST, PROBLEM_JSON
from services.desk.sessions import Sessions
from services.desk.tokens import OrgTokens
from services.desk.views import AnswerResult, InboxView
from services.desk.web import create_web_app

TOKEN = "test-token-of-gm0855-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CASE = "case-problems01"
TASK_PATH = f"/api/cases/{CASE}/tasks/task-1"
PERSONAL = "Fatima el Amrani, born 2009-04-01"  # what a caseworker should not have typed; never echoed


class StandInDesk:
    """What the web application asks of `core.Desk`, without NATS: each call does as the test says."""

    def __init__(self) -> None:
        self.tokens = OrgTokens({"gm0855": TOKEN})
        self.sessions = Sessions()
        self.nc = SimpleNamespace(is_connected=True)
        self.refusal: AnswerResult | None = None

    def inbox(self, org: str) -> InboxView:
        raise RuntimeError("the read model broke")

    async def case(self, org: str, case_id: str):
        raise HTTPException(404, f"no case {case_id} among your cases")

    async def case_history(self, org: str, case_id: str):
        raise HTTPException(404, f"no case {case_id} among your cases")

    def coordinator(self, org: str):
        raise HTTPException(403, "only a municipality's coordinator (regie-gm…) has this view")

    async def answer(self, org: str, case_id: str, task_id: str, answer) -> AnswerResult:
        assert self.refusal is not None
        return self.refusal


@pytest.fixture
def stand_in() -> StandInDesk:
    return StandInDesk()


@pytest.fixture
async def http(stand_in):
    transport = httpx.ASGITransport(create_web_app(stand_in), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
        yield client


def assert_problem(response: httpx.Response, status: int, type_: str = "about:blank") -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert (body["type"], body["status"]) == (type_, status)
    assert body["title"] and body["detail"]
    return body


async def test_no_token_or_an_unknown_one_is_a_401_problem_with_its_challenge(http) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token-of-anyone-000000"}):
        response = await http.get("/api/me", headers=headers)
        body = assert_problem(response, 401)
        assert body["title"] == "Unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_not_found_and_forbidden_are_about_blank_with_the_status_phrase_as_title(http) -> None:
    body = assert_problem(await http.get(f"/api/cases/{CASE}", headers=AUTH), 404)
    assert (body["title"], body["detail"]) == ("Not Found", f"no case {CASE} among your cases")
    assert assert_problem(await http.get("/api/coordinator", headers=AUTH), 403)["title"] == "Forbidden"
    assert assert_problem(await http.get("/api/no-such-route", headers=AUTH), 404)["title"] == "Not Found"
    assert assert_problem(await http.delete("/api/me", headers=AUTH), 405)["title"] == "Method Not Allowed"


async def test_a_failure_of_the_desk_is_a_500_problem_that_tells_nothing_inside(http) -> None:
    body = assert_problem(await http.get("/api/tasks", headers=AUTH), 500)
    assert body["title"] == "Internal Server Error"
    assert "read model" not in body["detail"]


@pytest.mark.parametrize(
    ("body", "field", "error_type"),
    [
        ({"reason": PERSONAL * 20}, "reason", "string_too_long"),
        ({"reason": "no"}, "reason", "string_too_short"),
        ({}, "reason", "missing"),
        (None, "body", "missing"),
    ],
)
async def test_an_invalid_request_names_its_fields_and_never_their_values(http, body, field, error_type) -> None:
    response = await http.post(f"{TASK_PATH}/decline", headers=AUTH, json=body)
    problem = assert_problem(response, 422, INVALID_REQUEST)
    assert problem["title"] == "The request is not valid"
    [error] = problem["errors"]
    assert (error["field"], error["location"], error["type"]) == (field, "body", error_type)
    assert f"'{field}'" in problem["detail"]
    assert "Fatima" not in response.text and "input" not in response.text


async def test_a_body_that_is_not_json_is_an_invalid_request_of_the_body(http) -> None:
    response = await http.post(
        f"{TASK_PATH}/decline", headers={**AUTH, "Content-Type": "application/json"}, content=b'{"reason": "' + PERSONAL.encode()
    )
    [error] = assert_problem(response, 422, INVALID_REQUEST)["errors"]
    assert (error["field"], error["type"]) == ("body", "json_invalid")
    assert "Fatima" not in response.text


@pytest.mark.parametrize(("code", "status"), [("not-owner", 403), ("illegal-transition", 409), ("data-invalid", 422)])
async def test_a_refused_answer_is_a_problem_that_keeps_notifys_code_and_reason(http, stand_in, code, status) -> None:
    reason = "task task-1 is requested: it cannot take TaskCompleted"
    stand_in.refusal = AnswerResult(outcome="refused", code=code, reason=reason, field=None, task=None)
    body = assert_problem(await http.post(f"{TASK_PATH}/complete", headers=AUTH), status, ANSWER_REFUSED)
    assert (body["title"], body["detail"]) == ("The answer was refused", reason)
    assert (body["outcome"], body["code"], body["reason"], body["field"], body["task"]) == ("refused", code, reason, None, None)


async def test_the_pages_keep_their_html_error_pages(http) -> None:
    signed_in = await http.post("/signin", data={"token": TOKEN})
    assert signed_in.status_code == 303
    http.cookies = signed_in.cookies
    page = await http.get(f"/cases/{CASE}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Dit dossier of deze taak hoort niet bij de dossiers van uw organisatie." in page.text
    assert '<html lang="nl">' in page.text
    assert (await http.post("/signin", data={"token": "wrong"})).headers["content-type"].startswith("text/html")


async def test_the_openapi_description_says_every_error_is_a_problem(http) -> None:
    description = (await http.get("/openapi.json")).json()
    errors = [
        (path, method, code, response.get("content", {}))
        for path, operations in description["paths"].items()
        for method, operation in operations.items()
        for code, response in operation["responses"].items()
        if code[0] in "45"
    ]
    assert {code for *_, code, _ in errors} >= {"401", "403", "404", "409", "422", "500", "503"}
    for path, method, code, content in errors:
        assert list(content) == [PROBLEM_JSON], (path, method, code)
    schemas = description["components"]["schemas"]
    assert {"Problem", "ValidationProblem", "RefusalProblem"} <= set(schemas)
    assert {"type", "title", "status", "detail"} <= set(schemas["Problem"]["properties"])

