"""intake's pure rules: the order of facts, the filing deadline, and the handoffs of §4.1/§4.3."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.events import (
    ApplicationDecided,
    ApplicationFiled,
    DnaTestOffered,
    EducationEnrolled,
    GuardianshipTransferRequested,
    ParentsArrived,
    ResidencePermitGranted,
)
from contracts.inbox import Rejection
from services.intake import rules, state
from services.intake.rules import filing_deadline
from tests.support.domain import Story, data, types_of

PERMIT = ResidencePermitGranted(date_of_birth=date(2010, 5, 17), municipality="GM0855", permit_date=date(2026, 1, 10))
FILED = ApplicationFiled(filed_on=date(2026, 2, 2))
APPROVED = ApplicationDecided(decision="approved", decided_on=date(2026, 9, 1))
ARRIVED = ParentsArrived(arrival_date=date(2026, 11, 2), municipality="GM0518")


def story(*steps) -> Story:
    s = Story(state, rules)
    for org, event in steps:
        s.report(org, event)
    return s


def refusal(s: Story, org: str, event) -> Rejection:
    outcome = s.decide(org, event)
    assert isinstance(outcome, Rejection), outcome
    return outcome


# --- §2.1 the order of facts -------------------------------------------------------------------


def test_a_permit_opens_the_case() -> None:
    assert types_of(story().report("nidos", PERMIT)) == ["ResidencePermitGranted"]


def test_a_permit_for_a_municipality_outside_the_directory_is_refused() -> None:
    outcome = refusal(story(), "nidos", PERMIT.model_copy(update={"municipality": "GM9999"}))
    assert (outcome.code, outcome.field) == ("unknown-municipality", "data.municipality")


@pytest.mark.parametrize("event", [FILED, DnaTestOffered(offered_on=date(2026, 3, 1)), APPROVED, ARRIVED])
def test_nothing_but_a_permit_opens_a_case(event) -> None:
    outcome = refusal(story(), "ind" if event is not FILED else "nidos", event)
    assert outcome.code == "unknown-case"
    # the permit may be a report a crashed process held, redelivered behind this one
    assert outcome.awaits_earlier_report and not outcome.awaits_other_service


def test_a_decision_needs_an_application() -> None:
    outcome = refusal(story(("nidos", PERMIT)), "ind", APPROVED)
    assert outcome.code == "out-of-order"
    assert "ApplicationFiled" in outcome.reason


def test_a_dna_test_needs_an_open_application() -> None:
    assert refusal(story(("nidos", PERMIT)), "ind", DnaTestOffered(offered_on=date(2026, 3, 1))).code == "out-of-order"
    decided = story(("nidos", PERMIT), ("nidos", FILED), ("ind", APPROVED))
    assert refusal(decided, "ind", DnaTestOffered(offered_on=date(2026, 9, 2))).code == "out-of-order"


def test_parents_arrive_only_after_approval() -> None:
    filed = story(("nidos", PERMIT), ("nidos", FILED))
    assert refusal(filed, "gm0855", ARRIVED).code == "out-of-order"
    rejected = story(("nidos", PERMIT), ("nidos", FILED), ("ind", ApplicationDecided(decision="rejected", decided_on=date(2026, 9, 1))))
    assert refusal(rejected, "gm0855", ARRIVED).code == "out-of-order"


def test_a_second_permit_is_refused() -> None:
    # (the same report sent twice is the runtime's to recognise: tests/integration/test_idempotency.py)
    s = story(("nidos", PERMIT))
    assert refusal(s, "nidos", PERMIT.model_copy(update={"permit_date": date(2026, 1, 11)})).code == "duplicate-fact"


# --- §4.1 start early --------------------------------------------------------------------------


def test_filing_requests_the_transition_meeting_and_family_housing_from_the_municipality() -> None:
    s = story(("nidos", PERMIT))
    s.fact("school-isk-tilburg", EducationEnrolled(level="isk", since=date(2026, 1, 15), school="school-isk-tilburg"))
    stored = s.report("nidos", FILED)
    assert types_of(stored) == ["ApplicationFiled", "HandoffRequested", "HandoffRequested"]
    meeting, housing = data(stored, "HandoffRequested")
    assert (meeting.kind, meeting.requester, meeting.owner, meeting.due) == (
        "plan-transition-meeting", "nidos", "gm0855", date(2026, 3, 2),
    )
    assert set(meeting.invited) == {"nidos", "wijkteam-gm0855", "vwn-gm0855", "school-isk-tilburg"}
    assert (housing.kind, housing.owner, housing.due) == ("plan-family-housing", "gm0855", date(2026, 3, 30))
    assert meeting.handoff_id == stored[1].id
    assert stored[1].causationid == stored[0].id


def test_deciding_twice_derives_identical_events() -> None:
    s = story(("nidos", PERMIT))
    assert s.decide("nidos", FILED, "f1") == s.decide("nidos", FILED, "f1")


# --- §4.3 the parents arrive ------------------------------------------------------------------


def test_arrival_brings_brede_intake_and_social_guidance_in_the_parents_municipality() -> None:
    s = story(("nidos", PERMIT), ("nidos", FILED), ("ind", APPROVED))
    stored = s.report("coa", ARRIVED)
    intake, guidance = data(stored, "HandoffRequested")
    assert (intake.kind, intake.owner, intake.due) == ("brede-intake-pip", "gm0518", date(2026, 11, 30))
    assert (guidance.kind, guidance.owner) == ("social-guidance-parents", "vwn-gm0518")


def test_no_petition_six_weeks_after_arrival_gives_nidos_a_task_once() -> None:
    s = story(("nidos", PERMIT), ("nidos", FILED), ("ind", APPROVED), ("coa", ARRIVED))
    six_weeks = ARRIVED.arrival_date + timedelta(weeks=6)
    assert s.days(ARRIVED.arrival_date, six_weeks - timedelta(days=1)) == []
    found = s.days(six_weeks, six_weeks + timedelta(days=30))
    [task] = data(found, "HandoffRequested")
    assert (task.kind, task.owner, task.requester) == ("petition-guardianship-transfer", "nidos", "regie-gm0518")
    assert found[0].time.date() == six_weeks


def test_a_petition_in_time_means_no_task() -> None:
    s = story(("nidos", PERMIT), ("nidos", FILED), ("ind", APPROVED), ("coa", ARRIVED))
    s.fact("nidos", GuardianshipTransferRequested(petition_filed_on=date(2026, 11, 20)))
    assert s.days(ARRIVED.arrival_date, ARRIVED.arrival_date + timedelta(weeks=10)) == []


# --- §2.1 the filing deadline ------------------------------------------------------------------


def test_four_weeks_before_the_deadline_nidos_gets_a_task_then_the_miss_is_recorded_once() -> None:
    s = story(("nidos", PERMIT))
    deadline = date(2026, 4, 10)
    assert s.days(PERMIT.permit_date, deadline - timedelta(weeks=4, days=1)) == []
    warned = s.day(deadline - timedelta(weeks=4))
    assert types_of(warned) == ["FilingDeadlineApproaching", "HandoffRequested"]
    [task] = data(warned, "HandoffRequested")
    assert (task.kind, task.owner, task.due) == ("file-reunification-application", "nidos", deadline)
    assert s.days(deadline - timedelta(weeks=4), deadline) == []
    assert types_of(s.days(deadline + timedelta(days=1), deadline + timedelta(days=60))) == ["FilingDeadlineMissed"]


def test_filing_in_time_stops_the_deadline_rules() -> None:
    s = story(("nidos", PERMIT), ("nidos", FILED))
    assert s.days(date(2026, 3, 1), date(2026, 6, 1)) == []


def test_a_late_reported_permit_goes_straight_to_missed() -> None:
    s = story(("nidos", PERMIT))
    assert types_of(s.day(date(2026, 5, 1))) == ["FilingDeadlineMissed"]


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)))
def test_the_filing_deadline_is_three_calendar_months_after_the_permit(permit_date: date) -> None:
    case = state.empty("case-x12345")
    case.permit = PERMIT.model_copy(update={"permit_date": permit_date})
    deadline = filing_deadline(case)
    assert deadline is not None
    assert (deadline.year * 12 + deadline.month) - (permit_date.year * 12 + permit_date.month) == 3
    assert deadline.day == permit_date.day or deadline.day < permit_date.day  # clamped at month end
    assert 89 <= (deadline - permit_date).days <= 92


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)))
def test_every_day_after_the_deadline_yields_one_miss_in_total(permit_date: date) -> None:
    s = Story(state, rules)
    s.report("nidos", PERMIT.model_copy(update={"permit_date": permit_date}))
    deadline = filing_deadline(s.case)
    found = [s.day(deadline - timedelta(weeks=4)), s.day(deadline), s.day(deadline + timedelta(days=1)), s.day(deadline + timedelta(days=2))]
    assert [types_of(f) for f in found] == [["FilingDeadlineApproaching", "HandoffRequested"], [], ["FilingDeadlineMissed"], []]
