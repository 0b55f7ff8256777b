"""Who may report about a case to housing (contracts/involvement.py): a municipality moves or houses
only a family that lives there (or the young person who does), COA only one whose parents it
receives; anyone else is refused `not-involved`, field `source` — the case-takeover of issue 14."""

from datetime import date

from contracts.events import ApplicationDecided, FamilyRelocated
from services.housing import rules, state
from tests.services.housing.test_rules import ARRIVED, AZC, HOME, PERMIT
from tests.support.domain import Story, not_involved, types_of, with_facts

APPROVED = ApplicationDecided(decision="approved", decided_on=date(2026, 9, 1))


def story(*facts, reports=()) -> Story:
    s = with_facts(state, rules, ("nidos", PERMIT), *facts)
    s.events += [event for org, report in reports for event in s.decide(org, report)]
    return s


def moved(src: str, dst: str, on: date = date(2027, 3, 1)) -> FamilyRelocated:
    return FamilyRelocated(from_municipality=src, to_municipality=dst, moved_on=on)


def test_another_municipality_cannot_move_a_family_to_itself() -> None:
    s = story(("ind", APPROVED), ("coa", ARRIVED), reports=[("gm0855", HOME)])
    reason = not_involved(s, "gm0518", moved("GM0855", "GM0518")).reason
    assert reason == ("field 'source': has no role in this case that may report FamilyRelocated: "
                      "only the family's municipality may")
    assert s.case.family_municipality == "GM0855"
    assert types_of(s.report("gm0855", moved("GM0855", "GM0518")))[0] == "FamilyRelocated"


def test_coa_moves_or_houses_only_a_family_whose_parents_it_receives() -> None:
    assert "only the reception location (COA) may" in not_involved(story(), "coa", AZC).reason  # nothing approved
    approved = story(("ind", APPROVED))
    assert types_of(approved.report("coa", AZC)) == ["HousingAssigned"]  # on the way or here: COA receives them
    in_reception = story(("ind", APPROVED), ("coa", ARRIVED), reports=[("coa", AZC)])
    assert types_of(in_reception.report("coa", moved("GM0518", "GM0344")))[0] == "FamilyRelocated"
    housed = story(("ind", APPROVED), ("coa", ARRIVED), reports=[("gm0855", HOME)])
    not_involved(housed, "coa", moved("GM0855", "GM0344"))  # the family has a home of its own


def test_a_home_is_reported_by_the_young_persons_municipality_before_the_parents_arrive() -> None:
    s = story(("ind", APPROVED))
    not_involved(s, "gm0518", HOME.model_copy(update={"municipality": "GM0518"}))
    assert types_of(s.report("gm0855", HOME))[0] == "HousingAssigned"


def test_while_the_parents_are_in_an_azc_elsewhere_their_assigned_municipality_and_the_azcs_report() -> None:
    s = story(("ind", APPROVED), ("coa", ARRIVED), reports=[("coa", AZC)])
    not_involved(s, "gm0344", HOME.model_copy(update={"municipality": "GM0344"}))
    assert types_of(s.decide("gm0518", HOME.model_copy(update={"municipality": "GM0518"})))[0] == "HousingAssigned"
    assert types_of(s.report("gm0855", HOME))[0] == "HousingAssigned"


def test_an_unknown_case_is_unknown_whoever_reports() -> None:
    assert Story(state, rules).decide("gm0518", moved("GM0855", "GM0518")).code == "unknown-case"
