"""The handoff desk: notify's web page and HTTP API, where a caseworker sees the organisation's
tasks and answers them, follows a case's timeline, and a coordinator watches its municipality.

- Reads come from notify's in-memory projection (every case's tasks) and, for a case page, the
  case's events in the store; "today" is the day of the last `DayStarted` (see `LatestDay`).
- Writes are the organisation's own reports: the desk publishes the CloudEvent a partner system
  would publish to amv.inbox.<org>.<TaskAccepted|…>, then waits until notify recorded it or
  refused it (amv.rejected.<org>.…) and shows that. The rules stay in `rules.py`, nowhere else.
- Sign-in with the organisation's token (`tokens.py`): `Authorization: Bearer <token>` for the
  API, a server-side session (HttpOnly, SameSite=Strict cookie, CSRF token in every form) for the
  page. An organisation sees a case only when `desk.can_see_case` says so; for anyone else the
  case does not exist (404).
- The OpenAPI description is at /openapi.json, its page at /docs, served without any CDN.
"""

import asyncio
import contextlib
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import nats.errors
import structlog
import uvicorn
from fastapi import Depends, FastAPI, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from jinja2 import Environment, FileSystemLoader
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from pydantic import BaseModel, Field, StringConstraints, ValidationError

from contracts import subjects
from contracts.clock import day_of
from contracts.envelope import new_event_id
from contracts.events import (
    ChecklistItemTicked,
    DomainEvent,
    TaskAccepted,
    TaskCancelled,
    TaskCompleted,
    TaskDeclined,
    TaskStarted,
    report,
)
from contracts.ids import organisation_kind
from services.notify import desk
from services.notify.state import NotifyCase, Task
from services.monitoring.timeline import KIND_TEXT
from services.notify.tokens import OrgTokens
from services.runtime.eventstore import EventStore, encode
from services.runtime.projection import Projection
from services.runtime.rejections import HEADER_CODE, HEADER_FIELD, HEADER_ORIGINAL_SEQUENCE, HEADER_REASON

log = structlog.get_logger()
TEMPLATES = Path(__file__).parent / "templates"
SESSION_COOKIE = "wo_desk_session"
SESSION_TTL_S = 8 * 3600
ANSWER_TIMEOUT_S = 10.0
# HTTP status of a refused answer, by the rejection code notify gave (default: 409 Conflict).
REFUSAL_STATUS = {
    "not-owner": status.HTTP_403_FORBIDDEN,
    "not-requester": status.HTTP_403_FORBIDDEN,
    "unknown-task": status.HTTP_404_NOT_FOUND,
    "unknown-checklist-item": 422,
    "data-invalid": 422,
}
ACTION_TEXT = {
    "accept": "accepted",
    "decline": "declined",
    "start": "started",
    "complete": "completed",
    "cancel": "cancelled",
    "tick": "ticked",
}


# --- time: the day of the last DayStarted ------------------------------------------------------------


class LatestDay:
    """The day of the last `DayStarted` on amv.clock.day, kept current by an ordered consumer that
    starts at the last stored day (a scheduled day is seen only by JetStream consumers)."""

    def __init__(self) -> None:
        self.day: date | None = None
        self._subscription = None

    async def start(self, nc: NATS) -> None:
        self._subscription = await nc.jetstream().subscribe(
            subjects.CLOCK_DAY, ordered_consumer=True, deliver_policy=DeliverPolicy.LAST_PER_SUBJECT, cb=self._on_msg
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    async def _on_msg(self, msg: Msg) -> None:
        day = day_of(msg.data, msg.metadata.timestamp)
        if isinstance(day, date):
            self.day = day

    def today(self) -> tuple[date, Literal["clock", "wall-clock"]]:
        """The day for display: the last day started; the calendar date only while no day ever started."""
        if self.day is not None:
            return self.day, "clock"
        return datetime.now(UTC).date(), "wall-clock"


# --- sessions of the web page --------------------------------------------------------------------------


@dataclass
class Session:
    org: str
    csrf: str
    expires_at: float
    notices: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) shown once on the next page


