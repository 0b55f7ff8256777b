"""The base of every event's data: `DomainEvent`, the marking of personal data, and the value
types the events share.

Every model is strict (`extra="forbid"`): an unknown field is refused, because it may be personal
data (a name, a BSN) slipping in. Each class says which service stores it and which kinds of
partner organisation may report it through the inbox (none: only our services derive it).
"""

import re
from contextvars import ContextVar
from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from contracts.envelope import type_name
from contracts.ids import ORGANISATION_KINDS

ALL_PARTNERS = frozenset(ORGANISATION_KINDS)

# --- personal data (README "Privacy") ------------------------------------------------------------

PERSONAL_DATA = "x-personal-data"
"""JSON Schema keyword (and `json_schema_extra` key) of a field that holds personal data. The event
store keeps such a field encrypted with its case's key (services/runtime/privacy/); once the case
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


PERSONAL_DATA_ERROR = "personal_data"
"""The pydantic error type of free text that looks like personal data (the inbox: `personal-data`)."""

# What free text may not hold, and how it is recognised. A report's free text goes to other
# organisations and stays in the log, where only the date of birth can be erased: so a text that
# looks like an identifier of a person is refused, naming the field and the kind, never the text.
PERSONAL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an e-mail address", re.compile(r"[^\s@]+@[^\s@]+\.[A-Za-z]{2,}")),
    ("a phone number", re.compile(r"(?<![\w+])(?:\+|00)\d(?:[ .()-]{0,2}\d){7,14}(?!\d)|(?<![\w.-])0\d(?:[ .()-]{0,2}\d){8}(?!\d)")),
    ("a BSN", re.compile(r"(?<![\d.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .-]\d{3}[ .-]\d{3})(?![\d])")),
    ("a V-nummer", re.compile(r"(?<![\d.-])(?:[Vv][ -]?(?:nummer|nr\.?)?[ :]*)?\d{10}(?!\d)")),
)
FREE_TEXT_MAX = 500


def personal_kind(text: str) -> str | None:
    """What kind of personal identifier `text` seems to hold ('a BSN'), None if none."""
    for kind, pattern in PERSONAL_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def _screened(text: str) -> str:
    # Stored events are read as they were stored: the screen applies to what is reported or made now.
    if not _reading_stored_event.get() and (kind := personal_kind(text)) is not None:
        raise PydanticCustomError(
            PERSONAL_DATA_ERROR, "looks like {kind}: free text may not hold personal data", {"kind": kind}
        )
    return text


FreeText = Annotated[str, StringConstraints(min_length=3, max_length=FREE_TEXT_MAX), AfterValidator(_screened)]
"""A reason in words (3–500 characters), screened for BSN, V-nummer, e-mail and phone patterns."""

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_screened)]
"""A short label (1–100 characters, e.g. a checklist item), screened as `FreeText` is."""

TaskId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
"""The id of a task, as TaskOpened gave it (a UUID): 1–128 of `A-Z a-z 0-9 . _ : -`."""


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
EscalationStep = Literal["own-coordinator", "integral-meeting"]
"""The chain of an overdue task: first the owner organisation's own coordinator, then the municipality's
integral meeting (its coordinator, regie-gm…). docs/rules.md rule 14."""
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
