"""Events of handoffs: all services request one; notify delivers and records what happens to it."""

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from contracts.events.base import DomainEvent, EscalationStep, FreeText, HandoffKind
from contracts.events.intake import LanguageNeeds
from contracts.ids import MunicipalityCode, OrgId

class HandoffRequested(DomainEvent):
    """A rule asks the owner organisation to take over (part of) the case before the requester stops.

    Any service may store it in its own subjects; notify turns every one into a task."""

    service: ClassVar[str] = "*"

    handoff_id: str
    kind: HandoffKind
    requester: OrgId
    owner: OrgId
    due: date
    municipality: MunicipalityCode = Field(description="Municipality that coordinates the case.")
    invited: tuple[OrgId, ...] = ()
    checklist: tuple[str, ...] = ()
    escalates: str | None = Field(default=None, description="For an escalation: the handoff it escalates.")
    escalation_step: EscalationStep | None = Field(default=None, description="For an escalation: its step of the chain.")


class HandoffNotified(DomainEvent):
    """notify delivered the task of a handoff to its owner."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    kind: HandoffKind
    requester: OrgId
    owner: OrgId
    due: date
    municipality: MunicipalityCode
    invited: tuple[OrgId, ...] = ()
    checklist: tuple[str, ...] = ()
    channel: Literal["nats"] = "nats"
    escalates: str | None = Field(default=None, description="For an escalation: the handoff it escalates.")
    escalation_step: EscalationStep | None = Field(default=None, description="For an escalation: its step of the chain.")
    language: LanguageNeeds | None = Field(default=None, description="The family's language needs, when reported.")
    language_support_missing: bool = Field(
        default=False, description="The family needs an interpreter or key person and none is arranged."
    )


class HandoffAccepted(DomainEvent):
    """A person at the owner organisation accepted the handoff's task."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    accepted_by: OrgId


class HandoffDeclined(DomainEvent):
    """The owner organisation declined the handoff's task, with a reason."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    declined_by: OrgId
    reason: FreeText


class HandoffCompleted(DomainEvent):
    """The owner organisation completed the handoff's task; or an escalation resolved itself because the
    task it escalates was accepted or completed (then `completed_by` is the organisation that did so)."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    completed_by: OrgId
    reason: FreeText | None = Field(default=None, description="Why, when the system completed it (an escalation resolved).")


class HandoffEscalated(DomainEvent):
    """Nobody accepted the handoff by its due date: escalated, one step of the chain at a time (first the
    owner organisation's own coordinator, then the municipality's integral meeting; docs/rules.md rule 14)."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    escalated_to: OrgId
    overdue_since: date
    step: EscalationStep | None = Field(default=None, description="The step of the chain; none before the chain existed.")
    escalation_id: str | None = Field(default=None, description="The escalation task's id (its handoff_id).")


class HandoffStarted(DomainEvent):
    """The owner organisation started work on the handoff's task (FHIR Task status in-progress)."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    started_by: OrgId


class HandoffCancelled(DomainEvent):
    """The requester withdrew the handoff's task before it was completed, with a reason."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    cancelled_by: OrgId
    reason: FreeText


class ChecklistItemChecked(DomainEvent):
    """The owner organisation ticked one item of the handoff's checklist (e.g. 'digid' of the 18+ transition)."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    item: str
    checked_by: OrgId


class HandoffOverdue(DomainEvent):
    """The handoff's task was still open the day after its due date (noted once per task)."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    due: date
    status: Literal["requested", "accepted", "in-progress"] = Field(description="Its FHIR Task status that day.")
