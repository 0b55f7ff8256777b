"""Issue 15, point 8: the handovers of a move are asked by the guardian organisation (Nidos), or by
COA while the family is still in reception; the network goes to the new municipality's district
team, or to its VluchtelingenWerk where it has none (§4.2, "VluchtelingenWerk en/of wijkprofessionals")."""

from datetime import date

import yaml

from contracts.events import HousingAssigned
from services.housing import rules
from services.runtime.directory import DEFAULT_PATH, Directory
from tests.services.housing.test_rules import AZC, HOME, story
from tests.support.domain import data, reported


def test_from_an_azc_place_coa_asks_for_the_handovers() -> None:
    s = story(reports=[("coa", AZC)])
    stored = s.report("coa", HOME.model_copy(update={"municipality": "GM0344"}))
    assert [h.requester for h in data(stored, "HandoffRequested")] == ["coa", "coa"]


def test_before_the_parents_arrived_nobody_is_in_reception_so_nidos_asks() -> None:
    s = story()
    s.events = [e for e in s.events if e.event_type != "ParentsArrived"]
    stored = s.report("gm0855", HOME.model_copy(update={"municipality": "GM0344"}))
    assert [h.requester for h in data(stored, "HandoffRequested")] == ["nidos", "nidos"]


def test_a_new_municipality_without_a_district_team_hands_the_network_to_vluchtelingenwerk() -> None:
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    del raw["municipalities"]["GM0344"]["district_team"]
    directory = Directory.model_validate(raw)
    s = story()
    home = HousingAssigned(municipality="GM0344", housing="family-home", housed_on=date(2026, 11, 16))
    stored = rules.decide(s.case, reported("gm0855", home, s.case_id), directory)
    handover, school = data(stored, "HandoffRequested")
    assert (handover.owner, handover.invited, school.owner) == ("vwn-gm0344", ("wijkteam-gm0855",), "rmc-gm0344")
