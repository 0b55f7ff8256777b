"""The agenda of Tilburg's integral meeting on 15 September 2026 for the seeded cases (seed.py, played
through the real rules of every service), item by item; replays as of earlier days; and no
municipality ever sees another's case."""

from datetime import date, timedelta

import pytest

from contracts.events import ApplicationDecided, ApplicationFiled, ParentsArrived
from tests.support.casefold import fold
from services.guardianship import state as guardianship_state
from services.monitoring.agenda import USUAL_IN_PHASE, agenda, phase_of
from services.monitoring.casefile import case_file, case_municipality, recorded_on
from services.monitoring.render import agenda_data
from tests.services.monitoring.seed import MEETING, PREVIOUS_MEETING, permit, seeded
from tests.support.chain import Chain
from tests.support.domain import DIRECTORY

d = date.fromisoformat
TILBURG, UTRECHT, DEN_HAAG = "GM0855", "GM0344", "GM0518"
TILBURG_CASES = {
    "case-t18-open", "case-t17h-missed", "case-dna-stuck", "case-filed-fresh", "case-gap-18", "case-reunited",
    "case-moved-in",
}


@pytest.fixture(scope="module")
def histories():
    return seeded()


@pytest.fixture(scope="module")
def tilburg(histories):
    return agenda(histories, TILBURG, MEETING, DIRECTORY, since=PREVIOUS_MEETING)


def rows(tilburg, section: str, *fields: str) -> list[tuple]:
    """(case id, owner, *facts) of each item of a section, in agenda order."""
    return [(i.case_id, i.owner, *(i.facts[f] for f in fields)) for i in tilburg.section(section).items]


def test_the_meeting_has_every_tilburg_case_and_no_other(tilburg) -> None:
    assert (tilburg.name, tilburg.as_of, tilburg.since, tilburg.cases) == ("Tilburg", MEETING, PREVIOUS_MEETING, 7)
    assert tilburg.case_ids == TILBURG_CASES


def test_since_defaults_to_the_previous_meeting_two_weeks_before(histories) -> None:
    assert agenda(histories, TILBURG, MEETING, DIRECTORY).since == MEETING - timedelta(days=14)


def test_turning_17_and_a_half_or_18_within_six_months(tilburg) -> None:
    assert rows(tilburg, "turning-18", "milestone", "milestone_on", "transition_status", "transition_accepted") == [
        ("case-t18-open", "gm0855", "18", d("2026-12-20"), "requested", False),
        ("case-t17h-missed", "gm0855", "17½", d("2027-02-01"), "not-requested", False),
    ]
    t18, t17h = tilburg.section("turning-18").items
    # turning 18 without an accepted 18+ transition needs the table; turning 17½ is preparation
    assert (t18.attention, t18.next_step, t18.due, t18.days) == (True, "accept the 18+ transition task", d("2026-09-20"), 96)
    assert (t17h.attention, t17h.due, t17h.days) == (False, None, 139)


def test_reunifications_by_phase_with_the_stuck_one_first(tilburg) -> None:
    assert rows(tilburg, "reunification", "phase", "phase_since", "stuck") == [
        ("case-dna-stuck", "nidos", "dna-test", d("2026-04-01"), True),
        ("case-filed-fresh", "ind", "filed", d("2026-07-01"), False),
        ("case-moved-in", "nidos", "parents-arrived", d("2026-09-05"), False),
    ]
    assert [i.days for i in tilburg.section("reunification").items] == [167, 76, 10]
    assert USUAL_IN_PHASE["dna-test"].days < 167 and USUAL_IN_PHASE["filed"].days > 76


def test_a_rejected_or_completed_reunification_is_not_in_progress(histories) -> None:
    for case_id in ("case-t18-open", "case-gap-18", "case-reunited", "case-t17h-missed"):
        assert phase_of(case_file(case_id, histories[case_id], MEETING)) is None, case_id


