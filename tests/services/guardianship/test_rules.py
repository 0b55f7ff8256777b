"""guardianship's pure rules: the order of facts, aftercare before the transfer, the 18-/18+
transition, the continuity guarantee (warm end or a gap, exactly once) and school absence."""

from datetime import date, timedelta

import pytest

from contracts.envelope import CloudEvent
from contracts.events import (
    EducationEnrolled,
    FamilyRelocated,
    GuardianAssigned,
    GuardianshipTransferRequested,
    GuardianshipTransferred,
    HandoffAccepted,
    HandoffDeclined,
    HandoffRequested,
    HousingAssigned,
    ParentsArrived,
    ResidencePermitGranted,
    SchoolAbsenceReported,
    SupportEnded,
    SupportExtended,
    SupportGapClosed,
    SupportGapDetected,
    Turned18,
    data_of,
    derive,
)
from contracts.inbox import Rejection
from services.guardianship import rules, state
from services.runtime.rulesettings import DEFAULTS
from tests.support.domain import DIRECTORY, Story, data, types_of

CHECKLIST_18_PLUS = DEFAULTS.checklist_18_plus

BIRTHDAY_18 = date(2027, 8, 20)
SEVENTEEN_AND_A_HALF = date(2027, 2, 20)
PERMIT = ResidencePermitGranted(date_of_birth=date(2009, 8, 20), municipality="GM0855", permit_date=date(2026, 1, 10))
ARRIVED = ParentsArrived(arrival_date=date(2026, 11, 2), municipality="GM0518")
PETITION = GuardianshipTransferRequested(petition_filed_on=date(2026, 11, 20))
TRANSFERRED = GuardianshipTransferred(transferred_on=date(2027, 2, 15))
ENROLLED = EducationEnrolled(level="isk", since=date(2026, 1, 15), school="school-isk-tilburg")
ABSENCE = SchoolAbsenceReported(reported_on=date(2026, 12, 1), days_absent=6)


def story(*, arrived: bool = False, petition: bool = False, permit: ResidencePermitGranted = PERMIT) -> Story:
    s = Story(state, rules)
    s.fact("ind", permit)
    if arrived or petition:
        s.fact("coa", ARRIVED)
    if petition:
        s.report("nidos", PETITION)
    return s


def refusal(s: Story, org: str, event) -> Rejection:
    outcome = s.decide(org, event)
    assert isinstance(outcome, Rejection), outcome
    return outcome


def handoffs(events: list[CloudEvent], kind: str | None = None) -> list[HandoffRequested]:
    return [h for h in data(events, "HandoffRequested") if kind is None or h.kind == kind]


def handoff(s: Story, kind: str) -> HandoffRequested:
    [found] = handoffs(s.events, kind)
    return found


def accepted(s: Story, kind: str) -> CloudEvent:
    """What notify stores when the owner of guardianship's handoff of `kind` accepts it."""
    requested = next(e for e in s.events if e.event_type == "HandoffRequested" and data_of(e).kind == kind)
    h = data_of(requested)
    return derive(HandoffAccepted(handoff_id=h.handoff_id, accepted_by=h.owner), requested, "answer-TaskAccepted", "notify")


def accept(s: Story, kind: str) -> list[CloudEvent]:
    """The owner accepts: notify stores it, guardianship reacts."""
    envelope = accepted(s, kind)
    s.store([envelope])
    return s.react(envelope)


# --- §2.3 the order of facts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("org", "event"),
    [
        ("nidos", GuardianAssigned(since=date(2025, 6, 1))),
        ("school-isk-tilburg", ENROLLED),
        ("school-isk-tilburg", ABSENCE),
        ("nidos", PETITION),
        ("nidos", TRANSFERRED),
        ("nidos", SupportExtended(until=date(2028, 1, 1), by="nidos")),
    ],
)
def test_every_report_needs_the_case(org, event) -> None:
    outcome = refusal(Story(state, rules), org, event)
    assert (outcome.code, outcome.field) == ("unknown-case", "subject")


@pytest.mark.parametrize(
    ("org", "event"),
    [
        ("nidos", GuardianAssigned(since=date(2025, 6, 1))),
        ("school-isk-tilburg", ENROLLED),
        ("rmc-gm0855", ABSENCE),
        ("gm0855", SupportExtended(until=date(2028, 1, 1), by="nidos")),
    ],
)
def test_plain_facts_are_stored_as_reported(org, event) -> None:
    s = story()
    stored = s.report(org, event)
    assert types_of(stored) == [event.event_type]
    assert data_of(stored[0]) == event


