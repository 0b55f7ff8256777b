"""The domain events: the `data` of a CloudEvent, one pydantic model per event type and version.

Every model is strict (`extra="forbid"`): an unknown field is refused, because it may be personal
data (a name, a BSN) slipping in. Each class says which service stores it and which kinds of
partner organisation may report it through the inbox (none: only our services derive it).
"""

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import CloudEvent, derived_event_id, org_source, service_source, type_name
from contracts.ids import MunicipalityCode, OrgId

ALL_PARTNERS = frozenset({"nidos", "ind", "coa", "vwn", "municipality", "wijkteam", "school", "rmc"})

HandoffKind = Literal["plan-transition-meeting"]


class DomainEvent(BaseModel):
    """Base of every event's data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    service: ClassVar[str]
    reporters: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.event_type = cls.__name__

    @classmethod
    def type_name(cls) -> str:
        return type_name(cls.event_type, cls.version)


# --- intake: the reunification application -------------------------------------------------


class ResidencePermitGranted(DomainEvent):
    """The young person received a residence permit; the 3-month filing clock starts."""

    service: ClassVar[str] = "intake"
    reporters: ClassVar[frozenset[str]] = frozenset({"nidos", "ind"})

    date_of_birth: date = Field(description="The only personal datum the rules need (18th birthday).")
    municipality: MunicipalityCode = Field(description="CBS code of the municipality the young person lives in.")
    permit_date: date


class ApplicationFiled(DomainEvent):
    """Nidos' reunification officer filed the application for the parents with the IND."""

    service: ClassVar[str] = "intake"
    reporters: ClassVar[frozenset[str]] = frozenset({"nidos"})

    filed_on: date


# --- handoffs --------------------------------------------------------------------------------


class HandoffRequested(DomainEvent):
    """A rule asks the owner organisation to take over (part of) the case before the requester stops."""

    service: ClassVar[str] = "intake"

    handoff_id: str
    kind: HandoffKind
    requester: OrgId
    owner: OrgId
    due: date
    invited: tuple[OrgId, ...] = ()


class HandoffNotified(DomainEvent):
    """notify delivered the task of a handoff to its owner."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    kind: HandoffKind
    requester: OrgId
    owner: OrgId
    due: date
    channel: Literal["nats"]


class HandoffAccepted(DomainEvent):
    """A person at the owner organisation accepted the handoff's task."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    accepted_by: OrgId


# --- tasks: what an organisation receives and answers -----------------------------------------


class TaskOpened(DomainEvent):
    """Published on amv.tasks.<owner>.TaskOpened: a task for the owner organisation."""

    service: ClassVar[str] = "notify"

    task_id: str
    kind: HandoffKind
    requester: OrgId
    owner: OrgId
    due: date
    invited: tuple[OrgId, ...] = ()


class TaskAccepted(DomainEvent):
    """The owner organisation accepts a task it received (published to its own inbox)."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: str


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.event_type: cls
    for cls in (
        ResidencePermitGranted,
        ApplicationFiled,
        HandoffRequested,
        HandoffNotified,
        HandoffAccepted,
        TaskOpened,
        TaskAccepted,
    )
}


def event_class(event_type: str) -> type[DomainEvent] | None:
    return EVENT_TYPES.get(event_type)


def inbox_types(service: str) -> list[str]:
    """The event types partners report through the inbox that `service` consumes."""
    return sorted(name for name, cls in EVENT_TYPES.items() if cls.reporters and cls.service == service)


def derive(
    event: DomainEvent, cause: CloudEvent, rule: str, service: str, case_id: str | None = None
) -> CloudEvent:
    """The envelope of an event that `rule` of `service` derives from `cause`.

    Its id is deterministic and its time is the cause's time, so a replay derives the very same
    event, byte for byte.
    """
    return CloudEvent(
        id=derived_event_id(cause.id, rule),
        source=service_source(service),
        type=event.type_name(),
        subject=case_id or cause.subject,
        time=cause.time,
        data=event.model_dump(mode="json"),
        causationid=cause.id,
    )


def report(event: DomainEvent, case_id: str, org: str, event_id: str, time: datetime) -> CloudEvent:
    """The envelope a partner organisation publishes to amv.inbox.<org>.<EventType>."""
    return CloudEvent(
        id=event_id,
        source=org_source(org),
        type=event.type_name(),
        subject=case_id,
        time=time,
        data=event.model_dump(mode="json"),
    )


def data_of(envelope: CloudEvent) -> DomainEvent:
    """The typed data of a stored envelope."""
    cls = EVENT_TYPES[envelope.event_type]
    return cls.model_validate(envelope.data)
