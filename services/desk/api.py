"""The desk's JSON API under /api: an organisation's inbox, a case, the coordinator's view, and the
answers to tasks. Authentication: `Authorization: Bearer <the organisation's token>` (`tokens.py`).
An answer is the organisation's report to notify; the reply says recorded, refused (with notify's
code and reason, as an HTTP status of its own) or pending. Every error is an RFC 9457 problem
(`problems.py`): a refusal too, with the members of the answer's result as extensions."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts.ids import organisation_kind
from services.desk import desk
from services.desk.core import ANSWERS, Desk
from services.desk.problems import (
    ANSWER_REFUSED,
    API_RESPONSES,
    Problem,
    RefusalProblem,
    ValidationProblem,
    problem,
)
from services.desk.views import AnswerResult, CaseView, CoordinatorView, InboxView, MeView, ReasonBody

# HTTP status of a refused answer, by the rejection code notify gave (default: 409 Conflict).
REFUSAL_STATUS = {
    "not-owner": status.HTTP_403_FORBIDDEN,
    "not-requester": status.HTTP_403_FORBIDDEN,
    "unknown-task": status.HTTP_404_NOT_FOUND,
    "unknown-checklist-item": 422,
    "data-invalid": 422,
}


def answer_response(result: AnswerResult) -> JSONResponse:
    if result.outcome == "refused":
        code = REFUSAL_STATUS.get(result.code or "", status.HTTP_409_CONFLICT)
        return problem(
            code, result.reason or result.code or "refused", type=ANSWER_REFUSED, title="The answer was refused",
            **result.model_dump(mode="json"),
        )
    code = status.HTTP_202_ACCEPTED if result.outcome == "pending" else status.HTTP_200_OK
    return JSONResponse(result.model_dump(mode="json"), status_code=code)


def api_router(the_desk: Desk) -> APIRouter:
    """The routes of the API, over `the_desk`."""
    router = APIRouter(responses=API_RESPONSES)
    bearer = HTTPBearer(auto_error=False, description="The organisation's token.")

    def api_org(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
        if credentials is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "send Authorization: Bearer <your organisation's token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        org = the_desk.tokens.org_of(credentials.credentials)
        if org is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown token", headers={"WWW-Authenticate": "Bearer"})
        return org

    Org = Annotated[str, Depends(api_org)]
    answer_responses: dict[int | str, dict[str, Any]] = {
        202: {"model": AnswerResult, "description": "Sent, but not processed within the wait; look again."},
        403: {"model": RefusalProblem, "description": "Refused: only the owner (or, to cancel, the requester) may."},
        404: {"model": Problem, "description": "No such case among yours, or no such task in it."},
        409: {"model": RefusalProblem, "description": "Refused: the task's status does not allow it (reason given)."},
        422: {
            "model": RefusalProblem | ValidationProblem,
            "description": "The request is not valid (invalid-request), or notify refused the data (answer-refused).",
        },
        503: {"model": Problem, "description": "The answer could not be sent; try again."},
    }

    @router.get("/api/me", response_model=MeView, tags=["desk"])
    async def me(org: Org) -> MeView:
        """The organisation the token belongs to."""
        return MeView(org=org, kind=organisation_kind(org) or "unknown", coordinator_of=desk.coordinated_municipality(org))

    @router.get("/api/tasks", response_model=InboxView, tags=["desk"])
    async def inbox(org: Org) -> InboxView:
        """The inbox: open tasks the organisation owns (overdue first, then by due date) and open tasks it requested."""
        return the_desk.inbox(org)

    @router.get("/api/cases/{case_id}", response_model=CaseView, tags=["desk"], responses={404: {"model": Problem, "description": "No such case among yours."}})
    async def case(org: Org, case_id: str) -> CaseView:
        """A case: who is responsible for the young person now, its tasks, and its timeline in plain language."""
        return await the_desk.case(org, case_id)

    @router.get("/api/coordinator", response_model=CoordinatorView, tags=["desk"], responses={403: {"model": Problem, "description": "Not a coordinator."}})
    async def coordinator(org: Org) -> CoordinatorView:
        """For a municipality's coordinator: open support gaps and open escalations in its area."""
        return the_desk.coordinator(org)

    async def api_answer(org: str, case_id: str, task_id: str, action: str, **fields: str) -> JSONResponse:
        answer = ANSWERS[action](task_id=task_id, **fields)
        return answer_response(await the_desk.answer(org, case_id, task_id, answer))

    def without_body(action: str) -> Callable[..., Awaitable[JSONResponse]]:
        async def answer(org: Org, case_id: str, task_id: str) -> JSONResponse:
            return await api_answer(org, case_id, task_id, action)

        return answer

    def with_reason(action: str) -> Callable[..., Awaitable[JSONResponse]]:
        async def answer(org: Org, case_id: str, task_id: str, body: ReasonBody) -> JSONResponse:
            return await api_answer(org, case_id, task_id, action, reason=body.reason)

        return answer

    for action, endpoint, description in (
        ("accept", without_body, "The owner accepts a requested task."),
        ("decline", with_reason, "The owner declines a requested task, saying why."),
        ("start", without_body, "The owner starts work on an accepted task (FHIR in-progress)."),
        ("complete", without_body, "The owner completes an accepted or started task (every checklist item ticked)."),
        ("cancel", with_reason, "The requester withdraws a task that is not completed, saying why."),
    ):
        router.add_api_route(
            f"/api/cases/{{case_id}}/tasks/{{task_id}}/{action}", endpoint(action), methods=["POST"], name=action,
            description=description, response_model=AnswerResult, responses=answer_responses, tags=["answers"],
        )

    @router.post(
        "/api/cases/{case_id}/tasks/{task_id}/checklist/{item}/tick",
        response_model=AnswerResult, responses=answer_responses, tags=["answers"],
    )
    async def tick(org: Org, case_id: str, task_id: str, item: str) -> JSONResponse:
        """The owner ticks one checklist item of an accepted or started task."""
        return await api_answer(org, case_id, task_id, "tick", item=item[:100])

    return router