def test_every_phase_becomes_stuck_the_day_after_its_usual_duration() -> None:
    c = Chain("case-phases1")
    c.report(d("2026-01-05"), "nidos", permit("2012-01-01", TILBURG, "2026-01-05"))
    c.report(d("2026-01-10"), "nidos", ApplicationFiled(filed_on=d("2026-01-10")))
    usual = USUAL_IN_PHASE["filed"]
    on_the_day = agenda({c.case_id: c.events}, TILBURG, d("2026-01-10") + usual, DIRECTORY)
    day_after = agenda({c.case_id: c.events}, TILBURG, d("2026-01-10") + usual + timedelta(days=1), DIRECTORY)
    assert [i.facts["stuck"] for i in on_the_day.section("reunification").items] == [False]
    assert [i.facts["stuck"] for i in day_after.section("reunification").items] == [True]


def test_open_handoffs_overdue_first_then_by_due_date(tilburg) -> None:
    assert rows(tilburg, "open-handoffs", "kind", "overdue", "status") == [
        ("case-gap-18", "gm0855", "transition-18-plus", True, "requested"),
        ("case-t17h-missed", "nidos", "file-reunification-application", True, "requested"),
        ("case-reunited", "rmc-gm0855", "relieve-young-carer", True, "requested"),
        ("case-filed-fresh", "regie-gm0855", "plan-family-housing", False, "declined"),
        ("case-t18-open", "gm0855", "transition-18-plus", False, "requested"),
        ("case-reunited", "vwn-gm0855", "relieve-young-carer", False, "requested"),
        ("case-reunited", "rmc-gm0855", "relieve-young-carer", False, "requested"),
        ("case-moved-in", "gm0855", "brede-intake-pip", False, "requested"),
        ("case-moved-in", "vwn-gm0855", "social-guidance-parents", False, "requested"),
        ("case-moved-in", "wijkteam-gm0855", "district-team-handover", False, "requested"),
        ("case-moved-in", "rmc-gm0855", "school-continuity", False, "requested"),
    ]
    items = tilburg.section("open-handoffs").items
    assert [i.days for i in items[:3]] == [167, 106, 31]  # days overdue
    assert [i.facts["escalated_to"] for i in items[:3]] == ["regie-gm0855"] * 3
    declined = items[3]
    assert declined.next_step == "find another organisation to find a family home"
    assert "no family homes available this year" in declined.situation


def test_escalation_and_support_gap_tasks_are_not_listed_twice(histories, tilburg) -> None:
    kinds = {i.facts["kind"] for i in tilburg.section("open-handoffs").items}
    assert not kinds & {"escalation", "support-gap"}
    stored = {h.kind for h in case_file("case-gap-18", histories["case-gap-18"], MEETING).handoffs.values()}
    assert {"escalation", "support-gap"} <= stored  # they exist, shown as the escalated flag and the gap


def test_open_support_gaps_with_days_open(tilburg) -> None:
    [gap] = tilburg.section("support-gaps").items
    assert (gap.case_id, gap.owner, gap.days, gap.facts["reason"], gap.facts["successor"]) == (
        "case-gap-18", "regie-gm0855", 76, "turned-18", "gm0855",
    )
    assert gap.attention


def test_a_gap_closed_by_a_late_acceptance_leaves_the_agenda() -> None:
    c = Chain("case-closes1")
    c.report(d("2026-01-05"), "nidos", permit("2008-07-01", TILBURG, "2026-01-05"))
    c.days(d("2026-01-05"), d("2026-07-10"))
    c.accept(d("2026-07-11"), "transition-18-plus")
    before = agenda({c.case_id: c.events}, TILBURG, d("2026-07-10"), DIRECTORY)
    after = agenda({c.case_id: c.events}, TILBURG, d("2026-07-11"), DIRECTORY)
    assert [i.days for i in before.section("support-gaps").items] == [9]
    assert after.section("support-gaps").items == ()


