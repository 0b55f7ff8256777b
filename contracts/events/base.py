"""The base of every event's data: `DomainEvent`, the marking of personal data, and the value
types the events share.

Every model is strict (`extra="forbid"`): an unknown field is refused, because it may be personal
data (a name, a BSN) slipping in. Each class says which service stores it and which kinds of
partner organisation may report it through the inbox (none: only our services derive it).
"""

from contextvars import ContextVar
from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema

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