def test_the_petition_needs_the_parents_to_have_arrived() -> None:
    outcome = refusal(story(), "nidos", PETITION)
    assert (outcome.code, outcome.field) == ("out-of-order", "type")
    assert "ParentsArrived" in outcome.reason


def test_the_transfer_needs_the_petition() -> None:
    outcome = refusal(story(arrived=True), "nidos", TRANSFERRED)
    assert (outcome.code, outcome.field) == ("out-of-order", "type")
    assert "GuardianshipTransferRequested" in outcome.reason


def test_a_second_petition_or_transfer_is_a_duplicate_fact() -> None:
    s = story(petition=True)
    assert refusal(s, "nidos", PETITION.model_copy(update={"petition_filed_on": date(2026, 11, 21)})).code == "duplicate-fact"
    s.report("nidos", TRANSFERRED)
    assert refusal(s, "nidos", TRANSFERRED.model_copy(update={"transferred_on": date(2027, 2, 16)})).code == "duplicate-fact"


def test_a_second_petition_or_transfer_is_a_duplicate_fact() -> None:
    """The same report sent again never reaches the decider: the runtime recognises it by sender
    and id (tests/integration/test_idempotency.py). A second report of the fact is refused here."""
    s = story(petition=True)
    assert s.decide("nidos", PETITION, "petition-2").code == "duplicate-fact"
    s.report("nidos", TRANSFERRED, "transfer-1")
    assert s.decide("nidos", TRANSFERRED, "transfer-2").code == "duplicate-fact"


def test_the_court_cannot_decide_before_the_petition() -> None:
    outcome = refusal(story(petition=True), "nidos", GuardianshipTransferred(transferred_on=date(2026, 11, 19)))
    assert (outcome.code, outcome.field) == ("out-of-order", "data.transferred_on")


def test_nothing_to_transfer_from_the_18th_birthday_on() -> None:
    s = story(arrived=True)
    late_petition = GuardianshipTransferRequested(petition_filed_on=BIRTHDAY_18)
    assert (refusal(s, "nidos", late_petition).field) == "data.petition_filed_on"
    s.report("nidos", PETITION)
    outcome = refusal(s, "nidos", GuardianshipTransferred(transferred_on=BIRTHDAY_18))
    assert (outcome.code, outcome.field) == ("out-of-order", "data.transferred_on")
    assert not isinstance(s.decide("nidos", GuardianshipTransferred(transferred_on=BIRTHDAY_18 - timedelta(days=1))), Rejection)


def test_deciding_twice_derives_identical_events() -> None:
    s = story(arrived=True)
    assert s.decide("nidos", PETITION, "p1") == s.decide("nidos", PETITION, "p1")


# --- §4.2 rule 6: aftercare is requested when Nidos petitions the court --------------------------


def test_the_petition_asks_district_team_and_vwn_of_the_familys_municipality_for_aftercare() -> None:
    s = story(arrived=True)
    s.fact("school-isk-tilburg", ENROLLED)
    stored = s.report("nidos", PETITION)
    assert types_of(stored) == ["GuardianshipTransferRequested", "HandoffRequested", "HandoffRequested"]
    district, guidance = data(stored, "HandoffRequested")
    due = PETITION.petition_filed_on + timedelta(weeks=8)
    assert (district.kind, district.requester, district.owner, district.due, district.municipality) == (
        "aftercare-district-team", "nidos", "wijkteam-gm0518", due, "GM0518",
    )
    assert district.invited == ("school-isk-tilburg",)
    assert (guidance.kind, guidance.requester, guidance.owner, guidance.due) == (
        "aftercare-social-guidance", "nidos", "vwn-gm0518", due,
    )
    assert district.handoff_id == stored[1].id and stored[1].causationid == stored[0].id


@pytest.mark.parametrize(
    ("facts", "family"),
    [
        ([], "GM0518"),  # where the parents arrived
        ([HousingAssigned(municipality="GM0344", housing="azc", housed_on=date(2026, 11, 3))], "GM0518"),
        ([HousingAssigned(municipality="GM0344", housing="family-home", housed_on=date(2026, 11, 3))], "GM0344"),
        (
            [
                HousingAssigned(municipality="GM0344", housing="family-home", housed_on=date(2026, 11, 3)),
                FamilyRelocated(from_municipality="GM0344", to_municipality="GM0855", moved_on=date(2026, 11, 10)),
            ],
            "GM0855",
        ),
    ],
)
def test_the_familys_municipality_is_where_the_family_lives_last(facts, family) -> None:
    s = story(arrived=True)
    for fact in facts:
        s.fact("gm0518", fact)
    district, guidance = handoffs(s.report("nidos", PETITION))
    assert district.municipality == guidance.municipality == family
    assert district.owner == f"wijkteam-{family.lower()}"
    assert guidance.owner == f"vwn-{family.lower()}"


