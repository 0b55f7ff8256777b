"""housing's pure rules: the order of facts, the cohabitation duty (§2.2) and its exemption (§4.1),
and the handovers a move to another municipality needs (§3.2)."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.clock import start_of
from contracts.events import (
    CohabitationDutyEnded,
    CohabitationDutyStarted,
    CohabitationExempted,
    EducationEnrolled,
    FamilyRelocated,
    HousingAssigned,
    ParentsArrived,
    ResidencePermitGranted,
)
from contracts.inbox import Rejection
from services.dates import add_months
from services.housing import rules, state
from tests.support.domain import DIRECTORY, Story, data, types_of

PERMIT = ResidencePermitGranted(date_of_birth=date(2010, 5, 17), municipality="GM0855", permit_date=date(2026, 1, 10))
ARRIVED = ParentsArrived(arrival_date=date(2026, 11, 2), municipality="GM0855")
HOUSED_ON = date(2026, 11, 16)
ONE_YEAR_ON = date(2027, 11, 16)
HOME = HousingAssigned(municipality="GM0855", housing="family-home", housed_on=HOUSED_ON)
AZC = HousingAssigned(municipality="GM0518", housing="azc", housed_on=date(2026, 11, 3))
ISK = EducationEnrolled(level="isk", since=date(2026, 2, 1), school="school-isk-tilburg")
PART_TIME = EducationEnrolled(level="part-time", since=date(2026, 8, 20), school="school-roc-tilburg")


def story(*facts, reports=()) -> Story:
    """A case with a permit (intake's fact), the parents arrived, more facts, then housing's reports."""
    s = Story(state, rules)
    s.fact("nidos", PERMIT)
    s.fact("coa", ARRIVED)
    for org, event in facts:
        s.fact(org, event)
    for org, event in reports:
        s.report(org, event)
    return s


def refusal(s: Story, org: str, event) -> Rejection:
    outcome = s.decide(org, event)
    assert isinstance(outcome, Rejection), outcome
    return outcome


def relocated(src: str, dst: str, on: date = date(2027, 3, 1)) -> FamilyRelocated:
    return FamilyRelocated(from_municipality=src, to_municipality=dst, moved_on=on)


# --- §2.2 the order of facts -------------------------------------------------------------------


@pytest.mark.parametrize("event", [HOME, AZC, relocated("GM0855", "GM0518")])
def test_housing_needs_a_known_case(event) -> None:
    s = Story(state, rules)
    s.fact("coa", ARRIVED)  # arrival alone does not make the case known: the permit does
    outcome = refusal(s, "gm0855", event)
    assert (outcome.code, outcome.field) == ("unknown-case", "subject")


def test_municipalities_must_be_in_the_directory() -> None:
    outcome = refusal(story(), "gm0855", HOME.model_copy(update={"municipality": "GM9999"}))
    assert (outcome.code, outcome.field) == ("unknown-municipality", "data.municipality")
    housed = story(reports=[("gm0855", HOME)])
    outcome = refusal(housed, "gm0855", relocated("GM0855", "GM9999"))
    assert (outcome.code, outcome.field) == ("unknown-municipality", "data.to_municipality")


def test_a_move_needs_housing_first_and_starts_where_the_family_lives() -> None:
    outcome = refusal(story(), "gm0855", relocated("GM0855", "GM0518"))
    assert (outcome.code, outcome.field) == ("out-of-order", "type")
    assert "HousingAssigned" in outcome.reason
    housed = story(reports=[("gm0855", HOME)])
    outcome = refusal(housed, "gm0855", relocated("GM0518", "GM0344"))
    assert (outcome.code, outcome.field) == ("out-of-order", "data.from_municipality")
    outcome = refusal(housed, "gm0855", relocated("GM0855", "GM0518", on=HOUSED_ON - timedelta(days=1)))
    assert (outcome.code, outcome.field) == ("out-of-order", "data.moved_on")


def test_after_a_move_the_next_move_starts_in_the_new_municipality() -> None:
    s = story(reports=[("gm0855", HOME), ("gm0855", relocated("GM0855", "GM0518"))])
    assert refusal(s, "gm0518", relocated("GM0855", "GM0344", on=date(2027, 6, 1))).field == "data.from_municipality"
    assert refusal(s, "gm0855", relocated("GM0518", "GM0344", on=date(2027, 6, 1))).code == "not-involved"  # it left
    assert types_of(s.report("gm0518", relocated("GM0518", "GM0344", on=date(2027, 6, 1))))[0] == "FamilyRelocated"


def test_one_family_home_a_move_is_a_relocation() -> None:
    s = story(reports=[("gm0855", HOME)])
    outcome = refusal(s, "gm0855", HOME.model_copy(update={"municipality": "GM0518"}))
    assert (outcome.code, outcome.field) == ("duplicate-fact", "subject")
    outcome = refusal(s, "gm0855", AZC)
    assert (outcome.code, outcome.field) == ("out-of-order", "data.housing")


def test_deciding_a_report_again_derives_the_very_same_events() -> None:
    # (the same report sent twice is the runtime's to recognise: tests/integration/test_idempotency.py)
    s = story()
    first = s.report("gm0855", HOME, "home-1")
    assert s.decide("gm0855", HOME, "home-2").code == "duplicate-fact"  # a second family home is a move
    assert story().decide("gm0855", HOME, "home-1") == first


# --- §2.2 the cohabitation duty ----------------------------------------------------------------


def test_a_family_home_starts_the_cohabitation_year() -> None:
    stored = story().report("gm0855", HOME)
    assert types_of(stored) == ["HousingAssigned", "CohabitationDutyStarted"]
    assert data(stored, "CohabitationDutyStarted") == [CohabitationDutyStarted(starts_on=HOUSED_ON, ends_on=ONE_YEAR_ON)]
    assert stored[1].causationid == stored[0].id
    assert stored[1].source.endswith(":service:housing")


def test_an_azc_place_does_not_start_the_duty_the_family_home_later_does() -> None:
    s = story()
    assert types_of(s.report("coa", AZC)) == ["HousingAssigned"]
    assert s.days(AZC.housed_on, AZC.housed_on + timedelta(days=400)) == []
    later = HOME.model_copy(update={"housed_on": date(2027, 1, 31)})
    stored = s.report("gm0855", later)
    assert data(stored, "CohabitationDutyStarted") == [
        CohabitationDutyStarted(starts_on=date(2027, 1, 31), ends_on=date(2028, 1, 31))
    ]


def test_the_duty_ends_once_one_year_after_housing_however_many_days_pass() -> None:
    s = story(reports=[("gm0855", HOME)])
    assert s.days(HOUSED_ON, ONE_YEAR_ON - timedelta(days=1)) == []
    ended = s.day(ONE_YEAR_ON)
    assert data(ended, "CohabitationDutyEnded") == [CohabitationDutyEnded(ended_on=ONE_YEAR_ON)]
    assert ended[0].time == start_of(ONE_YEAR_ON)
    assert s.days(ONE_YEAR_ON, ONE_YEAR_ON + timedelta(days=90)) == []


def test_skipped_days_still_end_the_duty_on_its_date() -> None:
    s = story(reports=[("gm0855", HOME)])
    late = ONE_YEAR_ON + timedelta(days=40)
    ended = s.day(late)
    assert data(ended, "CohabitationDutyEnded") == [CohabitationDutyEnded(ended_on=ONE_YEAR_ON)]
    assert ended[0].time == start_of(late)
    assert s.day(late) == [] and s.day(late + timedelta(days=1)) == []


def test_the_day_rule_derives_the_same_event_on_a_replay() -> None:
    s = story(reports=[("gm0855", HOME)])
    assert rules.on_day(s.case, ONE_YEAR_ON, DIRECTORY) == rules.on_day(s.case, ONE_YEAR_ON, DIRECTORY)


def test_a_move_does_not_restart_or_end_the_duty() -> None:
    s = story(reports=[("gm0855", HOME)])
    moved = s.report("gm0855", relocated("GM0855", "GM0518"))
    assert types_of(moved) == ["FamilyRelocated", "HandoffRequested", "HandoffRequested"]
    assert types_of(s.days(ONE_YEAR_ON - timedelta(days=2), ONE_YEAR_ON + timedelta(days=2))) == ["CohabitationDutyEnded"]


# --- §4.1 exempt in full-time education, ISK included ------------------------------------------


@pytest.mark.parametrize("level", ["isk", "full-time"])
def test_full_time_education_at_housing_exempts_instead_of_the_duty(level) -> None:
    s = story(("school-isk-tilburg", ISK.model_copy(update={"level": level})))
    stored = s.report("gm0855", HOME)
    assert types_of(stored) == ["HousingAssigned", "CohabitationExempted"]
    assert data(stored, "CohabitationExempted") == [
        CohabitationExempted(reason="full-time-education", education=level, exempted_on=HOUSED_ON)
    ]
    assert s.days(HOUSED_ON, ONE_YEAR_ON + timedelta(days=30)) == []


def test_the_latest_enrolment_decides() -> None:
    dropped_to_part_time = story(("school-isk-tilburg", ISK), ("school-roc-tilburg", PART_TIME))
    assert types_of(dropped_to_part_time.report("gm0855", HOME))[1] == "CohabitationDutyStarted"
    back_to_full_time = story(
        ("school-roc-tilburg", PART_TIME),
        ("school-roc-tilburg", EducationEnrolled(level="full-time", since=date(2026, 9, 1))),
    )
    assert types_of(back_to_full_time.report("gm0855", HOME))[1] == "CohabitationExempted"


def test_an_enrolment_during_the_year_exempts_from_its_start_and_the_duty_never_ends() -> None:
    s = story(("school-roc-tilburg", PART_TIME), reports=[("gm0855", HOME)])
    enrolled = s.fact("school-isk-tilburg", EducationEnrolled(level="isk", since=date(2027, 2, 1)))
    exempted = s.react(enrolled)
    assert data(exempted, "CohabitationExempted") == [
        CohabitationExempted(reason="full-time-education", education="isk", exempted_on=date(2027, 2, 1))
    ]
    assert exempted[0].causationid == enrolled.id
    assert s.react(enrolled) == []  # the same event again: already exempt
    assert s.days(HOUSED_ON, ONE_YEAR_ON + timedelta(days=60)) == []


def test_an_enrolment_reported_late_exempts_no_earlier_than_the_duty_started() -> None:
    s = story(reports=[("gm0855", HOME)])
    enrolled = s.fact("school-isk-tilburg", ISK)  # since 1 February, before the family home
    assert data(s.react(enrolled), "CohabitationExempted")[0].exempted_on == HOUSED_ON


@pytest.mark.parametrize(
    ("reports", "enrolment", "before"),
    [
        ([], ISK, None),  # no duty yet: the housing decision reads the enrolment itself
        ([("coa", AZC)], ISK, None),  # an AZC place: no duty
        ([("gm0855", HOME)], PART_TIME, None),  # part-time does not exempt
        ([("gm0855", HOME)], EducationEnrolled(level="none", since=date(2027, 1, 1)), None),
        ([("gm0855", HOME)], EducationEnrolled(level="full-time", since=ONE_YEAR_ON), None),  # after the year
        ([("gm0855", HOME)], ISK, ONE_YEAR_ON),  # the year already ended
    ],
)
def test_enrolments_that_do_not_exempt(reports, enrolment, before) -> None:
    s = story(reports=reports)
    if before:
        assert types_of(s.day(before)) == ["CohabitationDutyEnded"]
    assert s.react(s.fact("school-isk-tilburg", enrolment)) == []


def test_housing_reacts_only_to_enrolments() -> None:
    s = story(reports=[("gm0855", HOME)])
    assert s.react(s.events[0]) == []  # the permit


# --- §3.2 a move to another municipality cuts the young person's network -----------------------


def test_a_family_home_in_another_municipality_hands_over_district_team_and_school() -> None:
    s = story(("school-isk-tilburg", ISK.model_copy(update={"level": "part-time"})))
    home = HOME.model_copy(update={"municipality": "GM0518"})
    stored = s.report("coa", home)  # the parents are in COA's reception: the home in GM0518 is not GM0518's to report
    assert types_of(stored) == ["HousingAssigned", "CohabitationDutyStarted", "HandoffRequested", "HandoffRequested"]
    handover, school = data(stored, "HandoffRequested")
    due = HOUSED_ON + timedelta(weeks=4)
    # issue 15, point 8: asked by COA, the family is still in reception (no home yet), not by the old
    # district team, which is invited to hand the network over
    assert (handover.kind, handover.requester, handover.owner, handover.due, handover.municipality) == (
        "district-team-handover", "coa", "wijkteam-gm0518", due, "GM0518",
    )
    assert handover.invited == ("wijkteam-gm0855",)
    assert (school.kind, school.requester, school.owner, school.due, school.municipality, school.invited) == (
        "school-continuity", "coa", "rmc-gm0518", due, "GM0518", ("school-isk-tilburg",),
    )
    assert handover.handoff_id == stored[2].id and school.handoff_id == stored[3].id
    assert handover.handoff_id != school.handoff_id
    assert stored[2].causationid == stored[0].id


def test_an_exempt_young_person_still_gets_the_handovers() -> None:
    s = story(("school-isk-tilburg", ISK))
    stored = s.report("gm0855", HOME.model_copy(update={"municipality": "GM0344"}))
    assert types_of(stored) == ["HousingAssigned", "CohabitationExempted", "HandoffRequested", "HandoffRequested"]


def test_without_a_known_school_only_the_old_district_team_is_invited() -> None:
    stored = story().report("gm0855", HOME.model_copy(update={"municipality": "GM0518"}))
    assert [h.invited for h in data(stored, "HandoffRequested")] == [("wijkteam-gm0855",), ()]


def test_a_family_home_in_the_young_persons_own_municipality_needs_no_handover() -> None:
    assert data(story().report("gm0855", HOME), "HandoffRequested") == []


def test_an_azc_place_elsewhere_moves_nobody() -> None:
    s = story(reports=[("coa", AZC)])
    assert data(s.events, "HandoffRequested") == []
    assert types_of(s.report("coa", relocated("GM0518", "GM0344", on=date(2026, 12, 1)))) == ["FamilyRelocated"]
    stored = s.report("gm0855", HOME)  # the family home turns out to be in the young person's municipality
    assert data(stored, "HandoffRequested") == []


def test_a_later_move_hands_over_from_the_old_to_the_new_municipality() -> None:
    s = story(("school-isk-tilburg", PART_TIME), reports=[("gm0855", HOME)])
    moved_on = date(2027, 3, 1)
    stored = s.report("gm0855", relocated("GM0855", "GM0344", on=moved_on))
    assert types_of(stored) == ["FamilyRelocated", "HandoffRequested", "HandoffRequested"]
    handover, school = data(stored, "HandoffRequested")
    # issue 15, point 8: the guardian organisation asks, Nidos (the family left reception); the old
    # district team is invited
    assert (handover.requester, handover.owner, handover.due, handover.municipality, handover.invited) == (
        "nidos", "wijkteam-gm0344", moved_on + timedelta(weeks=4), "GM0344", ("wijkteam-gm0855",),
    )
    assert (school.requester, school.owner, school.invited) == ("nidos", "rmc-gm0344", ("school-roc-tilburg",))
    second = s.report("gm0344", relocated("GM0344", "GM0518", on=date(2027, 9, 1)))
    handover2, _ = data(second, "HandoffRequested")
    assert (handover2.requester, handover2.owner, handover2.invited) == ("nidos", "wijkteam-gm0518", ("wijkteam-gm0344",))
    assert handover2.handoff_id != handover.handoff_id


def test_a_move_within_the_municipality_needs_no_handover() -> None:
    s = story(reports=[("gm0855", HOME)])
    assert types_of(s.report("gm0855", relocated("GM0855", "GM0855"))) == ["FamilyRelocated"]



# --- HousingAssigned v2: a temporary family home first, the permanent one later ------------------

TEMPORARY = HousingAssigned(municipality="GM0518", housing="temporary-family-home", housed_on=date(2026, 11, 10))


def test_a_temporary_family_home_starts_the_duty_and_the_permanent_home_follows_without_a_restart() -> None:
    s = story()
    assert types_of(s.report("coa", TEMPORARY)) == [
        "HousingAssigned", "CohabitationDutyStarted", "HandoffRequested", "HandoffRequested",
    ]
    permanent = HOME.model_copy(update={"municipality": "GM0518", "housed_on": date(2027, 2, 1)})
    assert types_of(s.report("gm0518", permanent)) == ["HousingAssigned"]  # same municipality, duty already runs
    assert data(s.events, "CohabitationDutyStarted") == [
        CohabitationDutyStarted(starts_on=TEMPORARY.housed_on, ends_on=date(2027, 11, 10))
    ]
    assert s.case.in_permanent_family_home


def test_the_permanent_home_elsewhere_hands_over_from_where_the_temporary_home_was() -> None:
    s = story(reports=[("coa", TEMPORARY)])
    stored = s.report("gm0518", HOME.model_copy(update={"municipality": "GM0344", "housed_on": date(2027, 2, 1)}))
    handover, _ = data(stored, "HandoffRequested")
    assert (handover.requester, handover.owner, handover.invited) == ("nidos", "wijkteam-gm0344", ("wijkteam-gm0518",))


def test_after_the_permanent_home_a_new_home_is_a_relocation_and_no_azc_place_after_any_family_home() -> None:
    s = story(reports=[("coa", TEMPORARY)])
    assert refusal(s, "gm0518", AZC).code == "out-of-order"
    s.report("gm0518", HOME.model_copy(update={"municipality": "GM0518"}))
    for again in (HOME, TEMPORARY):
        outcome = s.decide("gm0518", again, event_id=f"another-report-{again.housing}")
        assert isinstance(outcome, Rejection) and outcome.code == "duplicate-fact", outcome


def test_a_stored_v1_housing_report_is_read_as_v2() -> None:
    from contracts.versions import HousingAssignedV1

    s = story()
    stored = s.fact("gm0855", HousingAssignedV1(municipality="GM0855", housing="family-home", housed_on=HOUSED_ON))
    assert stored.type == "nl.warmeoverdracht.HousingAssigned.v1"
    assert s.case.housing == HOME and s.case.in_permanent_family_home
    outcome = s.decide("gm0855", HOME, event_id="a-v2-report-of-the-same-home")
    assert isinstance(outcome, Rejection) and outcome.code == "duplicate-fact", outcome

# --- properties: month ends, 29 February, any days played --------------------------------------

MONTH_ENDS = st.builds(
    lambda year, month, back: date(year, month, calendar.monthrange(year, month)[1]) - timedelta(days=back),
    st.integers(2024, 2040),
    st.integers(1, 12),
    st.integers(0, 3),
)
LEAP_DAYS = st.sampled_from([date(y, 2, 29) for y in range(2024, 2041) if calendar.isleap(y)])
HOUSING_DATES = st.one_of(MONTH_ENDS, LEAP_DAYS, st.dates(min_value=date(2024, 1, 1), max_value=date(2040, 12, 31)))
DAY_OFFSETS = st.lists(st.integers(0, 420), max_size=25, unique=True).map(sorted)


@given(HOUSING_DATES, DAY_OFFSETS)
def test_the_duty_ends_exactly_once_on_its_anniversary_whatever_days_are_played(housed_on: date, offsets) -> None:
    s = story(reports=[("gm0855", HOME.model_copy(update={"housed_on": housed_on}))])
    ends_on = add_months(housed_on, 12)
    assert data(s.events, "CohabitationDutyStarted") == [CohabitationDutyStarted(starts_on=housed_on, ends_on=ends_on)]
    assert 365 <= (ends_on - housed_on).days <= 366
    played = [housed_on + timedelta(days=n) for n in offsets]
    yielded = {day: s.day(day) for day in played}
    fired = [day for day, events in yielded.items() if events]
    due_days = [day for day in played if day >= ends_on]
    assert fired == due_days[:1]  # on the first day played on or after the anniversary, and never again
    if fired:
        assert data(yielded[fired[0]], "CohabitationDutyEnded") == [CohabitationDutyEnded(ended_on=ends_on)]


@given(HOUSING_DATES, st.integers(-60, 420), DAY_OFFSETS)
def test_an_exempted_duty_never_ends(housed_on: date, enrolled_after: int, offsets) -> None:
    s = story(reports=[("gm0855", HOME.model_copy(update={"housed_on": housed_on}))])
    ends_on = add_months(housed_on, 12)
    since = housed_on + timedelta(days=enrolled_after)
    exempted = s.react(s.fact("school-isk-tilburg", EducationEnrolled(level="full-time", since=since)))
    if since < ends_on:
        [exemption] = data(exempted, "CohabitationExempted")
        assert housed_on <= exemption.exempted_on < ends_on
    else:
        assert exempted == []
    found = [e for n in offsets for e in s.day(housed_on + timedelta(days=n))]
    assert len(found) == (0 if exempted else int(any(housed_on + timedelta(days=n) >= ends_on for n in offsets)))
