"""The desk API's errors as RFC 9457 problem details: every 4xx and 5xx answer under /api is
`application/problem+json` with `type`, `title`, `status` and `detail` (docs/api-errors.md).

- An HTTP error with nothing more to say (401, 403, 404, 405, 500, 503) has the type `about:blank`
  and the status's own phrase as its title.
- A request that does not validate (422) has the type INVALID_REQUEST and names the invalid
  fields in `errors`, each with pydantic's error type: never the value that was sent.
- An answer that notify refused (403, 409, 422) has the type ANSWER_REFUSED and keeps the
  members of an answer's result: `outcome` "refused", notify's `code`, `reason`, `field`, `task`.

Our own problem types are tag URIs (RFC 4151) under the project's domain, as its CloudEvents types
are; they identify, they are not meant to be fetched. The pages keep their HTML error pages.
"""

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.desk.views import TaskView

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"
TYPE_PREFIX = "tag:warmeoverdracht.nl,2026:problem:"
INVALID_REQUEST = TYPE_PREFIX + "invalid-request"
ANSWER_REFUSED = TYPE_PREFIX + "answer-refused"
# Pydantic's message of these error types is written by a validator and may quote what was sent.
OWN_MESSAGES = frozenset({"value_error", "assertion_error"})


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field("about:blank", description="The problem type, a URI: about:blank or one of docs/api-errors.md.")
    title: str = Field(description="A short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong in this request, for people.")


class InvalidField(BaseModel):
    field: str = Field(description="The field's name, dotted for a nested one: e.g. 'reason'.")
    location: Literal["body", "path", "query", "header", "cookie"]
    type: str = Field(description="Pydantic's error type, e.g. 'string_too_short', 'missing'.")
    message: str


class ValidationProblem(Problem):
    errors: list[InvalidField] = Field(description="The invalid fields (never the values that were sent).")


class RefusalProblem(Problem):
    outcome: Literal["refused"] = "refused"
    code: str | None = Field(None, description="notify's rejection code, e.g. 'illegal-transition', 'not-owner'.")
    reason: str | None = Field(None, description="notify's reason.")
    field: str | None = Field(None, description="The field of the answer the reason is about, if one.")
    task: TaskView | None = Field(None, description="The task as it is now.")


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **members: Any) -> JSONResponse:
    """An `application/problem+json` response; `about:blank` with the status's phrase unless `members`
    name a `type` and `title`; further members are extensions."""
    members.setdefault("type", "about:blank")
    members.setdefault("title", HTTPStatus(status).phrase)
    body = {"type": members.pop("type"), "title": members.pop("title"), "status": status, "detail": detail, **members}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def invalid_fields(errors: Sequence[Any]) -> list[InvalidField]:
    """The fields of pydantic's errors, without their input values."""
    found = []
    for error in errors:
        location, *path = error.get("loc", ()) or ("body",)
        if location not in ("body", "path", "query", "header", "cookie"):
            location, path = "body", [location, *path]
        kind = str(error.get("type", "invalid"))
        named = kind != "json_invalid" and ".".join(str(part) for part in path)
        found.append(InvalidField(
            field=named or location, location=location, type=kind,
            message="not valid" if kind in OWN_MESSAGES else str(error.get("msg", "not valid")),
        ))
    return found


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _is_api(request):
        return await http_exception_handler(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    return problem(exc.status_code, detail, headers=exc.headers)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not _is_api(request):
        return await request_validation_exception_handler(request, exc)
    fields = invalid_fields(exc.errors())
    detail = "Not valid: " + ", ".join(f"{f.location} field '{f.field}' ({f.type})" for f in fields) + "."
    return problem(422, detail, type=INVALID_REQUEST, title="The request is not valid",
                   errors=[f.model_dump() for f in fields])


async def _server_error(request: Request, exc: Exception) -> Response:
    # Starlette's ServerErrorMiddleware answers with this, then raises `exc` again to be logged.
    if not _is_api(request):
        return PlainTextResponse("Internal Server Error", status_code=500)
    return problem(500, "The desk failed to answer this request; it is logged. Try again later.")


def install_problem_details(app: FastAPI) -> None:
    """Answer every error under /api with problem details, and say so in the OpenAPI description."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _server_error)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for path in generate().get("paths", {}).values():
                for operation in path.values():
                    for code, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if code[0] in "45" and "application/json" in content:
                            content[PROBLEM_JSON] = content.pop("application/json")
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]


# The error answers every API route may give, for the OpenAPI description.
API_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No token, or an unknown one (about:blank)."},
    422: {"model": ValidationProblem, "description": "The request is not valid: see `errors`."},
    500: {"model": Problem, "description": "The desk failed (about:blank)."},
}
