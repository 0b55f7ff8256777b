"""Building a HandoffRequested: the one shape every rule uses to ask an organisation to take over.

The handoff's id is the id of the event that requests it, derived deterministically, so a rule
that runs again asks for the same handoff, never a second one.
"""

from datetime import date

from contracts.envelope import CloudEvent, derived_event_id
from contracts.events import HandoffRequested, derive, derive_on_day


def requested_on_event(
    cause: CloudEvent,
    rule: str,
    service: str,
    *,
    kind: str,
    requester: str,
    owner: str,
    due: date,
    municipality: str,
    invited: tuple[str, ...] = (),
    checklist: tuple[str, ...] = (),
) -> CloudEvent:
    """A handoff that `rule` requests because of the stored or reported event `cause`."""
    handoff = HandoffRequested(
        handoff_id=derived_event_id(cause.id, rule),
        kind=kind,
        requester=requester,
        owner=owner,
        due=due,
        municipality=municipality,
        invited=invited,
        checklist=checklist,
    )
    return derive(handoff, cause, rule, service)


def requested_on_day(
    case_id: str,
    day: date,
    rule: str,
    service: str,
    *,
    kind: str,
    requester: str,
    owner: str,
    due: date,
    municipality: str,
    key: str = "",
    invited: tuple[str, ...] = (),
    checklist: tuple[str, ...] = (),
    escalates: str | None = None,
) -> CloudEvent:
    """A handoff that `rule` requests when `day` starts (once per case and `key`)."""
    handoff = HandoffRequested(
        handoff_id=derived_event_id(f"{case_id}/{key}", rule),
        kind=kind,
        requester=requester,
        owner=owner,
        due=due,
        municipality=municipality,
        invited=invited,
        checklist=checklist,
        escalates=escalates,
    )
    return derive_on_day(handoff, case_id, day, rule, service, key)
