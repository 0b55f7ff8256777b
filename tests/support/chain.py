"""All four services' real, pure rules on one case, in memory: the events the system would store,
without NATS. For tests of what reads the whole history (the agenda, the journey figures).

A report goes to the service that owns its type (`decide`); every stored event is offered to the
services that react to it (`provision.REACTIONS`: notify turns handoffs into tasks, guardianship
closes gaps, housing exempts); a day runs every service's `on_day`. Reports are recorded at ten in
the morning of their day, Amsterdam time, as partners publish them during office hours.
"""

from datetime import date, timedelta

from contracts.clock import start_of
from contracts.envelope import CloudEvent
from contracts.events import DomainEvent, TaskAccepted, TaskDeclined, report
from contracts.inbox import Rejection, Report
from services.casefold import fold
from services.guardianship import rules as guardianship_rules
from services.guardianship import state as guardianship_state
from services.housing import rules as housing_rules
from services.housing import state as housing_state
from services.intake import rules as intake_rules
from services.intake import state as intake_state
from services.notify import rules as notify_rules
from services.notify import state as notify_state
from services.runtime.provision import REACTIONS
from tests.support.domain import DIRECTORY

SERVICES = {
    "intake": (intake_state, intake_rules),
    "guardianship": (guardianship_state, guardianship_rules),
    "housing": (housing_state, housing_rules),
    "notify": (notify_state, notify_rules),
}
OFFICE_HOURS = timedelta(hours=10)


class Chain:
    """One case as the whole system stores it: partner reports, derived events, tasks, days."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.events: list[CloudEvent] = []
        self._reports = 0

    def case(self, service: str):
        state, _ = SERVICES[service]
        return fold(state, self.case_id, self.events)

    def report(self, on: date, org: str, event: DomainEvent) -> list[CloudEvent]:
        """A partner's report on day `on`; fails when the owning service refuses it."""
        self._reports += 1
        envelope = report(event, self.case_id, org, f"{self.case_id}-r{self._reports}", start_of(on) + OFFICE_HOURS)
        state, rules = SERVICES[type(event).service]
        outcome = rules.decide(fold(state, self.case_id, self.events), Report(org, envelope, event), DIRECTORY)
        assert not isinstance(outcome, Rejection), outcome
        return self._store(outcome)

    def day(self, day: date) -> list[CloudEvent]:
        found = []
        for service, (state, rules) in SERVICES.items():
            found += self._store(rules.on_day(fold(state, self.case_id, self.events), day, DIRECTORY))
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
            for service, reactions in REACTIONS.items():
                if event.event_type in reactions:
                    state, rules = SERVICES[service]
                    queue += rules.react(fold(state, self.case_id, self.events), event, DIRECTORY)
        return stored
