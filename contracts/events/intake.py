"""Events of intake: the reunification application (source §2.1), and the family's language needs."""

from datetime import date
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.events.base import PERSONAL_DATA, Decision, DomainEvent, PersonalDate
from contracts.ids import MunicipalityCode

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
