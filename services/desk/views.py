"""What the desk's API returns and its pages render: one pydantic model per view, the OpenAPI
description is generated from them."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints


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
