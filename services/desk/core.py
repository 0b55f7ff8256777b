"""The desk's core, without HTTP: what the pages and the API read and the answers they send.

- Reads come from a read model of notify's cases (every case's tasks, folded by notify's own
  decider) and, for a case page, the case's events in the store; "today" is the day of the
  last `DayStarted` (`clock.LatestDay`).
- Writes are the organisation's own reports: the desk publishes the CloudEvent a partner system
  would publish to amv.inbox.<org>.<TaskAccepted|…>, then waits until notify recorded it (its id
  shows up in the read model as a handled cause) or refused it (amv.rejected.<org>.…). The rules
  stay in notify, nowhere else.
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime

import nats.errors
import structlog
from fastapi import HTTPException, status
from nats.aio.client import Client as NATS

from contracts import subjects
from contracts.envelope import CloudEvent, new_event_id
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
from services.desk import desk
from services.desk.clock import LatestDay
from services.desk.sessions import Sessions
from services.desk.tokens import OrgTokens
from services.desk.views import (
    AnswerResult,
    CaseView,
    ChecklistItemView,
    CoordinatorView,
    EscalationView,
    GapView,
    InboxView,
    Outcome,
    ResponsibleView,
    TaskView,
    TimelineEntryView,
)
from services.monitoring.timeline import KIND_TEXT
from services.notify.state import NotifyCase, Task
from services.runtime.eventstore import EventStore, encode
from services.runtime.projection import Projection
from services.runtime.rejections import HEADER_CODE, HEADER_FIELD, HEADER_ORIGINAL_SEQUENCE, HEADER_REASON

log = structlog.get_logger()
ANSWER_TIMEOUT_S = 10.0
# The report each action of a page or the API sends (the fields it does not use are ignored).
ANSWERS: dict[str, Callable[..., DomainEvent]] = {
    "accept": lambda task_id, **_: TaskAccepted(task_id=task_id),
    "decline": lambda task_id, reason, **_: TaskDeclined(task_id=task_id, reason=reason),
    "start": lambda task_id, **_: TaskStarted(task_id=task_id),
    "complete": lambda task_id, **_: TaskCompleted(task_id=task_id),
    "cancel": lambda task_id, reason, **_: TaskCancelled(task_id=task_id, reason=reason),
    "tick": lambda task_id, item, **_: ChecklistItemTicked(task_id=task_id, item=item),
}


class Desk:
    """What the pages and the API do, over a NATS connection, a read model of notify's cases and the store."""

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
        """The case, for an organisation with a current or past role in it (`desk.can_see_case`: it
        owns or requested one of its tasks, or coordinates a municipality its facts name); a 404 for
        anyone else. Those tasks and municipalities come only from reports of organisations with a
        role in the case (contracts/involvement.py: anyone else is refused `not-involved`), so no
        outsider's report can make a case visible to itself (issue 14: the case takeover)."""
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

    async def case_history(self, org: str, case_id: str) -> tuple[NotifyCase, list[CloudEvent]]:
        """A case `org` can see and its stored events, for the page that says them in the reader's language."""
        case = self.visible_case(org, case_id)
        return case, list((await self.store.load_case("notify", case_id)).events)

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
