"""The domain events: the `data` of a CloudEvent, one pydantic model per event type and version.

Every model is strict (`extra="forbid"`): an unknown field is refused, because it may be personal
data (a name, a BSN) slipping in. Each class says which service stores it and which kinds of
partner organisation may report it through the inbox (none: only our services derive it).
"""

from contextvars import ContextVar
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from contracts.envelope import CloudEvent, derived_event_id, org_source, service_source, type_name
from contracts.ids import ORGANISATION_KINDS, MunicipalityCode, OrgId

ALL_PARTNERS = frozenset(ORGANISATION_KINDS)

# --- personal data (README "Privacy") ------------------------------------------------------------

PERSONAL_DATA = "x-personal-data"
"""JSON Schema keyword (and `json_schema_extra` key) of a field that holds personal data. The event
store keeps such a field encrypted with its case's key (services/runtime/privacy.py); once the case
is erased it reads back as None. The date of birth is the only one: the rules need nothing else."""

_reading_stored_event: ContextVar[bool] = ContextVar("reading_stored_event", default=False)


def _required_unless_erased(value: object) -> object:
    # None stands for an erased personal field of a stored event (`data_of`); a report or a
    # newly made event must carry the value.
    if value is None and not _reading_stored_event.get():
        raise ValueError("may not be null: the value is required")
    return value


PersonalDate = Annotated[
    date | None,
    AfterValidator(_required_unless_erased),
    WithJsonSchema({"type": "string", "format": "date"}),
]
"""A date that is personal data: required on the wire; None only when read back from the store
after the case was erased (crypto-shredding)."""


