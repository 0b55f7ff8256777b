"""The desk's web pages: sign-in with the organisation's token, the inbox (paged, filtered,
searched: `inbox.py`), a task, a case, the coordinator's view, and the forms that answer a task.
Every page is in the reader's language (`i18n.py`: Dutch unless ?lang=en, its cookie or the
browser's Accept-Language say English). A signed-in browser holds a server-side session (HttpOnly,
SameSite=Strict cookie, `sessions.py`) and sends its CSRF token with every form."""

import secrets
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from pydantic import ValidationError

from services.desk import desk, texts
from services.desk.core import ANSWERS, Desk
from services.desk.i18n import LANG_COOKIE, LANGUAGE_NAMES, LOCALES, Language, choose_locale, language
from services.desk.inbox import PAGE_SIZE, InboxQuery, inbox_page
from services.desk.sessions import SESSION_COOKIE, SESSION_TTL_S, Session
from services.desk.views import AnswerResult

log = structlog.get_logger()
TEMPLATES = Path(__file__).parent / "templates"


def for_people(refusal: AnswerResult) -> str:
    """notify's reason without the "field 'type': " that tells a partner system where to look."""
    reason = refusal.reason or refusal.code or "refused"
    prefix = f"field '{refusal.field}': "
    return reason[len(prefix):] if refusal.field and reason.startswith(prefix) else reason


