"""The Decider: the one shape of every service's domain, and what the runtime derives from it.

A service's aggregate is a module `services/<service>/decider.py` that builds one `Decider` from
plain, pure parts (no I/O, no clock):

- `initial(case_id)`: the state of a case nothing is known about;
- `evolve(state, stored_event)`: the state with one stored event folded in (the CloudEvent, since
  rules refer to events by id);
- `decide(state, report, directory)`: what a partner's report makes true: events, or a Rejection;
- `on_day(state, day, directory)`: what falls due for the case when a day starts;
- `reactions`: a table *stored event type -> pure handler(state, stored_event, directory)*;
- `folds`: the event types `evolve` reads (of any service);
- `emits`: the event types the service stores.

From these declarations alone the runtime derives the service's consumers and their subject
filters (services/runtime/provision.py), the part of the store its read model consumes
(`read_filters`: only what it folds), and a guard that a decision stores nothing it did not
declare. Nothing else lists a service's reactions or subscriptions.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from contracts import subjects
from contracts.envelope import CloudEvent
from contracts.events import EVENT_TYPES, inbox_types
from contracts.inbox import Rejection, Report
from services.runtime.directory import Directory

State = TypeVar("State")
Decision = list[CloudEvent] | Rejection
Reaction = Callable[[Any, CloudEvent, Directory], list[CloudEvent]]


class UndeclaredEvent(TypeError):
    """A decider produced an event type it does not declare in `emits`: a programming error."""


@dataclass(frozen=True)
class Decider(Generic[State]):
    service: str
    initial: Callable[[str], State]
    evolve: Callable[[State, CloudEvent], State]
    decide: Callable[[State, Report, Directory], Decision]
    on_day: Callable[[State, date, Directory], list[CloudEvent]]
    reactions: Mapping[str, Reaction] = field(default_factory=dict)
    folds: frozenset[str] = frozenset()
    emits: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = (set(self.reactions) | self.folds | self.emits) - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"decider {self.service}: unknown event types {sorted(unknown)}")
        # A reaction decides on the case as of its cause, so the read model must hold the cause.
        if missing := set(self.reactions) - self.folds:
            raise ValueError(f"decider {self.service}: reacts to {sorted(missing)} without folding them")

    @classmethod
    def of(cls, service: str, state: Any, rules: Any, **declared: Any) -> "Decider[Any]":
        """The decider of `service` from its state module (`empty`, `apply`) and its rules module
        (`decide`, `on_day`), with its declarations (`reactions`, `folds`, `emits`)."""
        return cls(service, state.empty, state.apply, rules.decide, rules.on_day, **declared)

    # --- what the runtime derives -----------------------------------------------------------------

    @property
    def reports(self) -> tuple[str, ...]:
        """The partner reports this service owns (declared per event type in contracts/events.py)."""
        return tuple(inbox_types(self.service))

    @property
    def reads(self) -> frozenset[str]:
        """Every stored event type the read model consumes: what it folds, and its own events (for
        the case's version, against which an append is checked)."""
        return self.folds | self.emits

    def read_filters(self) -> tuple[str, ...]:
        """The subject filters of the read model's consumer on the event store. One per type, so no
        two overlap (JetStream refuses overlapping filters on one consumer)."""
        return tuple(subjects.events_of_type(t) for t in sorted(self.reads))

    def reaction_filters(self) -> tuple[str, ...]:
        return tuple(subjects.events_of_type(t) for t in sorted(self.reactions))

    def inbox_filters(self) -> tuple[str, ...]:
        return tuple(subjects.inbox("*", t) for t in self.reports)

    # --- the pure parts, as the runtime calls them ---------------------------------------------------

    def fold(self, state: State, stored: CloudEvent) -> State:
        """`evolve`, for the events the read model consumes; anything else leaves the state as it is,
        so a replay of the whole store gives what the filtered read model holds."""
        if stored.event_type not in self.reads:
            return state
        return self.evolve(state, stored)

    def replay(self, case_id: str, stored: Iterable[CloudEvent]) -> State:
        """The state of a case from its stored events, in order."""
        state = self.initial(case_id)
        for event in stored:
            state = self.fold(state, event)
        return state

    def react(self, state: State, stored: CloudEvent, directory: Directory) -> list[CloudEvent]:
        handler = self.reactions.get(stored.event_type)
        return handler(state, stored, directory) if handler is not None else []

    def checked(self, decision: Decision) -> Decision:
        """The decision, once every event in it is a type this decider declares it emits."""
        if not isinstance(decision, Rejection):
            undeclared = sorted({e.event_type for e in decision} - self.emits)
            if undeclared:
                raise UndeclaredEvent(f"decider {self.service} emitted undeclared {undeclared}")
        return decision