class Sessions:
    """Server-side sessions: the cookie holds only a random id; signing out or a restart ends them."""

    def __init__(self, ttl_s: float = SESSION_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._by_id: dict[str, Session] = {}

    def open(self, org: str) -> str:
        now = time.monotonic()
        for expired in [key for key, session in self._by_id.items() if session.expires_at < now]:
            del self._by_id[expired]
        session_id = secrets.token_urlsafe(32)
        self._by_id[session_id] = Session(org, secrets.token_urlsafe(24), time.monotonic() + self._ttl_s)
        return session_id

    def get(self, session_id: str | None) -> Session | None:
        session = self._by_id.get(session_id) if session_id else None
        if session is not None and session.expires_at < time.monotonic():
            self._by_id.pop(session_id, None)
            return None
        return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._by_id.pop(session_id, None)


# --- what the API returns (and the pages render) --------------------------------------------------------


class ChecklistItemView(BaseModel):
    item: str
    ticked: bool


class TaskView(BaseModel):
    case_id: str
    task_id: str
    kind: str
    kind_text: str = Field(description="The kind in plain language.")
    requester: str
    owner: str
    due: date
    status: str = Field(description="HL7 FHIR Task status: requested, accepted, in-progress, completed, rejected, cancelled.")
    overdue: bool = Field(description="Still waiting for the owner's answer after its due date.")
    municipality: str
    invited: list[str]
    checklist: list[ChecklistItemView]
    status_reason: str | None = Field(description="Why it was declined or cancelled.")
    escalated_to: str | None = Field(description="The coordinator it was escalated to, if it was.")
    escalates: str | None = Field(description="For an escalation: the task it escalates.")
    actions: list[str] = Field(description="What the signed-in organisation may do now: accept, decline, start, tick, complete, cancel.")


class InboxView(BaseModel):
    org: str
    today: date
    today_source: Literal["clock", "wall-clock"] = Field(
        description="'clock': the day of the last DayStarted; 'wall-clock': no day has started yet, the calendar date is shown."
    )
    tasks: list[TaskView] = Field(description="Open tasks the organisation owns, overdue first, then by due date.")
    requested: list[TaskView] = Field(description="Open tasks the organisation asked others for (it may cancel them).")


class ResponsibleView(BaseModel):
    org: str | None = Field(description="Who carries the young person's support now; null: nobody (a support gap).")
    text: str
    why: str


class TimelineEntryView(BaseModel):
    day: date
    who: str
    text: str
    event_type: str
    task_kind: str | None


class CaseView(BaseModel):
    case_id: str
    today: date
    today_source: Literal["clock", "wall-clock"]
    responsible: ResponsibleView
    tasks: list[TaskView]
    timeline: list[TimelineEntryView]


class GapView(BaseModel):
    case_id: str
    detected_on: date
    ended_support_of: str
    reason: str
    gap_task: TaskView | None


class EscalationView(BaseModel):
    case_id: str
    escalation: TaskView
    escalated: TaskView | None


class CoordinatorView(BaseModel):
    org: str
    municipality: str
    today: date
    today_source: Literal["clock", "wall-clock"]
    gaps: list[GapView]
    escalations: list[EscalationView]


class MeView(BaseModel):
    org: str
    kind: str
    coordinator_of: str | None


class AnswerResult(BaseModel):
    outcome: Literal["recorded", "refused", "pending"] = Field(
        description="recorded: notify stored it; refused: see code and reason; pending: sent, not processed within the wait."
    )
    code: str | None = None
    reason: str | None = None
    field: str | None = None
    task: TaskView | None = None


class ReasonBody(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)] = Field(
        description="Why (shown to the other organisation; no names or other personal data)."
    )


@dataclass(frozen=True)
class Outcome:
    outcome: Literal["recorded", "refused", "pending"]
    code: str | None = None
    reason: str | None = None
    field: str | None = None


# --- the desk: reads and writes, no HTTP ----------------------------------------------------------------