def environment(lang: Language) -> Environment:
    """The templates in one language: gettext from its catalogue, its dates, names and statuses."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(lang.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        long_date=lang.long_date, short_date=lang.short_date, org=lambda org: texts.org_name(org, lang),
        kind=lambda kind: texts.kind_text(kind, lang), status=lambda s: texts.status_text(s, lang),
        action=lambda a: lang.gettext(texts.ACTIONS.get(a, a)),
    )
    env.globals.update(
        locale=lang.locale, kinds=texts.KINDS, open_statuses=texts.OPEN_STATUSES, languages=LANGUAGE_NAMES,
    )
    return env


class Pages:
    """Rendering a page for a browser's session, in the request's language, over `the_desk`."""

    def __init__(self, the_desk: Desk) -> None:
        self.desk = the_desk
        self.environments = {locale: environment(language(locale)) for locale in LOCALES}

    @staticmethod
    def language(request: Request) -> Language:
        return language(choose_locale(
            request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
        ))

    def render(self, request: Request, name: str, session: Session | None, code: int = 200, **context: Any) -> HTMLResponse:
        notices, csrf, org = [], "", None
        if session is not None:
            notices, session.notices = session.notices, []
            csrf, org = session.csrf, session.org
        lang = self.language(request)
        body = self.environments[lang.locale].get_template(name).render(
            org=org, csrf=csrf, notices=notices, coordinator_of=desk.coordinated_municipality(org) if org else None,
            path=request.url.path, **context,
        )
        response = HTMLResponse(body, status_code=code, headers={"Cache-Control": "no-store", "Content-Language": lang.locale})
        if request.query_params.get("lang") in LOCALES:  # the switch: remembered for a year
            response.set_cookie(LANG_COOKIE, lang.locale, max_age=365 * 86400, samesite="lax", path="/")
        return response

    def error(self, request: Request, session: Session | None, exc: HTTPException) -> HTMLResponse:
        """An error page saying in the reader's language what went wrong."""
        _ = self.language(request).gettext
        messages = {
            403: _("Only a municipality's chain coordinator sees this page."),
            404: _("This case or task is not among the cases of your organisation."),
            422: _("That is not a valid date: use a day like 15-09-2026."),
            503: _("The answer could not be sent; try again."),
        }
        return self.render(request, "error.html", session, exc.status_code, message=messages.get(exc.status_code, str(exc.detail)))

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
        return render(request, "signin.html", None)

    @router.post("/signin", include_in_schema=False)
    async def signin(request: Request, token: Annotated[str, Form()] = "") -> Response:
        org = the_desk.tokens.org_of(token.strip())
        if org is None:
            error = pages.language(request).gettext("That token is not known. Ask your administrator for your organisation's token.")
            return render(request, "signin.html", None, status.HTTP_401_UNAUTHORIZED, error=error)
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
    async def inbox(request: Request) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        today, source = the_desk.clock.today()
        query = InboxQuery.of(request.query_params)
        found = inbox_page(session.org, the_desk.cases(), today, query, pages.language(request))
        rows = [the_desk.task_view(session.org, item.case_id, item.task, today) for item in found.items]
        return render(request, "inbox.html", session, page=found, rows=rows, today=today, today_source=source, page_size=PAGE_SIZE)

    @router.get("/cases/{case_id}/tasks/{task_id}", include_in_schema=False)
    async def task_page(request: Request, case_id: str, task_id: str) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        try:
            case = the_desk.visible_case(session.org, case_id)
            if task_id not in case.tasks or case.tasks[task_id].status == "draft":
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} has no task {task_id}")
        except HTTPException as exc:
            return pages.error(request, session, exc)
        today, source = the_desk.clock.today()
        task = the_desk.task_view(session.org, case_id, case.tasks[task_id], today)
        escalated = case.tasks.get(task.escalates) if task.escalates else None
        return render(request, "task.html", session, t=task, today=today, today_source=source,
                      escalated=the_desk.task_view(session.org, case_id, escalated, today) if escalated else None)

    @router.get("/cases/{case_id}", include_in_schema=False)
    async def case_page(request: Request, case_id: str) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        try:
            case, events = await the_desk.case_history(session.org, case_id)
        except HTTPException as exc:
            return pages.error(request, session, exc)
        lang, (today, source) = pages.language(request), the_desk.clock.today()
        responsible = desk.responsible_now(events)
        tasks = sorted((t for t in case.tasks.values() if t.status != "draft"), key=lambda t: (t.due, t.task_id))
        timeline = [
            (entry, texts.source_name(envelope, lang), texts.describe(envelope, lang),
             texts.kind_text(texts.KIND_OF_TEXT.get(entry.task_kind, entry.task_kind), lang) if entry.task_kind else "")
            for entry, envelope in zip(desk.timeline_entries(events, case.tasks), events, strict=True)
        ]
        return render(
            request, "case.html", session, case_id=case_id, today=today, today_source=source, responsible=responsible,
            responsible_why=texts.responsibility_text(responsible.reason, dict(responsible.facts), lang),
            tasks=[the_desk.task_view(session.org, case_id, t, today) for t in tasks], timeline=timeline,
        )

    @router.get("/coordinator", include_in_schema=False)
    async def coordinator_page(request: Request) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        try:
            view = the_desk.coordinator(session.org)
        except HTTPException as exc:
            return pages.error(request, session, exc)
        return render(request, "coordinator.html", session, view=view, today=view.today, today_source=view.today_source)

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
        _ = pages.language(request).gettext
        if not secrets.compare_digest(csrf.encode(), session.csrf.encode()):
            return render(request, "error.html", session, status.HTTP_403_FORBIDDEN, message=_("This form is out of date: open the page again."))
        back_to = {"case": f"/cases/{case_id}", "task": f"/cases/{case_id}/tasks/{task_id}"}.get(back, "/inbox")
        make = ANSWERS.get(action)
        if make is None:
            return pages.error(request, session, HTTPException(status.HTTP_404_NOT_FOUND))
        reason = reason.strip()
        if action in ("decline", "cancel") and not 3 <= len(reason) <= 500:
            session.notices.append(("refused", _("Give a reason (3 to 500 characters).")))
            return RedirectResponse(back_to, status_code=status.HTTP_303_SEE_OTHER)
        try:
            answer = make(task_id=task_id, reason=reason, item=item[:100])
        except ValidationError as exc:
            session.notices.append(("refused", _("Not sent: %(why)s") % {"why": exc.errors()[0]["msg"]}))
            return RedirectResponse(back_to, status_code=status.HTTP_303_SEE_OTHER)
        try:
            result = await the_desk.answer(session.org, case_id, task_id, answer)
        except HTTPException as exc:
            return pages.error(request, session, exc)
        what = texts.kind_text(result.task.kind, pages.language(request)) if result.task else ""
        if result.outcome == "recorded":
            done = _("'%(item)s' ticked off") % {"item": item} if action == "tick" else _(texts.DONE[action])
            session.notices.append(("recorded", _("%(done)s: %(what)s (case %(case)s).") % {"done": done, "what": what, "case": case_id}))
        elif result.outcome == "refused":
            session.notices.append(("refused", _("Not done: %(why)s") % {"why": for_people(result)}))
        else:
            session.notices.append(("pending", _("Sent, but not processed yet: look again in a moment.")))
        return RedirectResponse(back_to, status_code=status.HTTP_303_SEE_OTHER)

    return router
