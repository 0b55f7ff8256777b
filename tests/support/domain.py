"""Writing a case's story for unit tests of the pure rules: reports, stored facts and days."""

from datetime import UTC, date, datetime
from types import ModuleType

from contracts.envelope import CloudEvent
from contracts.events import DomainEvent, data_of, report
from contracts.inbox import Rejection, Report
from tests.support.casefold import fold
from services.runtime.directory import load_directory

DIRECTORY = load_directory()
WHEN = datetime(2026, 1, 1, 9, tzinfo=UTC)


def reported(org: str, event: DomainEvent, case_id: str, event_id: str | None = None) -> Report:
    event_id = event_id or f"{case_id}-{event.event_type}-{abs(hash(event.model_dump_json())) % 10**8}"
    return Report(org, report(event, case_id, org, event_id, WHEN), event)


class Story:
    """The events of one case as a service's rules would see them, built step by step."""

    def __init__(self, state: ModuleType, rules: ModuleType, case_id: str = "case-story1") -> None:
        self.state, self.rules, self.case_id = state, rules, case_id
        self.events: list[CloudEvent] = []

    @property
    def case(self):
        return fold(self.state, self.case_id, self.events)

    def decide(self, org: str, event: DomainEvent, event_id: str | None = None) -> list[CloudEvent] | Rejection:
        return self.rules.decide(self.case, reported(org, event, self.case_id, event_id), DIRECTORY)

    def report(self, org: str, event: DomainEvent, event_id: str | None = None) -> list[CloudEvent]:
        """Decide on a report and store what it yields; fails if the report is refused."""
        outcome = self.decide(org, event, event_id)
        assert not isinstance(outcome, Rejection), outcome
        self.events += outcome
        return outcome

    def fact(self, org: str, event: DomainEvent) -> CloudEvent:
        """A fact another service stored (its rules are not run here)."""
        envelope = reported(org, event, self.case_id).envelope
        self.events.append(envelope)
        return envelope

    def store(self, envelopes: list[CloudEvent]) -> list[CloudEvent]:
        self.events += envelopes
        return envelopes

    def react(self, envelope: CloudEvent) -> list[CloudEvent]:
        return self.store(self.rules.react(self.case, envelope, DIRECTORY))

    def day(self, day: date) -> list[CloudEvent]:
        return self.store(self.rules.on_day(self.case, day, DIRECTORY))

    def days(self, first: date, last: date) -> list[CloudEvent]:
        """Every day from `first` to `last`, in order; what they yielded."""
        from datetime import timedelta

        found = []
        current = first
        while current <= last:
            found += self.day(current)
            current += timedelta(days=1)
        return found


def types_of(events: list[CloudEvent]) -> list[str]:
    return [e.event_type for e in events]


def data(events: list[CloudEvent], event_type: str) -> list[DomainEvent]:
    return [data_of(e) for e in events if e.event_type == event_type]


def with_facts(state: ModuleType, rules: ModuleType, *facts: tuple[str, DomainEvent]) -> Story:
    """A story whose case holds `facts` (org, event) as stored, its rules not run."""
    s = Story(state, rules)
    s.events = [reported(org, event, s.case_id).envelope for org, event in facts]
    return s


def not_involved(s: Story, org: str, event: DomainEvent) -> Rejection:
    """`org`'s report refused as from an organisation without a role in the case (contracts/involvement.py)."""
    outcome = s.decide(org, event)
    assert isinstance(outcome, Rejection) and (outcome.code, outcome.field) == ("not-involved", "source"), outcome
    return outcome