class Desk:
    """What the pages and the API do, over notify's connection, projection and store."""

    def __init__(
        self,
        nc: NATS,
        projection: Projection[NotifyCase],
        store: EventStore,
        tokens: OrgTokens,
        publish_timeout_s: float = 5.0,
        answer_timeout_s: float = ANSWER_TIMEOUT_S,
    ) -> None:
        self.nc = nc
        self.js = nc.jetstream(timeout=publish_timeout_s)
        self.projection = projection
        self.store = store
        self.tokens = tokens
        self.clock = LatestDay()
        self.sessions = Sessions()
        self.answer_timeout_s = answer_timeout_s

    async def start(self) -> None:
        try:
            await self.clock.start(self.nc)
        except (nats.errors.Error, TimeoutError) as exc:  # e.g. no permission to read AMV_CLOCK
            log.error("handoff desk cannot follow the clock; it shows the calendar date as today", error=repr(exc))

    async def stop(self) -> None:
        await self.clock.stop()

    # reads

    def cases(self) -> list[NotifyCase]:
        return list(self.projection.cases.values())

    def visible_case(self, org: str, case_id: str) -> NotifyCase:
        case = self.projection.cases.get(case_id)
        if case is None or not desk.can_see_case(org, case):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no case {case_id} among your cases")
        return case

    def task_view(self, org: str, case_id: str, task: Task, today: date) -> TaskView:
        return TaskView(
            case_id=case_id, task_id=task.task_id, kind=task.kind, kind_text=KIND_TEXT.get(task.kind, task.kind),
            requester=task.requester, owner=task.owner, due=task.due, status=task.status,
            overdue=desk.is_overdue(task, today), municipality=task.municipality, invited=list(task.invited),
            checklist=[ChecklistItemView(item=item, ticked=item in task.checked) for item in task.checklist],
            status_reason=task.status_reason, escalated_to=task.escalated_to, escalates=task.escalates,
            actions=desk.actions_for(task, org),
        )

    def inbox(self, org: str) -> InboxView:
        today, source = self.clock.today()
        cases = self.cases()
        return InboxView(
            org=org, today=today, today_source=source,
            tasks=[self.task_view(org, i.case_id, i.task, today) for i in desk.open_tasks(org, cases, today)],
            requested=[self.task_view(org, i.case_id, i.task, today) for i in desk.requested_tasks(org, cases, today)],
        )

    async def case(self, org: str, case_id: str) -> CaseView:
        case = self.visible_case(org, case_id)
        today, source = self.clock.today()
        history = await self.store.load_case("notify", case_id)
        responsible = desk.responsible_now(history.events)
        tasks = sorted(case.tasks.values(), key=lambda t: (t.due, t.task_id))
        return CaseView(
            case_id=case_id, today=today, today_source=source,
            responsible=ResponsibleView(org=responsible.org, text=responsible.text, why=responsible.why),
            tasks=[self.task_view(org, case_id, task, today) for task in tasks if task.status != "draft"],
            timeline=[
                TimelineEntryView(day=e.day, who=e.who, text=e.text, event_type=e.event_type, task_kind=e.task_kind)
                for e in desk.timeline_entries(history.events, case.tasks)
            ],
        )

    def coordinator(self, org: str) -> CoordinatorView:
        view = desk.coordinator_view(org, self.cases())
        if view is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only a municipality's coordinator (regie-gm…) has this view")
        today, source = self.clock.today()
        return CoordinatorView(
            org=org, municipality=view.municipality, today=today, today_source=source,
            gaps=[
                GapView(
                    case_id=g.case_id, detected_on=g.gap.detected_on, ended_support_of=g.gap.by, reason=g.gap.reason,
                    gap_task=self.task_view(org, g.case_id, g.gap_task, today) if g.gap_task else None,
                )
                for g in view.gaps
            ],
            escalations=[
                EscalationView(
                    case_id=e.case_id, escalation=self.task_view(org, e.case_id, e.escalation, today),
                    escalated=self.task_view(org, e.case_id, e.escalated, today) if e.escalated else None,
                )
                for e in view.escalations
            ],
        )

    # writes

    async def answer(self, org: str, case_id: str, task_id: str, answer: DomainEvent) -> AnswerResult:
        """Send `org`'s answer about a task of a case it can see, and report what notify made of it."""
        case = self.visible_case(org, case_id)
        if task_id not in case.tasks:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} has no task {task_id}")
        outcome = await self.submit(org, case_id, answer)
        log.info("desk answer", org=org, case_id=case_id, task_id=task_id, answer=answer.event_type, outcome=outcome.outcome, code=outcome.code)
        today, _ = self.clock.today()
        task = self.projection.cases[case_id].tasks[task_id]
        return AnswerResult(
            outcome=outcome.outcome, code=outcome.code, reason=outcome.reason, field=outcome.field,
            task=self.task_view(org, case_id, task, today),
        )

    async def submit(self, org: str, case_id: str, answer: DomainEvent) -> Outcome:
        """Publish the report to the organisation's inbox as a partner would; wait until notify
        recorded it (its id is in the projection as a cause) or refused it (a rejection of that
        inbox message), at most `answer_timeout_s`."""
        envelope = report(answer, case_id, org, new_event_id(), datetime.now(UTC))
        refusals = await self.nc.subscribe(subjects.rejected(org, answer.event_type))
        try:
            await self.nc.flush()
            try:
                ack = await self.js.publish(
                    subjects.inbox(org, answer.event_type), encode(envelope), headers={"Nats-Msg-Id": envelope.id}
                )
            except (nats.errors.Error, TimeoutError) as exc:
                log.error("desk answer not sent", org=org, case_id=case_id, answer=answer.event_type, error=repr(exc))
                raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the answer could not be sent; try again") from exc
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.answer_timeout_s
            while loop.time() < deadline:
                case = self.projection.cases.get(case_id)
                if case is not None and envelope.id in case.handled:
                    return Outcome("recorded")
                try:
                    msg = await refusals.next_msg(timeout=0.05)
                except nats.errors.TimeoutError:
                    continue
                headers = msg.headers or {}
                if headers.get(HEADER_ORIGINAL_SEQUENCE) == str(ack.seq):
                    return Outcome(
                        "refused", headers.get(HEADER_CODE), headers.get(HEADER_REASON), headers.get(HEADER_FIELD) or None
                    )
            return Outcome("pending")
        finally:
            await refusals.unsubscribe()


