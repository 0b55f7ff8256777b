"""The wire contract of Warme Overdracht: envelope, events, subjects, and the inbox gate.

Partners import this package (or read the JSON Schema in `contracts/schemas/`) to know exactly
what to send; the services import it so that nothing on the wire is defined twice.
"""

from contracts.envelope import CloudEvent, derived_event_id, org_source, service_source
from contracts.events import EVENT_TYPES, DomainEvent, event_class
from contracts.inbox import Rejection, Report, parse_inbox_message

__all__ = [
    "EVENT_TYPES",
    "CloudEvent",
    "DomainEvent",
    "Rejection",
    "Report",
    "derived_event_id",
    "event_class",
    "org_source",
    "parse_inbox_message",
    "service_source",
]
