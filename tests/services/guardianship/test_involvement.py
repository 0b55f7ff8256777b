"""Who may report about a case to guardianship (contracts/involvement.py): the guardian, the school
of enrolment, the RMC and the municipality where the young person or the family lives; anyone else
of those kinds is refused `not-involved`, field `source`."""

from datetime import date

import pytest

from contracts.events import EducationEnrolled, FamilyRelocated, SupportExtended
from services.guardianship import rules, state
from tests.services.guardianship.test_rules import ABSENCE, ARRIVED, ENROLLED, PERMIT
from tests.support.domain import Story, not_involved, types_of, with_facts

EXTENDED = SupportExtended(until=date(2028, 2, 1), by="nidos")


def story(*facts) -> Story:
    return with_facts(state, rules, ("nidos", PERMIT), *facts)


def test_a_school_reports_absence_only_while_the_young_person_is_enrolled_there() -> None:
    reason = not_involved(story(), "school-isk-tilburg", ABSENCE).reason
    assert reason == ("field 'source': has no role in this case that may report SchoolAbsenceReported: "
                      "only the school of enrolment may")
    enrolled = story(("school-isk-tilburg", ENROLLED))
    assert types_of(enrolled.report("school-isk-tilburg", ABSENCE))[0] == "SchoolAbsenceReported"
    not_involved(enrolled, "school-isk-utrecht", ABSENCE)


def test_a_school_enrolling_the_young_person_at_itself_becomes_the_school_of_enrolment() -> None:
    s = story(("school-isk-tilburg", ENROLLED))
    moved = EducationEnrolled(level="full-time", since=date(2026, 9, 1), school="school-roc-tilburg")
    assert types_of(s.report("school-roc-tilburg", moved)) == ["EducationEnrolled"]
    not_involved(s, "school-isk-utrecht", EducationEnrolled(level="none", since=date(2026, 9, 1)))
    not_involved(s, "school-isk-utrecht", moved)  # an enrolment at another school is not its to report
    assert types_of(s.report("school-roc-tilburg", ABSENCE))[0] == "SchoolAbsenceReported"


def test_the_rmc_of_where_the_young_person_lives_and_no_other() -> None:
    s = story()
    assert types_of(s.report("rmc-gm0855", ABSENCE))[0] == "SchoolAbsenceReported"
    assert not_involved(s, "rmc-gm0344", ENROLLED).reason.endswith("only the RMC may")  # the role its kind could hold
    s.fact("coa", ARRIVED)
    s.fact("gm0518", FamilyRelocated(from_municipality="GM0518", to_municipality="GM0344", moved_on=date(2026, 11, 20)))
    assert types_of(s.report("rmc-gm0344", ENROLLED)) == ["EducationEnrolled"]
    not_involved(s, "rmc-gm0855", ABSENCE)  # the young person left with the family


@pytest.mark.parametrize(("facts", "involved", "uninvolved"), [
    ((), "gm0855", "gm0518"),
    ((("coa", ARRIVED),), "gm0518", "gm0855"),
])
def test_support_is_extended_by_the_guardian_or_the_municipality_where_the_young_person_lives(facts, involved, uninvolved) -> None:
    s = story(*facts)
    assert types_of(s.report("nidos", EXTENDED, "by-nidos")) == ["SupportExtended"]
    assert types_of(s.report(involved, EXTENDED, "by-the-municipality")) == ["SupportExtended"]
    not_involved(s, uninvolved, EXTENDED)


def test_an_unknown_case_is_unknown_whoever_reports() -> None:
    assert Story(state, rules).decide("school-isk-utrecht", ABSENCE).code == "unknown-case"
