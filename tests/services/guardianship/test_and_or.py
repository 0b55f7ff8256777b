"""§4.2: "Zorg voor een warme overdracht naar VluchtelingenWerk en/of wijkprofessionals" (source line
1067). A municipality may have a district team, VluchtelingenWerk or both (the directory); the
aftercare goes to whichever exist, and the acceptance of either one ends Nidos' support warmly."""

from datetime import timedelta

import yaml

from contracts.events import HandoffDeclined, SupportGapClosed, data_of, derive
from services.guardianship import rules, state
from services.runtime.directory import DEFAULT_PATH, Directory
from tests.services.guardianship.test_rules import ARRIVED, PERMIT, PETITION, TRANSFERRED, accept, accepted, handoffs
from tests.support.domain import Story, data, reported, types_of


def directory_without(code: str, role: str) -> Directory:
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    del raw["municipalities"][code][role]
    return Directory.model_validate(raw)


def test_a_municipality_without_vluchtelingenwerk_gets_only_the_district_teams_aftercare() -> None:
    s = Story(state, rules)
    s.fact("ind", PERMIT)
    s.fact("coa", ARRIVED)
    case = s.case
    stored = rules.decide(case, reported("nidos", PETITION, s.case_id), directory_without("GM0518", "vwn"))
    assert [(h.kind, h.owner) for h in handoffs(stored)] == [("aftercare-district-team", "wijkteam-gm0518")]


def test_a_municipality_without_a_district_team_gets_only_vluchtelingenwerks_aftercare() -> None:
    s = Story(state, rules)
    s.fact("ind", PERMIT)
    s.fact("coa", ARRIVED)
    stored = rules.decide(s.case, reported("nidos", PETITION, s.case_id), directory_without("GM0518", "district_team"))
    assert [(h.kind, h.owner) for h in handoffs(stored)] == [("aftercare-social-guidance", "vwn-gm0518")]


def test_the_district_team_declines_and_vluchtelingenwerk_accepts_after_the_transfer_closes_the_gap() -> None:
    s = Story(state, rules)
    s.fact("ind", PERMIT)
    s.fact("coa", ARRIVED)
    s.report("nidos", PETITION)
    [district] = handoffs(s.events, "aftercare-district-team")
    requested = next(e for e in s.events if e.event_type == "HandoffRequested" and data_of(e).handoff_id == district.handoff_id)
    s.store([derive(HandoffDeclined(handoff_id=district.handoff_id, declined_by=district.owner, reason="no capacity"),
                    requested, "answer-TaskDeclined", "notify")])
    stored = s.report("nidos", TRANSFERRED)
    assert types_of(stored) == ["GuardianshipTransferred", "SupportGapDetected", "HandoffRequested"]
    closed = accept(s, "aftercare-social-guidance")
    [guidance] = handoffs(s.events, "aftercare-social-guidance")
    assert data(closed, "SupportGapClosed") == [
        SupportGapClosed(gap_event_id=stored[1].id, closed_by_handoff_id=guidance.handoff_id)
    ]
    assert data(closed, "SupportEnded")[0].successor_handoff_id == guidance.handoff_id
    assert s.react(accepted(s, "aftercare-social-guidance")) == []  # redelivered: closed already
    assert s.days(TRANSFERRED.transferred_on, TRANSFERRED.transferred_on + timedelta(days=30)) == []
