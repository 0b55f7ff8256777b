"""Who may report about a case to intake (contracts/involvement.py): the first fact opens the case;
every later one only from an organisation with a role in it, else `not-involved`, field `source`."""

from datetime import date

import pytest

from contracts.events import DnaTestOffered, FamilyRelocated, HousingAssigned, LanguageNeedsReported
from tests.services.intake.test_rules import APPROVED, ARRIVED, FILED, PERMIT, story
from tests.support.domain import not_involved, types_of

NEEDS = LanguageNeedsReported(languages=("ti",), interpreter_needed=True)


@pytest.mark.parametrize("org", ["nidos", "ind"])
def test_nidos_or_the_ind_opens_a_case_without_a_role_in_it(org) -> None:
    assert types_of(story().report(org, PERMIT)) == ["ResidencePermitGranted"]


def test_the_guardian_and_the_ind_report_the_application_of_any_case_they_have() -> None:
    s = story(("nidos", PERMIT))
    assert types_of(s.report("nidos", FILED))[0] == "ApplicationFiled"
    assert types_of(s.report("ind", DnaTestOffered(offered_on=date(2026, 3, 1)))) == ["DnaTestOffered"]
    assert types_of(s.report("ind", APPROVED)) == ["ApplicationDecided"]


def test_the_parents_arrival_only_from_the_young_persons_municipality_or_coa_receiving_them() -> None:
    approved = story(("nidos", PERMIT), ("nidos", FILED), ("ind", APPROVED))
    reason = not_involved(approved, "gm0518", ARRIVED).reason  # the parents' new municipality is not in the case yet
    assert reason == ("field 'source': has no role in this case that may report ParentsArrived: "
                      "only the young person's municipality may")
    assert types_of(approved.report("gm0855", ARRIVED))[0] == "ParentsArrived"
    assert types_of(story(("nidos", PERMIT), ("nidos", FILED), ("ind", APPROVED)).report("coa", ARRIVED))[0] == "ParentsArrived"


def test_coa_receives_the_parents_only_once_the_application_is_approved() -> None:
    filed = story(("nidos", PERMIT), ("nidos", FILED))
    assert "the reception location (COA)" in not_involved(filed, "coa", ARRIVED).reason
    not_involved(filed, "coa", NEEDS)
    approved = story(("nidos", PERMIT), ("nidos", FILED), ("ind", APPROVED))
    assert types_of(approved.report("coa", NEEDS)) == ["LanguageNeedsReported"]


@pytest.mark.parametrize("org", ["gm0344", "vwn-gm0344", "vwn"])
def test_language_needs_not_from_another_municipality_or_vluchtelingenwerk_office(org) -> None:
    not_involved(story(("nidos", PERMIT)), org, NEEDS)


@pytest.mark.parametrize("org", ["nidos", "gm0855", "vwn-gm0855"])
def test_language_needs_from_the_guardian_the_municipality_and_its_vluchtelingenwerk(org) -> None:
    assert types_of(story(("nidos", PERMIT)).report(org, NEEDS)) == ["LanguageNeedsReported"]


def test_after_the_family_moved_its_new_municipality_reports_and_the_old_one_no_longer() -> None:
    s = story(("nidos", PERMIT), ("nidos", FILED), ("ind", APPROVED), ("coa", ARRIVED))
    assert types_of(s.report("gm0518", NEEDS, "needs-1")) == ["LanguageNeedsReported"]
    s.fact("gm0518", HousingAssigned(municipality="GM0518", housing="family-home", housed_on=date(2026, 11, 20)))
    not_involved(s, "coa", NEEDS)  # the family has a home of its own: COA no longer receives the parents
    s.fact("gm0518", FamilyRelocated(from_municipality="GM0518", to_municipality="GM0344", moved_on=date(2027, 3, 1)))
    not_involved(s, "gm0518", NEEDS)
    not_involved(s, "gm0855", NEEDS)  # the permit's municipality: the young person lives with the family now
    assert types_of(s.report("gm0344", NEEDS, "needs-2")) == ["LanguageNeedsReported"]
    assert types_of(s.report("vwn-gm0344", NEEDS, "needs-3")) == ["LanguageNeedsReported"]


def test_an_unknown_case_is_unknown_whoever_reports() -> None:
    assert story().decide("gm0344", NEEDS).code == "unknown-case"