def personal_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` marked as personal data (`json_schema_extra={PERSONAL_DATA: True}`)."""
    return tuple(
        name
        for name, info in model.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(PERSONAL_DATA) is True
    )


HandoffKind = Literal[
    "file-reunification-application",
    "plan-transition-meeting",
    "plan-family-housing",
    "brede-intake-pip",
    "social-guidance-parents",
    "petition-guardianship-transfer",
    "aftercare-district-team",
    "aftercare-social-guidance",
    "transition-18-plus",
    "district-team-handover",
    "school-continuity",
    "relieve-young-carer",
    "support-gap",
    "escalation",
]
EducationLevel = Literal["isk", "full-time", "part-time", "none"]
Decision = Literal["approved", "rejected"]
HousingKind = Literal["family-home", "temporary-family-home", "azc"]
SupportEnd = Literal["guardianship-transferred", "turned-18", "extension-ended"]


class DomainEvent(BaseModel):
    """Base of every event's data."""

    # hide_input_in_errors: a validation error, when it is logged, names the field, never its value.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    service: ClassVar[str]
    reporters: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # An earlier version (contracts/versions.py) names its type explicitly: HousingAssignedV1 is HousingAssigned.
        cls.event_type = cls.__dict__.get("event_type", cls.__name__)

    @classmethod
    def type_name(cls) -> str:
        return type_name(cls.event_type, cls.version)


# --- intake: the reunification application (source §2.1) ----------------------------------


class ResidencePermitGranted(DomainEvent):
    """The young person received a residence permit; the 3-month filing clock starts."""

    service: ClassVar[str] = "intake"
    reporters: ClassVar[frozenset[str]] = frozenset({"nidos", "ind"})

    date_of_birth: PersonalDate = Field(
        description="The only personal datum the rules need (17½ and 18th birthday). Personal data: stored "
        "encrypted with the case's key, unreadable once the case is erased.",
        json_schema_extra={PERSONAL_DATA: True},
    )
    municipality: MunicipalityCode = Field(description="CBS code of the municipality the young person lives in.")
    permit_date: date


class ApplicationFiled(DomainEvent):
    """Nidos' reunification officer filed the application for the parents with the IND."""

    service: ClassVar[str] = "intake"
    reporters: ClassVar[frozenset[str]] = frozenset({"nidos"})

    filed_on: date


class DnaTestOffered(DomainEvent):
    """The IND offered a DNA test because documents proving the family tie are missing."""

    service: ClassVar[str] = "intake"
    reporters: ClassVar[frozenset[str]] = frozenset({"ind"})

    offered_on: date


class ApplicationDecided(DomainEvent):
    """The IND decided the application."""

    service: ClassVar[str] = "intake"
    reporters: ClassVar[frozenset[str]] = frozenset({"ind", "nidos"})

    decision: Decision
    decided_on: date


class ParentsArrived(DomainEvent):
    """The parents arrived in the Netherlands and were assigned to a municipality."""

    service: ClassVar[str] = "intake"
    reporters: ClassVar[frozenset[str]] = frozenset({"coa", "municipality"})

    arrival_date: date
    municipality: MunicipalityCode = Field(description="Municipality the parents are assigned to.")


class FilingDeadlineApproaching(DomainEvent):
    """Four weeks before the 3-month filing deadline, nothing has been filed yet."""

    service: ClassVar[str] = "intake"

    deadline: date


class FilingDeadlineMissed(DomainEvent):
    """The 3-month filing deadline passed without an application."""

    service: ClassVar[str] = "intake"

    deadline: date


LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
"""An ISO 639 language code: 'ti' (Tigrinya), 'ar' (Arabic), 'am' (Amharic), 'tig' (Tigre)."""


class LanguageNeeds(BaseModel):
    """The family's contact language(s) and whether an interpreter or a key person (sleutelpersoon)
    is needed and arranged (§3.6: Eritrean parents often cannot make their needs understood; §4.3:
    interpreters and key persons bridge families and organisations)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    languages: tuple[LanguageCode, ...] = Field(
        min_length=1, max_length=6, description="ISO 639 codes of the languages to contact the family in, first the best."
    )
    interpreter_needed: bool = Field(description="The family needs an interpreter to be understood and to understand.")
    interpreter_arranged: bool = Field(default=False, description="An interpreter is arranged for contacts with the family.")
    key_person_needed: bool = Field(
        default=False, description="A key person (sleutelpersoon) from the community should bridge family and organisations."
    )
    key_person_arranged: bool = Field(default=False, description="A key person is arranged.")

    @property
    def support_missing(self) -> bool:
        """An interpreter or key person is needed and none is arranged: arrange one before contact."""
        return (self.interpreter_needed and not self.interpreter_arranged) or (
            self.key_person_needed and not self.key_person_arranged
        )


class LanguageNeedsReported(DomainEvent, LanguageNeeds):
    """A partner reports the family's contact language(s) and interpreter and key-person needs
    (§3.6, §4.3). The latest report replaces earlier ones; every task sent afterwards carries it."""

    service: ClassVar[str] = "intake"
    reporters: ClassVar[frozenset[str]] = frozenset({"nidos", "coa", "municipality", "vwn"})

    def needs(self) -> LanguageNeeds:
        return LanguageNeeds.model_validate(self.model_dump())


# --- guardianship: the young person's support (source §2.3, §3.4, §4.2) ----------------------


class GuardianAssigned(DomainEvent):
    """Nidos is the young person's guardian."""

    service: ClassVar[str] = "guardianship"
    reporters: ClassVar[frozenset[str]] = frozenset({"nidos"})

    guardian: OrgId = "nidos"
    since: date


class EducationEnrolled(DomainEvent):
    """The young person's education now: ISK, full-time, part-time or none."""

    service: ClassVar[str] = "guardianship"
    reporters: ClassVar[frozenset[str]] = frozenset({"school", "nidos", "rmc"})

    level: EducationLevel
    since: date
    school: OrgId | None = Field(default=None, description="Organisation id of the school, e.g. school-isk-tilburg.")


class SchoolAbsenceReported(DomainEvent):
    """The school or RMC signals absence: the young person may be carrying the parents (§3.4)."""

    service: ClassVar[str] = "guardianship"
    reporters: ClassVar[frozenset[str]] = frozenset({"school", "rmc"})

    reported_on: date
    days_absent: int = Field(ge=1, le=366)


class GuardianshipTransferRequested(DomainEvent):
    """Nidos petitioned the court to transfer guardianship to the parents."""

    service: ClassVar[str] = "guardianship"
    reporters: ClassVar[frozenset[str]] = frozenset({"nidos"})

    petition_filed_on: date


class GuardianshipTransferred(DomainEvent):
    """The court transferred guardianship to the parents; Nidos' guardianship ends."""

    service: ClassVar[str] = "guardianship"
    reporters: ClassVar[frozenset[str]] = frozenset({"nidos"})

    transferred_on: date


class Turned18(DomainEvent):
    """The young person turned 18 (derived from the date of birth when that day starts)."""

    service: ClassVar[str] = "guardianship"

    birthday: date


class SupportExtended(DomainEvent):
    """Support continues past its usual end, until a date (as Tilburg does with Nidos)."""

    service: ClassVar[str] = "guardianship"
    reporters: ClassVar[frozenset[str]] = frozenset({"nidos", "municipality"})

    until: date
    by: OrgId


class SupportEnded(DomainEvent):
    """Support by `by` ended, and a successor had accepted: a warm end."""

    service: ClassVar[str] = "guardianship"

    ended_on: date
    by: OrgId
    reason: SupportEnd
    successor_handoff_id: str


class SupportGapDetected(DomainEvent):
    """Support ended while no successor had accepted: the case fell between two organisations."""

    service: ClassVar[str] = "guardianship"

    detected_on: date
    by: OrgId
    reason: SupportEnd
    successor_handoff_id: str | None = None


class SupportGapClosed(DomainEvent):
    """The successor accepted after all: the gap is closed."""

    service: ClassVar[str] = "guardianship"

    gap_event_id: str
    closed_by_handoff_id: str


# --- housing: the family's home (source §2.2, §3.2) ------------------------------------------


class HousingAssigned(DomainEvent):
    """The family got a home, a temporary home, or the parents a place in an AZC, in a municipality.

    v2 (v1 and its upcaster: contracts/versions.py): a family first housed in a temporary home
    ('temporary-family-home': the family lives together, a permanent home will follow) can report
    the permanent 'family-home' later, where v1 had to call the temporary home the family home."""

    version: ClassVar[int] = 2
    service: ClassVar[str] = "housing"
    reporters: ClassVar[frozenset[str]] = frozenset({"coa", "municipality"})

    municipality: MunicipalityCode
    housing: HousingKind = Field(
        description="family-home: the family's own home; temporary-family-home: the family lives together in a "
        "temporary home until a permanent one; azc: the parents are in COA reception, the young person not with them."
    )
    housed_on: date


class CohabitationDutyStarted(DomainEvent):
    """The young person must live with the parents for a year."""

    service: ClassVar[str] = "housing"

    starts_on: date
    ends_on: date


class CohabitationExempted(DomainEvent):
    """The young person is exempt from the cohabitation duty."""

    service: ClassVar[str] = "housing"

    reason: Literal["full-time-education"]
    education: EducationLevel
    exempted_on: date


class CohabitationDutyEnded(DomainEvent):
    """The cohabitation year is over."""

    service: ClassVar[str] = "housing"

    ended_on: date


class FamilyRelocated(DomainEvent):
    """The family moved to another municipality."""

    service: ClassVar[str] = "housing"
    reporters: ClassVar[frozenset[str]] = frozenset({"coa", "municipality"})

    from_municipality: MunicipalityCode
    to_municipality: MunicipalityCode
    moved_on: date


# --- handoffs (all services request; notify delivers and records) ------------------------------


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
    reason: str = Field(min_length=3, max_length=500)


class HandoffCompleted(DomainEvent):
    """The owner organisation completed the handoff's task."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    completed_by: OrgId


class HandoffEscalated(DomainEvent):
    """Nobody accepted the handoff by its due date: escalated to the municipality's coordinator."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    escalated_to: OrgId
    overdue_since: date


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
    reason: str = Field(min_length=3, max_length=500)


class ChecklistItemChecked(DomainEvent):
    """The owner organisation ticked one item of the handoff's checklist (e.g. 'digid' of the 18+ transition)."""

    service: ClassVar[str] = "notify"

    handoff_id: str
    item: str
    checked_by: OrgId


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
    checklist: tuple[str, ...] = ()
    language: LanguageNeeds | None = Field(
        default=None, description="The family's contact language(s) and interpreter/key-person needs (§3.6, §4.3)."
    )
    language_support_missing: bool = Field(
        default=False,
        description="True when the family needs an interpreter or key person and none is arranged: arrange one first.",
    )


class TaskAccepted(DomainEvent):
    """The owner organisation accepts a task it received (published to its own inbox)."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: str


class TaskDeclined(DomainEvent):
    """The owner organisation declines a task it received, saying why."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: str
    reason: str = Field(min_length=3, max_length=500)


class TaskCompleted(DomainEvent):
    """The owner organisation completed a task it accepted."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: str


class TaskStarted(DomainEvent):
    """The owner organisation started work on a task it accepted."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: str


class TaskCancelled(DomainEvent):
    """The requester organisation withdraws a task it asked for (not once it is completed), saying why."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: str
    reason: str = Field(min_length=3, max_length=500)


class ChecklistItemTicked(DomainEvent):
    """The owner organisation ticks one item of the task's checklist (an id from TaskOpened.checklist)."""

    service: ClassVar[str] = "notify"
    reporters: ClassVar[frozenset[str]] = ALL_PARTNERS

    task_id: str
    item: str = Field(min_length=1, max_length=100)


# --- time --------------------------------------------------------------------------------------


class DayStarted(DomainEvent):
    """A day started (published on amv.clock.day). Every deadline is evaluated when a day starts."""

    service: ClassVar[str] = "clock"

    date: date


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.event_type: cls
    for cls in DomainEvent.__subclasses__()
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


def derive_on_day(event: DomainEvent, case_id: str, day: date, rule: str, service: str, key: str = "") -> CloudEvent:
    """The envelope of an event that `rule` derives when a day starts.

    Its id depends on the case, the rule and `key` (not on the day), so a rule fires once per
    case and key however many days pass or are replayed."""
    from contracts.clock import start_of

    return CloudEvent(
        id=derived_event_id(f"{case_id}/{key}", rule),
        source=service_source(service),
        type=event.type_name(),
        subject=case_id,
        time=start_of(day),
        data=event.model_dump(mode="json"),
        causationid=f"day-{day.isoformat()}",
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
    """The typed data of a stored envelope, as the current version of its type: an earlier version
    (e.g. HousingAssigned.v1) is upcast (contracts/versions.py). KeyError for an unknown type.
    A personal field of an erased case is None here (and only here: reports must carry it)."""
    from contracts.versions import read_data  # versions imports this module

    reading = _reading_stored_event.set(True)
    try:
        return read_data(envelope.event_type, envelope.version, envelope.data)
    finally:
        _reading_stored_event.reset(reading)
