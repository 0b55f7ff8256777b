"""The envelopes of domain events: what a rule derives, what a day derives, what a partner reports."""

from datetime import date, datetime

from contracts.clock import start_of
from contracts.envelope import CloudEvent, derived_event_id, org_source, service_source
from contracts.events.base import DomainEvent

def derive(
    event: DomainEvent, cause: CloudEvent, rule: str, service: str, case_id: str | None = None
) -> CloudEvent:
    """The envelope of an event that `rule` of `service` derives from `cause`.

    Its id is deterministic and its time is the cause's time, so a replay derives the very same
    event, byte for byte.
    """
    return CloudEvent(
        id=derived_event_id(cause.idempotency_key, rule),
        source=service_source(service),
        type=event.type_name(),
        subject=case_id or cause.subject,
        time=cause.time,
        data=event.model_dump(mode="json"),
        causationid=cause.id,
    )


def derive_on_day(event: DomainEvent, case_id: str, day: date, rule: str, service: str, key: str = "") -> CloudEvent:
    """The envelope of an event that `rule` derives when a day starts.

    Its id depends on the case, the rule and `key` (not on the day), so a rule fires once per
    case and key however many days pass or are replayed."""
    return CloudEvent(
        id=derived_event_id(f"{case_id}/{key}", rule),
        source=service_source(service),
        type=event.type_name(),
        subject=case_id,
        time=start_of(day),
        data=event.model_dump(mode="json"),
        causationid=f"day-{day.isoformat()}",
    )


def report(event: DomainEvent, case_id: str, org: str, event_id: str, time: datetime) -> CloudEvent:
    """The envelope a partner organisation publishes to amv.inbox.<org>.<EventType>."""
    return CloudEvent(
        id=event_id,
        source=org_source(org),
        type=event.type_name(),
        subject=case_id,
        time=time,
        data=event.model_dump(mode="json"),
    )