ANSWERS: dict[str, Callable[..., DomainEvent]] = {
    "accept": lambda task_id, **_: TaskAccepted(task_id=task_id),
    "decline": lambda task_id, reason, **_: TaskDeclined(task_id=task_id, reason=reason),
    "start": lambda task_id, **_: TaskStarted(task_id=task_id),
    "complete": lambda task_id, **_: TaskCompleted(task_id=task_id),
    "cancel": lambda task_id, reason, **_: TaskCancelled(task_id=task_id, reason=reason),
    "tick": lambda task_id, item, **_: ChecklistItemTicked(task_id=task_id, item=item),
}


# --- HTTP --------------------------------------------------------------------------------------------------


def for_people(refusal: AnswerResult) -> str:
    """notify's reason without the "field 'type': " that tells a partner system where to look."""
    reason = refusal.reason or refusal.code or "refused"
    prefix = f"field '{refusal.field}': "
    return reason[len(prefix):] if refusal.field and reason.startswith(prefix) else reason


def _answer_response(result: AnswerResult) -> JSONResponse:
    code = status.HTTP_200_OK
    if result.outcome == "refused":
        code = REFUSAL_STATUS.get(result.code or "", status.HTTP_409_CONFLICT)
    elif result.outcome == "pending":
        code = status.HTTP_202_ACCEPTED
    return JSONResponse(result.model_dump(mode="json"), status_code=code)