# --- §4.1/§4.2 rule 7: the 18-/18+ transition ------------------------------------------------------


def test_the_18_plus_handoff_is_requested_at_seventeen_and_a_half_once() -> None:
    s = story()
    s.fact("school-isk-tilburg", ENROLLED)
    assert s.days(SEVENTEEN_AND_A_HALF - timedelta(days=40), SEVENTEEN_AND_A_HALF - timedelta(days=1)) == []
    found = s.day(SEVENTEEN_AND_A_HALF)
    [transition] = handoffs(found)
    assert (transition.kind, transition.requester, transition.owner, transition.municipality) == (
        "transition-18-plus", "nidos", "gm0855", "GM0855",
    )
    assert transition.due == date(2027, 5, 20)
    assert transition.checklist == CHECKLIST_18_PLUS
    assert set(transition.invited) == {"wijkteam-gm0855", "vwn-gm0855", "school-isk-tilburg"}
    assert found[0].time.date() == SEVENTEEN_AND_A_HALF
    assert s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18 - timedelta(days=1)) == []


def test_once_the_parents_arrived_the_18_plus_handoff_goes_to_the_familys_municipality() -> None:
    s = story(arrived=True)
    s.fact("gm0518", FamilyRelocated(from_municipality="GM0518", to_municipality="GM0344", moved_on=date(2026, 12, 1)))
    [transition] = handoffs(s.day(SEVENTEEN_AND_A_HALF))
    assert (transition.owner, transition.municipality) == ("gm0344", "GM0344")
    assert set(transition.invited) == {"wijkteam-gm0344", "vwn-gm0344"}


def test_a_case_reported_late_gets_the_18_plus_handoff_due_no_earlier_than_today() -> None:
    s = story()
    day = BIRTHDAY_18 - timedelta(days=30)
    [transition] = handoffs(s.day(day))
    assert transition.due == day


def test_no_18_plus_handoff_from_nidos_once_guardianship_passed_to_the_parents() -> None:
    s = story(petition=True)
    s.report("nidos", TRANSFERRED)
    found = s.days(SEVENTEEN_AND_A_HALF - timedelta(days=5), BIRTHDAY_18 + timedelta(days=5))
    assert types_of(found) == ["Turned18"]  # the birthday is still a fact, but Nidos' support already ended


def test_turned_18_is_recorded_on_the_birthday_once() -> None:
    s = story()
    s.day(SEVENTEEN_AND_A_HALF)
    assert s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18 - timedelta(days=1)) == []
    found = s.day(BIRTHDAY_18)
    [turned] = data(found, "Turned18")
    assert turned == Turned18(birthday=BIRTHDAY_18)
    assert [e.time.date() for e in found if e.event_type == "Turned18"] == [BIRTHDAY_18]
    assert data(s.days(BIRTHDAY_18, BIRTHDAY_18 + timedelta(days=400)), "Turned18") == []


def test_skipped_days_catch_up_in_one_go() -> None:
    s = story()
    found = s.day(BIRTHDAY_18 + timedelta(days=3))
    assert types_of(found) == ["HandoffRequested", "Turned18", "SupportGapDetected", "HandoffRequested"]
    transition = handoffs(found, "transition-18-plus")[0]
    [gap] = data(found, "SupportGapDetected")
    assert gap.successor_handoff_id == transition.handoff_id
    assert data(found, "Turned18") == [Turned18(birthday=BIRTHDAY_18)]
    assert s.days(BIRTHDAY_18, BIRTHDAY_18 + timedelta(days=30)) == []


# --- §4.2/§4.4 rule 8: continuity — a warm end, or a gap exactly once --------------------------------


