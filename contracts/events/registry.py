"""Every current event type by name. The modules of the event models are imported first, in this
order, so `EVENT_TYPES` lists them as they were always listed (schemas, AsyncAPI, partner guide)."""

import contracts.events.intake  # noqa: F401  (each import defines its event models)
import contracts.events.guardianship  # noqa: F401
import contracts.events.housing  # noqa: F401
import contracts.events.handoffs  # noqa: F401
import contracts.events.tasks  # noqa: F401
import contracts.events.days  # noqa: F401
from contracts.events.base import DomainEvent

EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.event_type: cls
    for cls in DomainEvent.__subclasses__()
}


def event_class(event_type: str) -> type[DomainEvent] | None:
    return EVENT_TYPES.get(event_type)


def inbox_types(service: str) -> list[str]:
    """The event types partners report through the inbox that `service` consumes."""
    return sorted(name for name, cls in EVENT_TYPES.items() if cls.reporters and cls.service == service)
