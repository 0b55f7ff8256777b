"""All four services' real, pure rules on one case, in memory: the events the system would store,
without NATS. For tests of what reads the whole history (the agenda, the journey figures).

A report goes to the service that owns its type (`decide`); every stored event is offered to the
services whose deciders react to it (their `reactions` tables: notify turns handoffs into tasks, guardianship
closes gaps, housing exempts); a day runs every service's `on_day`. Reports are recorded at ten in
the morning of their day, Amsterdam time, as partners publish them during office hours.
"""

from datetime import date, timedelta

from contracts.clock import start_of
from contracts.envelope import CloudEvent
from contracts.events import DomainEvent, TaskAccepted, TaskDeclined, report
from contracts.inbox import Rejection, Report
from services.bootstrap import DECIDERS
from tests.support.domain import DIRECTORY

SERVICES = {decider.service: decider for decider in DECIDERS}
OFFICE_HOURS = timedelta(hours=10)


class Chain:
    """One case as the whole system stores it: partner reports, derived events, tasks, days."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.events: list[CloudEvent] = []
        self._reports = 0

    def case(self, service: str):
        return SERVICES[service].replay(self.case_id, self.events)

    def report(self, on: date, org: str, event: DomainEvent) -> list[CloudEvent]:
        """A partner's report on day `on`; fails when the owning service refuses it."""
        self._reports += 1
        envelope = report(event, self.case_id, org, f"{self.case_id}-r{self._reports}", start_of(on) + OFFICE_HOURS)
        decider = SERVICES[type(event).service]
        outcome = decider.decide(decider.replay(self.case_id, self.events), Report(org, envelope, event), DIRECTORY)
        assert not isinstance(outcome, Rejection), outcome
        return self._store(outcome)

    def day(self, day: date) -> list[CloudEvent]:
        found = []
        for decider in SERVICES.values():
            found += self._store(decider.on_day(decider.replay(self.case_id, self.events), day, DIRECTORY))
        return found

    def days(self, first: date, last: date) -> list[CloudEvent]:
        found, current = [], first
        while current <= last:
            found += self.day(current)
            current += timedelta(days=1)
        return found

    def task(self, kind: str) -> str:
        """The id of the (first) task of `kind` notify delivered."""
        tasks = [t for t in self.case("notify").tasks.values() if t.kind == kind and t.status != "draft"]
        assert tasks, f"no delivered task of kind {kind} in {self.case_id}"
        return tasks[0].task_id

    def accept(self, on: date, kind: str) -> list[CloudEvent]:
        """The owner of the task of `kind` accepts it on `on`."""
        task = self.case("notify").tasks[self.task(kind)]
        return self.report(on, task.owner, TaskAccepted(task_id=task.task_id))

    def decline(self, on: date, kind: str, reason: str) -> list[CloudEvent]:
        """The owner of the task of `kind` declines it on `on`."""
        task = self.case("notify").tasks[self.task(kind)]
        return self.report(on, task.owner, TaskDeclined(task_id=task.task_id, reason=reason))

    def _store(self, events: list[CloudEvent]) -> list[CloudEvent]:
        stored = []
        queue = list(events)
        while queue:
            event = queue.pop(0)
            if any(e.id == event.id for e in self.events):
                continue
            self.events.append(event)
            stored.append(event)
            for decider in SERVICES.values():
                if event.event_type in decider.reactions:
                    queue += decider.react(decider.replay(self.case_id, self.events), event, DIRECTORY)
        return stored