def test_a_transfer_after_the_district_team_accepted_ends_support_warmly() -> None:
    s = story(petition=True)
    assert accept(s, "aftercare-district-team") == []  # nothing ended yet, nothing to close
    stored = s.report("nidos", TRANSFERRED)
    assert types_of(stored) == ["GuardianshipTransferred", "SupportEnded"]
    [ended] = data(stored, "SupportEnded")
    assert ended == SupportEnded(
        ended_on=TRANSFERRED.transferred_on, by="nidos", reason="guardianship-transferred",
        successor_handoff_id=handoff(s, "aftercare-district-team").handoff_id,
    )
    assert types_of(s.days(TRANSFERRED.transferred_on, BIRTHDAY_18 + timedelta(days=60))) == ["Turned18"]
    assert data(s.events, "SupportGapDetected") == []
    assert len(data(s.events, "SupportEnded")) == 1


def test_vluchtelingenwerks_acceptance_alone_makes_the_transfer_warm() -> None:
    """§4.2: "warme overdracht naar VluchtelingenWerk en/of wijkprofessionals": either one is a successor
    (issue 15, point 8: this was a gap while only the district team's acceptance counted)."""
    s = story(petition=True)
    accept(s, "aftercare-social-guidance")
    stored = s.report("nidos", TRANSFERRED)
    assert types_of(stored) == ["GuardianshipTransferred", "SupportEnded"]
    assert data(stored, "SupportEnded")[0].successor_handoff_id == handoff(s, "aftercare-social-guidance").handoff_id


def test_a_transfer_nobody_accepted_is_a_gap_for_the_coordinator_closed_when_the_district_team_accepts() -> None:
    s = story(petition=True)
    stored = s.report("nidos", TRANSFERRED)
    assert types_of(stored) == ["GuardianshipTransferred", "SupportGapDetected", "HandoffRequested"]
    successor = handoff(s, "aftercare-district-team")
    [gap] = data(stored, "SupportGapDetected")
    assert gap == SupportGapDetected(
        detected_on=TRANSFERRED.transferred_on, by="nidos", reason="guardianship-transferred",
        successor_handoff_id=successor.handoff_id,
    )
    [task] = handoffs(stored, "support-gap")
    assert (task.requester, task.owner, task.municipality, task.due) == (
        "nidos", "regie-gm0518", "GM0518", TRANSFERRED.transferred_on + timedelta(weeks=1),
    )
    assert task.invited == ("wijkteam-gm0518", "vwn-gm0518")  # both possible successors (§4.2, "en/of")
    assert s.days(TRANSFERRED.transferred_on, TRANSFERRED.transferred_on + timedelta(days=60)) == []

    acceptance = accepted(s, "aftercare-district-team")
    s.store([acceptance])
    closed = s.react(acceptance)
    assert types_of(closed) == ["SupportGapClosed", "SupportEnded"]
    assert data(closed, "SupportGapClosed") == [
        SupportGapClosed(gap_event_id=stored[1].id, closed_by_handoff_id=successor.handoff_id)
    ]
    [ended] = data(closed, "SupportEnded")
    assert (ended.reason, ended.ended_on, ended.successor_handoff_id) == (
        "guardianship-transferred", TRANSFERRED.transferred_on, successor.handoff_id,
    )
    assert s.react(acceptance) == []  # redelivered: closed already
    assert types_of(s.days(TRANSFERRED.transferred_on, BIRTHDAY_18 + timedelta(days=30))) == ["Turned18"]
    assert len(data(s.events, "SupportGapDetected")) == len(data(s.events, "SupportGapClosed")) == 1


def test_nothing_ends_twice_after_a_transfer() -> None:
    s = story(petition=True)
    s.report("nidos", TRANSFERRED)
    later = s.days(TRANSFERRED.transferred_on, BIRTHDAY_18 + timedelta(days=400))
    assert types_of(later) == ["Turned18"]


def test_turning_18_without_an_accepted_18_plus_handoff_is_a_gap_detected_once() -> None:
    s = story()
    s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18 - timedelta(days=1))
    found = s.days(BIRTHDAY_18, BIRTHDAY_18 + timedelta(days=120))
    assert types_of(found) == ["Turned18", "SupportGapDetected", "HandoffRequested"]
    [gap] = data(found, "SupportGapDetected")
    assert (gap.reason, gap.detected_on, gap.successor_handoff_id) == (
        "turned-18", BIRTHDAY_18, handoff(s, "transition-18-plus").handoff_id,
    )
    [task] = handoffs(found, "support-gap")
    assert (task.owner, task.due, task.invited) == ("regie-gm0855", BIRTHDAY_18 + timedelta(weeks=1), ("gm0855",))


