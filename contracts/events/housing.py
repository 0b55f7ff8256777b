"""Events of housing: the family's home (source §2.2, §3.2)."""

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from contracts.events.base import DomainEvent, EducationLevel, HousingKind
from contracts.ids import MunicipalityCode

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
