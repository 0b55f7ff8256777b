"""intake's pure rules: order of facts, and the transition meeting requested on filing."""

from datetime import UTC, date, datetime

from contracts.envelope import CloudEvent
from contracts.events import ApplicationFiled, HandoffRequested, ResidencePermitGranted, data_of, report
from contracts.inbox import Rejection, Report
from services.intake.rules import decide
from services.intake.state import fold

CASE = "case-abc123"
WHEN = datetime(2026, 2, 1, 10, tzinfo=UTC)


def nidos_report(event, event_id: str) -> Report:
    return Report("nidos", report(event, CASE, "nidos", event_id, WHEN), event)


PERMIT = nidos_report(
    ResidencePermitGranted(date_of_birth=date(2010, 5, 17), municipality="GM0855", permit_date=date(2026, 1, 10)), "p1"
)
FILED = nidos_report(ApplicationFiled(filed_on=date(2026, 2, 1)), "f1")


def history(*reports: Report) -> list[CloudEvent]:
    events: list[CloudEvent] = []
    for r in reports:
        outcome = decide(fold(events), r)
        assert not isinstance(outcome, Rejection), outcome
        events += outcome
    return events


def test_a_permit_opens_the_case() -> None:
    assert decide(fold([]), PERMIT) == [PERMIT.envelope]


def test_an_application_for_an_unknown_case_is_refused() -> None:
    outcome = decide(fold([]), FILED)
    assert isinstance(outcome, Rejection)
    assert outcome.code == "unknown-case"
    assert "ResidencePermitGranted" in outcome.reason


def test_filing_requests_the_transition_meeting_from_the_municipality() -> None:
    outcome = decide(fold(history(PERMIT)), FILED)
    assert not isinstance(outcome, Rejection)
    stored, requested = outcome
    assert stored == FILED.envelope
    handoff = data_of(requested)
    assert isinstance(handoff, HandoffRequested)
    assert handoff.kind == "plan-transition-meeting"
    assert (handoff.requester, handoff.owner) == ("nidos", "gm0855")
    assert handoff.due == date(2026, 3, 1)
    assert set(handoff.invited) == {"nidos", "wijkteam-gm0855", "vwn"}
    assert handoff.handoff_id == requested.id
    assert requested.causationid == FILED.envelope.id


def test_the_same_report_twice_stores_nothing_new() -> None:
    assert decide(fold(history(PERMIT, FILED)), FILED) == []
    assert decide(fold(history(PERMIT)), PERMIT) == []


def test_deciding_twice_derives_identical_events() -> None:
    assert decide(fold(history(PERMIT)), FILED) == decide(fold(history(PERMIT)), FILED)


def test_a_second_permit_or_application_with_a_new_id_is_refused() -> None:
    second_permit = nidos_report(PERMIT.event, "p2")
    second_filing = nidos_report(FILED.event, "f2")
    assert decide(fold(history(PERMIT)), second_permit).code == "duplicate-fact"
    assert decide(fold(history(PERMIT, FILED)), second_filing).code == "duplicate-fact"