def test_school_absence_since_the_previous_meeting(histories, tilburg) -> None:
    assert rows(tilburg, "school-absence", "reported_on", "after_reunification") == [
        ("case-moved-in", "rmc-gm0855", d("2026-09-02"), False),
        ("case-reunited", "vwn-gm0855", d("2026-09-08"), True),
    ]
    reunited = tilburg.section("school-absence").items[1]
    assert (reunited.attention, reunited.due, reunited.days) == (True, d("2026-09-22"), 7)
    # from an earlier meeting on, the August signal is there too; its RMC relief task is still open
    earlier = agenda(histories, TILBURG, MEETING, DIRECTORY, since=d("2026-07-31"))
    august = [i for i in earlier.section("school-absence").items if i.facts["reported_on"] == d("2026-08-01")]
    assert [(i.case_id, i.owner, i.due) for i in august] == [("case-reunited", "rmc-gm0855", d("2026-08-15"))]


def test_cohabitation_duties_ending_within_twelve_weeks(histories, tilburg) -> None:
    assert [(i.case_id, i.owner, i.due, i.days) for i in tilburg.section("cohabitation-ending").items] == [
        ("case-reunited", "gm0855", d("2026-10-15"), 30)
    ]
    twelve_weeks_and_a_day_before = d("2026-10-15") - timedelta(weeks=12, days=1)
    assert agenda(histories, TILBURG, twelve_weeks_and_a_day_before, DIRECTORY).section("cohabitation-ending").items == ()


def test_moves_between_municipalities(histories, tilburg) -> None:
    [move] = tilburg.section("moves").items
    assert (move.case_id, move.owner, move.due) == ("case-moved-in", "wijkteam-gm0855", d("2026-10-08"))
    assert move.facts == {
        "from": DEN_HAAG, "to": TILBURG, "moved_on": d("2026-09-05"),
        "handovers_waiting": ["district-team-handover", "school-continuity"],
    }
    # an older move stays on the agenda while its handovers wait, and needs attention once overdue
    later = agenda(histories, TILBURG, d("2026-11-01"), DIRECTORY, since=d("2026-10-18"))
    [still] = later.section("moves").items
    assert still.attention and still.facts["moved_on"] < d("2026-10-18")


def test_language_needs_and_the_handoffs_flagged_for_them(tilburg) -> None:
    items = tilburg.section("language").items
    assert [(i.case_id, i.owner, i.facts.get("kind"), i.attention) for i in items] == [
        ("case-filed-fresh", "regie-gm0855", None, False),
        ("case-moved-in", "regie-gm0855", None, True),
        ("case-moved-in", "gm0855", "brede-intake-pip", True),
        ("case-moved-in", "vwn-gm0855", "social-guidance-parents", True),
        ("case-moved-in", "wijkteam-gm0855", "district-team-handover", True),
        ("case-moved-in", "rmc-gm0855", "school-continuity", True),
    ]
    assert items[1].next_step == "arrange an interpreter (ti, ar)"  # the key person is arranged
    assert items[1].facts["languages"] == ["ti", "ar"]
    flagged = {(i.case_id, i.facts["kind"]) for i in tilburg.section("open-handoffs").items if i.facts["language_support_missing"]}
    assert flagged == {(i.case_id, i.facts["kind"]) for i in items[2:]}


# --- replay: the agenda as of any day --------------------------------------------------------------------


@pytest.mark.parametrize("day", [d("2026-03-15"), d("2026-06-30"), d("2026-09-04"), MEETING])
def test_the_agenda_as_of_a_day_is_what_the_store_held_that_day(histories, day) -> None:
    stored_by_then = {case_id: [e for e in events if recorded_on(e) <= day] for case_id, events in histories.items()}
    for code in (TILBURG, UTRECHT, DEN_HAAG):
        assert agenda_data(agenda(histories, code, day, DIRECTORY)) == agenda_data(agenda(stored_by_then, code, day, DIRECTORY))


def test_a_case_belongs_to_den_haag_until_the_parents_arrive_in_tilburg(histories) -> None:
    day_before = d("2026-09-04")
    assert "case-moved-in" in agenda(histories, DEN_HAAG, day_before, DIRECTORY).case_ids
    assert "case-moved-in" not in agenda(histories, TILBURG, day_before, DIRECTORY).case_ids
    assert "case-moved-in" not in agenda(histories, DEN_HAAG, d("2026-09-05"), DIRECTORY).case_ids
    assert "case-moved-in" in agenda(histories, TILBURG, d("2026-09-05"), DIRECTORY).case_ids


