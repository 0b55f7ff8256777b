"""The agenda of one meeting: its sections, in order, each made by its own module."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.envelope import CloudEvent
from services.monitoring.agenda.handoffs import open_handoffs, support_gaps
from services.monitoring.agenda.items import AgendaItem
from services.monitoring.agenda.reunification import reunifications
from services.monitoring.agenda.signals import cohabitation_ending, language_needs, moves, school_absence
from services.monitoring.agenda.turning18 import turning_18
from services.monitoring.casefile import cases_of
from services.runtime.directory import Directory

# §4.1: in Tilburg the partners "komen ... tweewekelijks bijeen voor integraal overleg": the
# previous meeting, and so the start of "since the previous meeting", is two weeks back by default.
MEETING_INTERVAL = timedelta(days=14)

SECTION_TITLES = {
    "turning-18": "Turning 17½ or 18 within six months",
    "reunification": "Reunifications in progress",
    "open-handoffs": "Open handoffs, overdue first",
    "support-gaps": "Open support gaps",
    "school-absence": "School absence since the previous meeting",
    "cohabitation-ending": "Cohabitation duties ending soon",
    "moves": "Moves between municipalities",
    "language": "Language, interpreters and key persons",
}


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple[AgendaItem, ...]


@dataclass(frozen=True)
class Agenda:
    municipality: str
    name: str
    as_of: date
    since: date
    cases: int
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def case_ids(self) -> set[str]:
        return {item.case_id for section in self.sections for item in section.items}


def agenda(
    histories: Mapping[str, Sequence[CloudEvent]],
    municipality: str,
    as_of: date,
    directory: Directory,
    since: date | None = None,
) -> Agenda:
    """The agenda of `municipality`'s integral meeting on `as_of`, from every case's events.
    School absence counts from `since` (the previous meeting; default two weeks before)."""
    local = directory.of(municipality)
    if local is None:
        raise ValueError(f"municipality {municipality} is not in the organisation directory")
    since = since if since is not None else as_of - MEETING_INTERVAL
    settings = directory.settings_for(municipality)
    cases = cases_of({k: list(v) for k, v in histories.items()}, municipality, as_of)
    sections = (
        Section("turning-18", SECTION_TITLES["turning-18"], turning_18(cases, as_of, local, settings)),
        Section("reunification", SECTION_TITLES["reunification"], reunifications(cases, as_of, local, settings)),
        Section("open-handoffs", SECTION_TITLES["open-handoffs"], open_handoffs(cases, as_of, local)),
        Section("support-gaps", SECTION_TITLES["support-gaps"], support_gaps(cases, as_of, local)),
        Section("school-absence", SECTION_TITLES["school-absence"], school_absence(cases, since, as_of, local)),
        Section("cohabitation-ending", SECTION_TITLES["cohabitation-ending"], cohabitation_ending(cases, as_of, local, settings)),
        Section("moves", SECTION_TITLES["moves"], moves(cases, since, as_of, local)),
        Section("language", SECTION_TITLES["language"], language_needs(cases, as_of, local)),
    )
    return Agenda(municipality, local.name, as_of, since, len(cases), sections)
