"""Building a HandoffRequested: the one shape every rule uses to ask an organisation to take over.

The handoff's id is the id of the event that requests it, derived deterministically, so a rule
that runs again asks for the same handoff, never a second one.

`requested_on_event` and `requested_on_day` differ only in that id and in the envelope (the
cause's time and id, or the day's start); both take the handoff itself as keywords: `kind`,
`requester`, `owner`, `due`, `municipality` and optionally `invited` and `checklist` (a day's
handoff also `escalates`), checked by `_requested`.
"""

from collections.abc import Callable
from datetime import date

from contracts.envelope import CloudEvent, derived_event_id
from contracts.events import HandoffRequested, derive, derive_on_day


def _requested(
    handoff_id: str,
    envelope: Callable[[HandoffRequested], CloudEvent],
    escalates: str | None = None,
    /,
    *,
    kind: str,
    requester: str,
    owner: str,
    due: date,
    municipality: str,
    invited: tuple[str, ...] = (),
    checklist: tuple[str, ...] = (),
) -> CloudEvent:
    """The handoff `handoff_id` in the `envelope` that requests it. `escalates` is positional-only,
    so that only a day's handoff can pass it: the keyword from `requested_on_event` is a TypeError."""
    handoff = HandoffRequested(
        handoff_id=handoff_id,
        kind=kind,
        requester=requester,
        owner=owner,
        due=due,
        municipality=municipality,
        invited=invited,
        checklist=checklist,
        escalates=escalates,
    )
    return envelope(handoff)


def requested_on_event(cause: CloudEvent, rule: str, service: str, **handoff) -> CloudEvent:
    """A handoff that `rule` requests because of the stored or reported event `cause`."""
    return _requested(
        derived_event_id(cause.idempotency_key, rule), lambda event: derive(event, cause, rule, service), **handoff
    )


def requested_on_day(
    case_id: str, day: date, rule: str, service: str, *, key: str = "", escalates: str | None = None, **handoff
) -> CloudEvent:
    """A handoff that `rule` requests when `day` starts (once per case and `key`)."""
    return _requested(
        derived_event_id(f"{case_id}/{key}", rule),
        lambda event: derive_on_day(event, case_id, day, rule, service, key),
        escalates,
        **handoff,
    )
