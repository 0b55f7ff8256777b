"""guardianship's day rules under varying inputs: any date of birth (29 February, month ends), days
played one by one or skipped, acceptance early or late, extensions short or long. Whatever the
input, each rule fires exactly once, on the right day, and Nidos' support ends exactly once."""

import calendar
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events import (
    HandoffAccepted,
    ParentsArrived,
    ResidencePermitGranted,
    SupportExtended,
    data_of,
    derive,
)
from services.dates import add_months, birthday
from services.guardianship import rules, state
from tests.support.domain import Story, data, types_of

LEAP_DAYS = [date(y, 2, 29) for y in range(2004, 2013) if calendar.isleap(y)]
MONTH_ENDS = st.builds(
    lambda y, m: date(y, m, calendar.monthrange(y, m)[1]), st.integers(2004, 2012), st.integers(1, 12)
)
DATES_OF_BIRTH = st.one_of(
    st.dates(min_value=date(2004, 1, 1), max_value=date(2012, 12, 31)), st.sampled_from(LEAP_DAYS), MONTH_ENDS
)


def story(date_of_birth: date, arrived: bool = False) -> Story:
    s = Story(state, rules, "case-prop01")
    s.fact("ind", ResidencePermitGranted(
        date_of_birth=date_of_birth, municipality="GM0855", permit_date=birthday(date_of_birth, 16)
    ))
    if arrived:
        s.fact("coa", ParentsArrived(arrival_date=birthday(date_of_birth, 17), municipality="GM0518"))
    return s


def played_on(s: Story, event_type: str) -> list[date]:
    return [e.time.date() for e in s.events if e.event_type == event_type]


def transition_requests(s: Story):
    return [e for e in s.events if e.event_type == "HandoffRequested" and data_of(e).kind == "transition-18-plus"]


def accept_transition(s: Story) -> None:
    [requested] = transition_requests(s)
    h = data_of(requested)
    envelope = derive(HandoffAccepted(handoff_id=h.handoff_id, accepted_by=h.owner), requested, "answer", "notify")
    s.store([envelope])
    s.react(envelope)


@settings(max_examples=30, deadline=None)
@given(DATES_OF_BIRTH, st.booleans())
def test_every_day_played_18_plus_and_turned_18_each_happen_once_on_their_day(date_of_birth: date, arrived: bool) -> None:
    s = story(date_of_birth, arrived)
    adult_on = birthday(date_of_birth, 18)
    seventeen_and_a_half = add_months(adult_on, -6)
    s.days(seventeen_and_a_half - timedelta(days=2), adult_on + timedelta(days=2))

    [request] = transition_requests(s)
    assert request.time.date() == seventeen_and_a_half
    transition = data_of(request)
    assert transition.due == add_months(adult_on, -3)
    assert transition.owner == ("gm0518" if arrived else "gm0855")
    assert played_on(s, "Turned18") == [adult_on]
    assert [t.birthday for t in data(s.events, "Turned18")] == [adult_on]
    assert played_on(s, "SupportGapDetected") == [adult_on]
    assert (adult_on - seventeen_and_a_half).days in range(181, 185)


@settings(max_examples=200, deadline=None)
@given(DATES_OF_BIRTH, st.integers(0, 400), st.lists(st.integers(1, 75), min_size=1, max_size=30))
def test_with_days_skipped_each_rule_fires_once_on_the_first_day_on_or_after_its_date(
    date_of_birth: date, start_offset: int, steps: list[int]
) -> None:
    s = story(date_of_birth)
    adult_on = birthday(date_of_birth, 18)
    seventeen_and_a_half = add_months(adult_on, -6)
    day = birthday(date_of_birth, 17) + timedelta(days=start_offset)
    played = [day]
    for step in steps:
        day += timedelta(days=step)
        played.append(day)
    for d in played:
        s.day(d)

    first_on_or_after = lambda deadline: next((d for d in played if d >= deadline), None)  # noqa: E731
    requested_on = first_on_or_after(seventeen_and_a_half)
    requests = transition_requests(s)
    assert [r.time.date() for r in requests] == ([requested_on] if requested_on else [])
    if requested_on:
        assert data_of(requests[0]).due == max(add_months(adult_on, -3), requested_on)

    turned_on = first_on_or_after(adult_on)
    assert played_on(s, "Turned18") == ([turned_on] if turned_on else [])
    assert played_on(s, "SupportGapDetected") == ([turned_on] if turned_on else [])
    if turned_on:
        [gap] = data(s.events, "SupportGapDetected")
        assert gap.successor_handoff_id == data_of(requests[0]).handoff_id
        assert len([h for h in data(s.events, "HandoffRequested") if h.kind == "support-gap"]) == 1


@settings(max_examples=150, deadline=None)
@given(
    DATES_OF_BIRTH,
    st.integers(0, 260),
    st.one_of(st.none(), st.integers(-40, 200)),
)
def test_support_ends_exactly_once_warm_or_with_a_gap_that_closes(
    date_of_birth: date, accepted_after: int, extension_days: int | None
) -> None:
    """The 18+ handoff is accepted `accepted_after` days after 17½; an extension of Nidos' support
    may run until `extension_days` after the birthday. Days are played one by one."""
    s = story(date_of_birth)
    adult_on = birthday(date_of_birth, 18)
    start = add_months(adult_on, -6)
    until = adult_on + timedelta(days=extension_days) if extension_days is not None else None
    if until is not None:
        s.report("nidos", SupportExtended(until=until, by="nidos"))
    extended = until is not None and until >= adult_on
    end = until + timedelta(days=1) if extended else adult_on
    accepted_on = start + timedelta(days=accepted_after)

    s.days(start, accepted_on)
    accept_transition(s)
    s.days(accepted_on + timedelta(days=1), max(end, accepted_on) + timedelta(days=3))

    [ended] = data(s.events, "SupportEnded")
    assert ended.reason == ("extension-ended" if extended else "turned-18")
    assert ended.ended_on == end
    gaps = data(s.events, "SupportGapDetected")
    if accepted_on < end:
        assert gaps == [] and played_on(s, "SupportEnded") == [end]
    else:
        assert [g.detected_on for g in gaps] == [end]
        assert len(data(s.events, "SupportGapClosed")) == 1
    assert types_of(s.days(end, end + timedelta(days=5))) == []