def create_web_app(the_desk: Desk) -> FastAPI:
    """The FastAPI application of the desk: the JSON API under /api, the pages around it."""
    app = FastAPIOffline(
        title="Warme Overdracht — handoff desk",
        version="1",
        description=(
            "The tasks of your organisation, along the HL7 FHIR Task states, and the cases they belong to. "
            "Authenticate with `Authorization: Bearer <your organisation's token>`. An answer is sent to notify as "
            "your organisation's report; the reply says whether it was recorded, refused (with the reason) or is "
            "still pending."
        ),
    )
    pages = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    bearer = HTTPBearer(auto_error=False, description="The organisation's token.")

    # --- API ---------------------------------------------------------------------------------------------

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
        403: {"model": AnswerResult, "description": "Refused: only the owner (or, to cancel, the requester) may."},
        404: {"description": "No such case among yours, or no such task in it."},
        409: {"model": AnswerResult, "description": "Refused: the task's status does not allow it (reason given)."},
    }

    @app.get("/api/me", response_model=MeView, tags=["desk"])
    async def me(org: Org) -> MeView:
        """The organisation the token belongs to."""
        return MeView(org=org, kind=organisation_kind(org) or "unknown", coordinator_of=desk.coordinated_municipality(org))

    @app.get("/api/tasks", response_model=InboxView, tags=["desk"])
    async def inbox(org: Org) -> InboxView:
        """The inbox: open tasks the organisation owns (overdue first, then by due date) and open tasks it requested."""
        return the_desk.inbox(org)

    @app.get("/api/cases/{case_id}", response_model=CaseView, tags=["desk"], responses={404: {"description": "No such case among yours."}})
    async def case(org: Org, case_id: str) -> CaseView:
        """A case: who is responsible for the young person now, its tasks, and its timeline in plain language."""
        return await the_desk.case(org, case_id)

    @app.get("/api/coordinator", response_model=CoordinatorView, tags=["desk"], responses={403: {"description": "Not a coordinator."}})
    async def coordinator(org: Org) -> CoordinatorView:
        """For a municipality's coordinator: open support gaps and open escalations in its area."""
        return the_desk.coordinator(org)

    async def api_answer(org: str, case_id: str, task_id: str, answer: DomainEvent) -> JSONResponse:
        return _answer_response(await the_desk.answer(org, case_id, task_id, answer))

    @app.post("/api/cases/{case_id}/tasks/{task_id}/accept", response_model=AnswerResult, responses=answer_responses, tags=["answers"])
    async def accept(org: Org, case_id: str, task_id: str) -> JSONResponse:
        """The owner accepts a requested task."""
        return await api_answer(org, case_id, task_id, TaskAccepted(task_id=task_id))

    @app.post("/api/cases/{case_id}/tasks/{task_id}/decline", response_model=AnswerResult, responses=answer_responses, tags=["answers"])
    async def decline(org: Org, case_id: str, task_id: str, body: ReasonBody) -> JSONResponse:
        """The owner declines a requested task, saying why."""
        return await api_answer(org, case_id, task_id, TaskDeclined(task_id=task_id, reason=body.reason))

    @app.post("/api/cases/{case_id}/tasks/{task_id}/start", response_model=AnswerResult, responses=answer_responses, tags=["answers"])
    async def start(org: Org, case_id: str, task_id: str) -> JSONResponse:
        """The owner starts work on an accepted task (FHIR in-progress)."""
        return await api_answer(org, case_id, task_id, TaskStarted(task_id=task_id))

    @app.post("/api/cases/{case_id}/tasks/{task_id}/complete", response_model=AnswerResult, responses=answer_responses, tags=["answers"])
    async def complete(org: Org, case_id: str, task_id: str) -> JSONResponse:
        """The owner completes an accepted or started task (every checklist item ticked)."""
        return await api_answer(org, case_id, task_id, TaskCompleted(task_id=task_id))

    @app.post("/api/cases/{case_id}/tasks/{task_id}/cancel", response_model=AnswerResult, responses=answer_responses, tags=["answers"])
    async def cancel(org: Org, case_id: str, task_id: str, body: ReasonBody) -> JSONResponse:
        """The requester withdraws a task that is not completed, saying why."""
        return await api_answer(org, case_id, task_id, TaskCancelled(task_id=task_id, reason=body.reason))

    @app.post(
        "/api/cases/{case_id}/tasks/{task_id}/checklist/{item}/tick",
        response_model=AnswerResult, responses=answer_responses, tags=["answers"],
    )
    async def tick(org: Org, case_id: str, task_id: str, item: str) -> JSONResponse:
        """The owner ticks one checklist item of an accepted or started task."""
        return await api_answer(org, case_id, task_id, ChecklistItemTicked(task_id=task_id, item=item[:100]))

    # --- pages -------------------------------------------------------------------------------------------

    def render(name: str, session: Session | None, code: int = 200, **context: Any) -> HTMLResponse:
        notices, csrf, org = [], "", None
        if session is not None:
            notices, session.notices = session.notices, []
            csrf, org = session.csrf, session.org
        body = pages.get_template(name).render(
            org=org, csrf=csrf, notices=notices, coordinator_of=desk.coordinated_municipality(org) if org else None,
            action_text=ACTION_TEXT, **context,
        )
        return HTMLResponse(body, status_code=code, headers={"Cache-Control": "no-store"})

    def page_session(request: Request) -> Session | None:
        return the_desk.sessions.get(request.cookies.get(SESSION_COOKIE))

    def to_signin() -> RedirectResponse:
        return RedirectResponse("/signin", status_code=status.HTTP_303_SEE_OTHER)

    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        return RedirectResponse("/inbox" if page_session(request) else "/signin", status_code=status.HTTP_303_SEE_OTHER)

    @app.get("/signin", include_in_schema=False)
    async def signin_page(request: Request) -> Response:
        return render("signin.html", None)

    @app.post("/signin", include_in_schema=False)
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

    @app.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        the_desk.sessions.close(request.cookies.get(SESSION_COOKIE))
        response = to_signin()
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/inbox", include_in_schema=False)
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

    @app.get("/cases/{case_id}", include_in_schema=False)
    async def case_page(request: Request, case_id: str) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        try:
            view = await the_desk.case(session.org, case_id)
        except HTTPException as exc:
            return render("error.html", session, exc.status_code, message=exc.detail)
        return render("case.html", session, view=view)

    @app.get("/coordinator", include_in_schema=False)
    async def coordinator_page(request: Request) -> Response:
        session = page_session(request)
        if session is None:
            return to_signin()
        try:
            view = the_desk.coordinator(session.org)
        except HTTPException as exc:
            return render("error.html", session, exc.status_code, message=exc.detail)
        return render("coordinator.html", session, view=view)

    @app.post("/cases/{case_id}/tasks/{task_id}/{action}", include_in_schema=False)
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

    # --- the agenda of the integral meeting (README "Chain monitoring", services/monitoring) --------------

    agenda_directory: list = []  # the organisation directory, loaded on first use

    async def meeting_agenda(org: str, on: str, since: str):
        """The agenda of the municipality `org` coordinates, from every stored event, as of `on`
        (default: the desk's today); 403 for anyone but a coordinator."""
        from services.monitoring.agenda import agenda
        from services.monitoring.store import load_histories
        from services.runtime.directory import load_directory
        from services.runtime.settings import Settings

        code = desk.coordinated_municipality(org)
        if code is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only a municipality's coordinator (regie-gm…) has the agenda")
        try:
            as_of = date.fromisoformat(on) if on else the_desk.clock.today()[0]
            previous = date.fromisoformat(since) if since else None
        except ValueError:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "date and since are days like 2026-09-15") from None
        if not agenda_directory:
            agenda_directory.append(load_directory(Settings().directory or None))
        try:
            return agenda(await load_histories(the_desk.nc), code, as_of, agenda_directory[0], previous)
        except ValueError as exc:  # a coordinator of a municipality the directory does not know
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None

    @app.get("/coordinator/agenda", include_in_schema=False)
    async def agenda_page(request: Request) -> Response:
        """The coordinator's agenda for the integral meeting; ?date=, ?since=, ?format=html|md|json."""
        from services.monitoring.render import agenda_data, to_html_fragment, to_markdown

        session = page_session(request)
        if session is None:
            return to_signin()
        query = request.query_params
        try:
            found = await meeting_agenda(session.org, query.get("date", ""), query.get("since", ""))
        except HTTPException as exc:
            return render("error.html", session, exc.status_code, message=exc.detail)
        no_store = {"Cache-Control": "no-store"}
        if query.get("format") == "json":
            return JSONResponse(agenda_data(found), headers=no_store)
        if query.get("format") == "md":
            return Response(to_markdown(found), media_type="text/markdown; charset=utf-8", headers=no_store)
        return render("agenda.html", session, agenda=found, fragment=to_html_fragment(found))

    return app


# --- running it inside notify ---------------------------------------------------------------------------


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside notify's event loop: notify (FastStream) owns the signals, not uvicorn."""

    def capture_signals(self):  # type: ignore[override]
        return contextlib.nullcontext()


class DeskServer:
    """The desk's HTTP server on `host:port`, started and stopped with notify."""

    def __init__(self, the_desk: Desk, host: str, port: int) -> None:
        self.desk = the_desk
        self.host, self.port = host, port
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> bool:
        """Listen and serve; False (logged as an error) when the port cannot be had: notify then
        goes on delivering and escalating tasks without its desk."""
        try:
            sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except OSError as exc:
            log.error("handoff desk cannot listen; notify runs without it", host=self.host, port=self.port, error=str(exc))
            return False
        await self.desk.start()
        config = uvicorn.Config(
            create_web_app(self.desk), log_config=None, access_log=False, lifespan="off", server_header=False,
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="handoff-desk")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise RuntimeError("the handoff desk stopped while starting")
            await asyncio.sleep(0.01)
        log.info("handoff desk listening", url=self.url, organisations_with_tokens=len(self.desk.tokens))
        return True

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.gather(self._task, return_exceptions=True)
        self._server, self._task = None, None
        await self.desk.stop()
