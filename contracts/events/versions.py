"""Event versions: every earlier version of an event that is still read, and how it becomes current.

`contracts.events` holds the current version of every event type (`EVENT_TYPES`). When an event
type needs a breaking change (docs/versioning.md says when), its earlier model moves here with an
*upcaster*: a pure function from the earlier version's `data` to the next version's `data`. A
stored event is never rewritten: the event store keeps what was stored, and `read_data` turns it
into the current model on every read (the services' state, timelines, rules all go through
`data_of`, which calls it).

A previous version may still be *accepted* from partners at the inbox for a deprecation window,
`accepted_until` (judged by the report's CloudEvent `time`, so a retried report made inside the
window stays valid); after it the inbox refuses it with `version-retired`. It is read forever.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Literal

from contracts.envelope import CloudEvent
from contracts.events.base import DomainEvent, _reading_stored_event
from contracts.events.registry import EVENT_TYPES, event_class
from contracts.ids import MunicipalityCode

Data = dict[str, Any]


# --- HousingAssigned v1 (current: v2) --------------------------------------------------------


class HousingAssignedV1(DomainEvent):
    """v1 of HousingAssigned: the family got a home (or the parents a place in an AZC).

    v1 knew only a family home and an AZC place, so a municipality that housed a family in a
    temporary home first had no way to say so (see HousingAssigned v2)."""

    event_type: ClassVar[str] = "HousingAssigned"
    version: ClassVar[int] = 1
    service: ClassVar[str] = "housing"
    reporters: ClassVar[frozenset[str]] = frozenset({"coa", "municipality"})

    municipality: MunicipalityCode
    housing: Literal["family-home", "azc"]
    housed_on: date


def housing_assigned_v1_to_v2(data: Data) -> Data:
    """v1 -> v2: every v1 value keeps its meaning in v2 ('family-home' is the family's own home,
    'azc' the parents' reception place); v1 could not report a temporary home, so none is invented."""
    return {"municipality": data["municipality"], "housing": data["housing"], "housed_on": data["housed_on"]}


# --- the registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviousVersion:
    """An earlier version of an event type that is still read (and perhaps still accepted)."""

    model: type[DomainEvent]
    upcast: Callable[[Data], Data]  # its data -> the data of version + 1
    accepted_until: date | None  # the inbox accepts it for reports made on or before this day; None: read only


PREVIOUS_VERSIONS: dict[tuple[str, int], PreviousVersion] = {
    ("HousingAssigned", 1): PreviousVersion(HousingAssignedV1, housing_assigned_v1_to_v2, accepted_until=date(2027, 6, 30)),
}


class UnknownEventVersion(KeyError):
    """No model for this event type and version: neither current nor a previous version."""


def model_of(event_type: str, version: int) -> type[DomainEvent] | None:
    """The model of `event_type` in `version` (current or previous), None if there is none."""
    current = event_class(event_type)
    if current is not None and current.version == version:
        return current
    previous = PREVIOUS_VERSIONS.get((event_type, version))
    return previous.model if previous else None


def all_models() -> list[type[DomainEvent]]:
    """Every model of every version, current ones first within a type: what contracts publish."""
    models = list(EVENT_TYPES.values()) + [previous.model for previous in PREVIOUS_VERSIONS.values()]
    return sorted(models, key=lambda cls: (cls.event_type, cls.version))


def upcast(event_type: str, version: int, data: Data) -> DomainEvent:
    """`data` of `event_type` in `version`, validated against that version's model and stepped up
    through every upcaster to the current model. Raises UnknownEventVersion or a ValidationError."""
    current = event_class(event_type)
    if current is None or model_of(event_type, version) is None:
        raise UnknownEventVersion(f"{event_type} v{version}")
    while version < current.version:
        previous = PREVIOUS_VERSIONS.get((event_type, version))
        if previous is None:
            raise UnknownEventVersion(f"{event_type} v{version}: no upcaster to v{version + 1}")
        data = previous.upcast(previous.model.model_validate(data).model_dump(mode="json"))
        version += 1
    return current.model_validate(data)


def read_data(event_type: str, version: int, data: Data) -> DomainEvent:
    """The data of a stored event as the current model of its type: the one way events are read."""
    current = event_class(event_type)
    if current is not None and current.version == version:
        return current.model_validate(data)
    return upcast(event_type, version, data)


def data_of(envelope: CloudEvent) -> DomainEvent:
    """The typed data of a stored envelope, as the current version of its type: an earlier version
    (e.g. HousingAssigned.v1) is upcast (contracts/versions.py). KeyError for an unknown type.
    A personal field of an erased case is None here (and only here: reports must carry it)."""
    reading = _reading_stored_event.set(True)
    try:
        return read_data(envelope.event_type, envelope.version, envelope.data)
    finally:
        _reading_stored_event.reset(reading)


def accepted_until(event_type: str, version: int) -> date | None:
    """Until which day the inbox accepts reports in this previous version, None if it never does."""
    previous = PREVIOUS_VERSIONS.get((event_type, version))
    return previous.accepted_until if previous else None


def _check_registry() -> None:
    for (event_type, version), previous in PREVIOUS_VERSIONS.items():
        current = event_class(event_type)
        assert current is not None, f"{event_type} v{version} is registered but the type has no current model"
        assert version < current.version, f"{event_type} v{version} is not older than the current v{current.version}"
        assert (previous.model.event_type, previous.model.version) == (event_type, version), previous.model


_check_registry()
