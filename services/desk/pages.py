"""The desk's web pages: sign-in with the organisation's token, the inbox, a case, the coordinator's
view, and the forms that answer a task. A signed-in browser holds a server-side session (HttpOnly,
SameSite=Strict cookie, `sessions.py`) and sends its CSRF token with every form."""

import secrets
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from pydantic import ValidationError

from services.desk import desk
from services.desk.core import ANSWERS, Desk
from services.desk.sessions import SESSION_COOKIE, SESSION_TTL_S, Session
from services.desk.views import AnswerResult

log = structlog.get_logger()
TEMPLATES = Path(__file__).parent / "templates"
ACTION_TEXT = {
    "accept": "accepted",
    "decline": "declined",
    "start": "started",
    "complete": "completed",
    "cancel": "cancelled",
    "tick": "ticked",
}


def for_people(refusal: AnswerResult) -> str:
    """notify's reason without the "field 'type': " that tells a partner system where to look."""
    reason = refusal.reason or refusal.code or "refused"
    prefix = f"field '{refusal.field}': "
    return reason[len(prefix):] if refusal.field and reason.startswith(prefix) else reason


class Pages:
    """Rendering a page for a browser's session, over `the_desk`."""

    def __init__(self, the_desk: Desk) -> None:
        self.desk = the_desk
        self.templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)

    def render(self, name: str, session: Session | None, code: int = 200, **context: Any) -> HTMLResponse:
        notices, csrf, org = [], "", None
        if session is not None:
            notices, session.notices = session.notices, []
            csrf, org = session.csrf, session.org
        body = self.templates.get_template(name).render(
            org=org, csrf=csrf, notices=notices, coordinator_of=desk.coordinated_municipality(org) if org else None,
            action_text=ACTION_TEXT, **context,
        )
        return HTMLResponse(body, status_code=code, headers={"Cache-Control": "no-store"})

    def session(self, request: Request) -> Session | None:
        return self.desk.sessions.get(request.cookies.get(SESSION_COOKIE))

    @staticmethod
    def to_signin() -> RedirectResponse:
        return RedirectResponse("/signin", status_code=status.HTTP_303_SEE_OTHER)


def pages_router(the_desk: Desk, pages: Pages) -> APIRouter:
    """The routes of the pages (none of them in the OpenAPI description)."""
    router = APIRouter()
    render, page_session, to_signin = pages.render, pages.session, pages.to_signin

    @router.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        return RedirectResponse("/inbox" if page_session(request) else "/signin", status_code=status.HTTP_303_SEE_OTHER)

    @router.get("/signin", include_in_schema=False)
    async def signin_page(request: Request) -> Response:
        return render("signin.html", None)

    @router.post("/signin", include_in_schema=False)
    async def signin(token: Annotated[str, Form()] = "") -> Response:
        org = the_desk.tokens.org_of(token.strip())
        if org is None:
            return render("signin.html", None, status.HTTP_401_UNAUTHORIZED, error="That token is not known. Ask your administrator for your organisation's token.")
        response = RedirectResponse("/inbox", status_code=status.HTTP_303_SEE_OTHER)
        response.set_cookie(
            SESSION_COOKIE, the_desk.sessions.open(org), max_age=SESSION_TTL_S, httponly=True, samesite="strict", path="/"
        )
        log.info("desk sign-in", org=org)
        return response

    @router.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        the_desk.sessions.close(request.cookies.get(SESSION_COOKIE))
        response = to_signin()
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/inbox", include_in_schema=False)
    async def inbox_page(request: Request) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        view = the_desk.inbox(session.org)
        return render(
            "inbox.html", session, view=view,
            to_answer=[t for t in view.tasks if t.status == "requested"],
            in_care=[t for t in view.tasks if t.status != "requested"],
        )

    @router.get("/cases/{case_id}", include_in_schema=False)
    async def case_page(request: Request, case_id: str) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        try:
            view = await the_desk.case(session.org, case_id)
        except HTTPException as exc:
            return render("error.html", session, exc.status_code, message=exc.detail)
        return render("case.html", session, view=view)

    @router.get("/coordinator", include_in_schema=False)
    async def coordinator_page(request: Request) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        try:
            view = the_desk.coordinator(session.org)
        except HTTPException as exc:
            return render("error.html", session, exc.status_code, message=exc.detail)
        return render("coordinator.html", session, view=view)

    @router.post("/cases/{case_id}/tasks/{task_id}/{action}", include_in_schema=False)
    async def answer_page(
        request: Request,
        case_id: str,
        task_id: str,
        action: str,
        csrf: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
        item: Annotated[str, Form()] = "",
        back: Annotated[str, Form()] = "inbox",
    ) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        if not secrets.compare_digest(csrf.encode(), session.csrf.encode()):
            return render("error.html", session, status.HTTP_403_FORBIDDEN, message="This form is out of date: open the page again.")
        back_to = f"/cases/{case_id}" if back == "case" else "/inbox"
        make = ANSWERS.get(action)
        if make is None:
            return render("error.html", session, status.HTTP_404_NOT_FOUND, message=f"there is no action '{action}'")
        reason = reason.strip()
        if action in ("decline", "cancel") and not 3 <= len(reason) <= 500:
            session.notices.append(("refused", f"To {action}, give a reason (3 to 500 characters)."))
            return RedirectResponse(back_to, status_code=status.HTTP_303_SEE_OTHER)
        try:
            answer = make(task_id=task_id, reason=reason, item=item[:100])
        except ValidationError as exc:
            session.notices.append(("refused", f"Not sent: {exc.errors()[0]['msg']}"))
            return RedirectResponse(back_to, status_code=status.HTTP_303_SEE_OTHER)
        try:
            result = await the_desk.answer(session.org, case_id, task_id, answer)
        except HTTPException as exc:
            return render("error.html", session, exc.status_code, message=exc.detail)
        what = result.task.kind_text if result.task else "the task"
        if result.outcome == "recorded":
            done = f"'{item}' {ACTION_TEXT[action]}" if action == "tick" else f"Task {ACTION_TEXT[action]}"
            session.notices.append(("recorded", f"{done}: {what} (case {case_id})."))
        elif result.outcome == "refused":
            session.notices.append(("refused", f"Not done: {for_people(result)}"))
        else:
            session.notices.append(("pending", "Sent, but not processed yet: look again in a moment."))
        return RedirectResponse(back_to, status_code=status.HTTP_303_SEE_OTHER)

    return router