def test_a_gap_at_18_closes_when_the_municipality_accepts_later() -> None:
    s = story()
    s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18)
    closed = accept(s, "transition-18-plus")
    assert types_of(closed) == ["SupportGapClosed", "SupportEnded"]
    [ended] = data(closed, "SupportEnded")
    assert (ended.reason, ended.ended_on) == ("turned-18", BIRTHDAY_18)
    assert s.days(BIRTHDAY_18, BIRTHDAY_18 + timedelta(days=60)) == []


def test_accepted_in_time_support_ends_warmly_on_the_birthday_once() -> None:
    s = story()
    s.days(SEVENTEEN_AND_A_HALF, SEVENTEEN_AND_A_HALF + timedelta(days=10))
    assert accept(s, "transition-18-plus") == []
    found = s.days(SEVENTEEN_AND_A_HALF + timedelta(days=10), BIRTHDAY_18 + timedelta(days=200))
    assert types_of(found) == ["Turned18", "SupportEnded"]
    [ended] = data(found, "SupportEnded")
    assert ended == SupportEnded(
        ended_on=BIRTHDAY_18, by="nidos", reason="turned-18",
        successor_handoff_id=handoff(s, "transition-18-plus").handoff_id,
    )
    assert found[1].time.date() == BIRTHDAY_18


def test_an_extension_of_nidos_support_postpones_the_end_to_the_day_after_it() -> None:
    s = story()
    until = date(2027, 12, 31)
    s.report("gm0855", SupportExtended(until=until, by="nidos"))
    s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18 - timedelta(days=1))
    assert types_of(s.days(BIRTHDAY_18, until)) == ["Turned18"]
    found = s.days(until + timedelta(days=1), until + timedelta(days=90))
    assert types_of(found) == ["SupportGapDetected", "HandoffRequested"]
    [gap] = data(found, "SupportGapDetected")
    assert (gap.reason, gap.detected_on) == ("extension-ended", date(2028, 1, 1))
    closed = accept(s, "transition-18-plus")
    [ended] = data(closed, "SupportEnded")
    assert (ended.reason, ended.ended_on) == ("extension-ended", date(2028, 1, 1))


def test_an_extension_ends_warmly_when_the_18_plus_handoff_was_accepted() -> None:
    s = story()
    s.report("nidos", SupportExtended(until=BIRTHDAY_18, by="nidos"))  # running on the birthday itself
    s.day(SEVENTEEN_AND_A_HALF)
    accept(s, "transition-18-plus")
    assert types_of(s.day(BIRTHDAY_18)) == ["Turned18"]
    [ended] = data(s.days(BIRTHDAY_18 + timedelta(days=1), BIRTHDAY_18 + timedelta(days=30)), "SupportEnded")
    assert (ended.reason, ended.ended_on) == ("extension-ended", BIRTHDAY_18 + timedelta(days=1))


@pytest.mark.parametrize(
    "extension",
    [
        SupportExtended(until=BIRTHDAY_18 - timedelta(days=1), by="nidos"),  # ran out before the birthday
        SupportExtended(until=date(2028, 6, 1), by="vwn-gm0855"),  # someone else's support
    ],
)
def test_extensions_that_do_not_carry_nidos_past_the_birthday_change_nothing(extension) -> None:
    s = story()
    s.report("nidos" if extension.by == "nidos" else "gm0855", extension)
    found = s.days(BIRTHDAY_18 - timedelta(days=1), BIRTHDAY_18 + timedelta(days=400))
    [gap] = data(found, "SupportGapDetected")
    assert (gap.reason, gap.detected_on) == ("turned-18", BIRTHDAY_18)


def test_the_gap_is_closed_by_its_successor_only() -> None:
    s = story()
    s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18)
    [gap_task] = handoffs(s.events, "support-gap")
    other = derive(HandoffAccepted(handoff_id=gap_task.handoff_id, accepted_by="regie-gm0855"), s.events[-1], "x", "notify")
    s.store([other])
    assert s.react(other) == []
    assert s.days(BIRTHDAY_18, BIRTHDAY_18 + timedelta(days=10)) == []


def test_a_declined_successor_leaves_the_gap_open() -> None:
    s = story()
    s.day(SEVENTEEN_AND_A_HALF)
    transition = handoff(s, "transition-18-plus")
    s.store([derive(HandoffDeclined(handoff_id=transition.handoff_id, declined_by="gm0855", reason="not yet"), s.events[-1], "d", "notify")])
    assert s.case.declined == {transition.handoff_id}
    assert types_of(s.days(BIRTHDAY_18, BIRTHDAY_18 + timedelta(days=30))) == ["Turned18", "SupportGapDetected", "HandoffRequested"]


