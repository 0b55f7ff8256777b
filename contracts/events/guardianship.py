"""Events of guardianship: the young person's support (source §2.3, §3.4, §4.2)."""

from datetime import date
from typing import ClassVar

from pydantic import Field

from contracts.events.base import DomainEvent, EducationLevel, SupportEnd
from contracts.ids import OrgId

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