def test_a_late_report_counts_from_the_day_it_was_recorded() -> None:
    c = Chain("case-late01")
    c.report(d("2026-01-05"), "nidos", permit("2012-01-01", TILBURG, "2026-01-05"))
    c.report(d("2026-03-01"), "nidos", ApplicationFiled(filed_on=d("2026-02-01")))  # reported a month late
    assert agenda({c.case_id: c.events}, TILBURG, d("2026-02-15"), DIRECTORY).section("reunification").items == ()
    [filed] = agenda({c.case_id: c.events}, TILBURG, d("2026-03-01"), DIRECTORY).section("reunification").items
    assert (filed.facts["phase_since"], filed.days) == (d("2026-02-01"), 28)


def test_an_arrival_reported_ahead_counts_from_its_date() -> None:
    c = Chain("case-ahead1")
    c.report(d("2026-01-05"), "nidos", permit("2012-01-01", TILBURG, "2026-01-05"))
    c.report(d("2026-01-06"), "nidos", ApplicationFiled(filed_on=d("2026-01-06")))
    c.report(d("2026-05-01"), "ind", ApplicationDecided(decision="approved", decided_on=d("2026-05-01")))
    c.report(d("2026-09-01"), "coa", ParentsArrived(arrival_date=d("2026-09-10"), municipality=UTRECHT))
    histories = {c.case_id: c.events}
    assert agenda(histories, TILBURG, d("2026-09-09"), DIRECTORY).cases == 1
    assert agenda(histories, UTRECHT, d("2026-09-09"), DIRECTORY).cases == 0
    assert agenda(histories, TILBURG, d("2026-09-10"), DIRECTORY).cases == 0
    assert agenda(histories, UTRECHT, d("2026-09-10"), DIRECTORY).cases == 1


# --- a municipality sees only its own cases -----------------------------------------------------------------


def test_utrecht_sees_only_its_case_and_tilburg_never_sees_it(histories, tilburg) -> None:
    utrecht = agenda(histories, UTRECHT, MEETING, DIRECTORY)
    assert utrecht.case_ids == {"case-utrecht-gap"} and utrecht.cases == 1
    assert "case-utrecht-gap" not in tilburg.case_ids
    assert agenda(histories, DEN_HAAG, MEETING, DIRECTORY).cases == 0


@pytest.mark.parametrize("day", [d("2026-02-01"), d("2026-06-01"), d("2026-09-04"), MEETING, d("2026-12-31")])
def test_no_case_is_ever_on_two_municipalities_agendas(histories, day) -> None:
    seen: dict[str, str] = {}
    for code in DIRECTORY.municipalities:
        for case_id in agenda(histories, code, day, DIRECTORY).case_ids:
            assert case_municipality(case_file(case_id, histories[case_id], day)) == code
            assert case_id not in seen, f"{case_id} on the agendas of {seen.get(case_id)} and {code}"
            seen[case_id] = code


def test_the_case_municipality_is_the_one_guardianship_hands_the_18_plus_transition_to(histories) -> None:
    for case_id, events in histories.items():
        folded = fold(guardianship_state, case_id, events)
        assert case_municipality(case_file(case_id, events, d("2030-01-01"))) == folded.young_persons_municipality


def test_an_unknown_municipality_is_refused(histories) -> None:
    with pytest.raises(ValueError, match="GM9999"):
        agenda(histories, "GM9999", MEETING, DIRECTORY)


def test_a_case_whose_date_of_birth_was_erased_has_no_birthday_on_the_agenda(histories) -> None:
    from services.monitoring.agenda import turning_18

    erased = case_file("case-t18-open", histories["case-t18-open"], MEETING)
    assert erased.permit is not None
    erased.permit = erased.permit.model_construct(**{**dict(erased.permit), "date_of_birth": None})
    local = DIRECTORY.of(TILBURG)
    assert [i.case_id for i in turning_18([erased], MEETING, local)] == []
    intact = case_file("case-t18-open", histories["case-t18-open"], MEETING)
    assert [i.case_id for i in turning_18([intact], MEETING, local)] == ["case-t18-open"]