def test_react_closes_the_gap_even_when_the_acceptance_is_not_yet_in_the_loaded_case() -> None:
    s = story()
    s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18)
    acceptance = accepted(s, "transition-18-plus")
    assert types_of(rules.react(s.case, acceptance, DIRECTORY)) == ["SupportGapClosed", "SupportEnded"]


def test_a_missed_closing_is_caught_up_on_the_next_day_once() -> None:
    s = story()
    s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18)
    s.store([accepted(s, "transition-18-plus")])  # stored, but react never ran (it raced the gap)
    found = s.days(BIRTHDAY_18 + timedelta(days=1), BIRTHDAY_18 + timedelta(days=20))
    assert types_of(found) == ["SupportGapClosed", "SupportEnded"]


def test_react_ignores_other_events_and_projection_cases_are_not_mutated() -> None:
    s = story()
    s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18 - timedelta(days=1))
    case = s.case
    before = (set(case.event_ids), dict(case.handoffs), case.turned_18)
    rules.on_day(case, BIRTHDAY_18 + timedelta(days=5), DIRECTORY)
    assert (case.event_ids, case.handoffs, case.turned_18) == before
    assert rules.react(case, s.events[0], DIRECTORY) == []


def test_a_case_that_does_not_exist_has_no_days() -> None:
    assert Story(state, rules).days(date(2020, 1, 1), date(2020, 1, 3)) == []


# --- §3.4 rule 9: school absence after reunification ----------------------------------------------


def test_absence_before_the_parents_arrived_is_only_stored() -> None:
    s = story()
    s.fact("school-isk-tilburg", ENROLLED)
    assert types_of(s.report("school-isk-tilburg", ABSENCE)) == ["SchoolAbsenceReported"]


def test_absence_after_the_parents_arrived_asks_vwn_and_the_rmc_to_relieve_the_young_carer() -> None:
    s = story(arrived=True)
    s.fact("school-isk-tilburg", ENROLLED)
    s.fact("gm0518", FamilyRelocated(from_municipality="GM0518", to_municipality="GM0344", moved_on=date(2026, 11, 20)))
    s.fact("school-isk-utrecht", EducationEnrolled(level="isk", since=date(2026, 11, 21), school="school-isk-utrecht"))
    stored = s.report("school-isk-utrecht", ABSENCE)
    assert types_of(stored) == ["SchoolAbsenceReported", "HandoffRequested", "HandoffRequested"]
    vwn, rmc = data(stored, "HandoffRequested")
    assert (vwn.kind, vwn.owner, vwn.requester, vwn.municipality, vwn.due) == (
        "relieve-young-carer", "vwn-gm0344", "regie-gm0344", "GM0344", ABSENCE.reported_on + timedelta(weeks=2),
    )
    assert (rmc.kind, rmc.owner) == ("relieve-young-carer", "rmc-gm0344")
    assert vwn.invited == rmc.invited == ("school-isk-utrecht",)


def test_absence_with_no_school_known_invites_nobody_and_each_report_gets_its_own_handoffs() -> None:
    s = story(arrived=True)
    first = s.report("rmc-gm0518", ABSENCE, "absence-1")
    second = s.report("rmc-gm0518", ABSENCE.model_copy(update={"reported_on": date(2027, 1, 10)}), "absence-2")
    ids = {h.handoff_id for h in handoffs(first + second)}
    assert len(ids) == 4
    assert all(h.invited == () for h in handoffs(first + second))


def test_absence_dated_before_the_arrival_is_not_about_the_parents() -> None:
    s = story(arrived=True)
    s.fact("school-isk-tilburg", ENROLLED)
    early = ABSENCE.model_copy(update={"reported_on": ARRIVED.arrival_date - timedelta(days=1)})
    assert types_of(s.report("school-isk-tilburg", early)) == ["SchoolAbsenceReported"]


def test_a_transfer_reported_after_support_already_ended_at_18_is_only_stored() -> None:
    s = story(petition=True)
    s.days(SEVENTEEN_AND_A_HALF, BIRTHDAY_18)  # the court's decision was not reported in time
    assert len(data(s.events, "SupportGapDetected")) == 1
    late = GuardianshipTransferred(transferred_on=BIRTHDAY_18 - timedelta(days=10))
    assert types_of(s.report("nidos", late)) == ["GuardianshipTransferred"]
