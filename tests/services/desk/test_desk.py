"""What the handoff desk shows, as pure functions: who sees a case, the inbox order, what a
caseworker may do, who is responsible for the young person now, and the coordinator's view."""

from datetime import date, timedelta

from contracts.events import (
    ChecklistItemTicked,
    HandoffAccepted,
    HandoffCancelled,
    HandoffRequested,
    ResidencePermitGranted,
    SupportEnded,
    SupportGapClosed,
    SupportGapDetected,
    TaskAccepted,
    TaskCancelled,
    TaskCompleted,
    TaskDeclined,
    TaskStarted,
)
from services.desk import desk
from services.notify import rules, state
from tests.support.domain import Story, reported

CASE = "case-desk01"
DUE = date(2026, 3, 1)


def handoff(handoff_id: str, owner: str, *, requester: str = "nidos", kind: str = "aftercare-district-team",
            due: date = DUE, municipality: str = "GM0855", checklist: tuple[str, ...] = ()) -> HandoffRequested:
    return HandoffRequested(
        handoff_id=handoff_id, kind=kind, requester=requester, owner=owner, due=due, municipality=municipality,
        checklist=checklist,
    )


def delivered(*handoffs: HandoffRequested, case_id: str = CASE) -> Story:
    """A notify case with each handoff requested and its task delivered."""
    s = Story(state, rules, case_id)
    for h in handoffs:
        [requested] = s.store([reported("nidos", h, case_id, f"{case_id}-{h.handoff_id}").envelope])
        s.react(requested)
    return s


def envelopes(*events, case_id: str = CASE):
    return [reported("nidos", e, case_id, f"{case_id}-{n}").envelope for n, e in enumerate(events)]


# --- who sees what ---------------------------------------------------------------------------------------


def test_a_case_is_seen_by_its_owners_requesters_and_the_coordinators_of_its_municipalities() -> None:
    s = delivered(handoff("h1", "wijkteam-gm0855"))
    s.fact("nidos", ResidencePermitGranted(date_of_birth=date(2010, 1, 1), municipality="GM0344", permit_date=DUE))
    case = s.case
    assert case.municipalities == {"GM0855", "GM0344"}
    for org in ("wijkteam-gm0855", "nidos", "regie-gm0855", "regie-gm0344"):
        assert desk.can_see_case(org, case), org
    for org in ("gm0855", "wijkteam-gm0518", "regie-gm0518", "vwn-gm0855", "ind"):
        assert not desk.can_see_case(org, case), org


def test_only_coordinators_coordinate_a_municipality() -> None:
    assert desk.coordinated_municipality("regie-gm0855") == "GM0855"
    for org in ("gm0855", "wijkteam-gm0855", "nidos", "school-isk-tilburg"):
        assert desk.coordinated_municipality(org) is None


# --- the inbox ---------------------------------------------------------------------------------------------


def test_the_inbox_holds_the_owners_open_tasks_overdue_first_then_by_due_date() -> None:
    s = delivered(
        handoff("later", "gm0855", due=DUE + timedelta(days=20)),
        handoff("soon", "gm0855", due=DUE + timedelta(days=5)),
        handoff("overdue-late", "gm0855", due=DUE - timedelta(days=1)),
        handoff("overdue-early", "gm0855", due=DUE - timedelta(days=9)),
        handoff("accepted-past-due", "gm0855", due=DUE - timedelta(days=30)),
        handoff("declined", "gm0855"),
        handoff("someone-elses", "wijkteam-gm0855"),
    )
    s.report("gm0855", TaskAccepted(task_id="accepted-past-due"))
    s.report("gm0855", TaskDeclined(task_id="declined", reason="not ours"))
    inbox = desk.open_tasks("gm0855", [s.case], today=DUE)
    assert [(i.task.task_id, i.overdue) for i in inbox] == [
        ("overdue-early", True),
        ("overdue-late", True),
        ("accepted-past-due", False),  # answered: no longer waiting, so not overdue
        ("soon", False),
        ("later", False),
    ]
    assert inbox[0].kind_text == "take over support after guardianship ends"


def test_nothing_is_overdue_on_its_due_date_or_without_a_day() -> None:
    s = delivered(handoff("h1", "gm0855"))
    [on_the_day] = desk.open_tasks("gm0855", [s.case], today=DUE)
    assert not on_the_day.overdue
    [no_day] = desk.open_tasks("gm0855", [s.case], today=None)
    assert not no_day.overdue
    [day_after] = desk.open_tasks("gm0855", [s.case], today=DUE + timedelta(days=1))
    assert day_after.overdue


def test_the_requester_sees_what_it_asked_for_until_it_is_closed() -> None:
    s = delivered(handoff("h1", "gm0855"), handoff("h2", "wijkteam-gm0855"), handoff("h3", "vwn-gm0855"))
    s.report("nidos", TaskCancelled(task_id="h3", reason="no longer needed"))
    assert [i.task.task_id for i in desk.requested_tasks("nidos", [s.case], DUE)] == ["h1", "h2"]
    assert desk.requested_tasks("gm0855", [s.case], DUE) == []


def test_the_desk_offers_exactly_what_the_rules_allow() -> None:
    items = ("digid", "bank-account")
    s = delivered(handoff("t18", "gm0855", checklist=items))

    def offered(org: str) -> list[str]:
        return desk.actions_for(s.case.tasks["t18"], org)

    assert offered("gm0855") == ["accept", "decline"]
    assert offered("nidos") == ["cancel"]
    assert offered("vwn-gm0855") == []
    s.report("gm0855", TaskAccepted(task_id="t18"))
    assert offered("gm0855") == ["start", "tick"]  # complete only once every item is ticked
    s.report("gm0855", TaskStarted(task_id="t18"))
    for item in items:
        s.report("gm0855", ChecklistItemTicked(task_id="t18", item=item))
    assert offered("gm0855") == ["complete"]
    assert offered("nidos") == ["cancel"]
    s.report("nidos", TaskCancelled(task_id="t18", reason="moved abroad"))
    assert offered("gm0855") == [] and offered("nidos") == []


# --- who is responsible now ----------------------------------------------------------------------------------


SUCCESSOR = handoff("successor", "wijkteam-gm0855")


def test_nidos_is_responsible_until_support_ends() -> None:
    found = desk.responsible_now(envelopes(SUCCESSOR))
    assert found.org == "nidos"


def test_after_a_warm_end_the_successors_owner_is_responsible() -> None:
    ended = SupportEnded(ended_on=DUE, by="nidos", reason="guardianship-transferred", successor_handoff_id="successor")
    found = desk.responsible_now(envelopes(SUCCESSOR, HandoffAccepted(handoff_id="successor", accepted_by="wijkteam-gm0855"), ended))
    assert found.org == "wijkteam-gm0855"
    assert "took over from nidos on 2026-03-01" in found.text


def test_a_support_gap_means_nobody_is_responsible_until_it_closes() -> None:
    gap = SupportGapDetected(detected_on=DUE, by="nidos", reason="turned-18", successor_handoff_id="successor")
    gap_task = handoff("gap-task", "regie-gm0855", kind="support-gap")
    found = desk.responsible_now(envelopes(SUCCESSOR, gap, gap_task))
    assert found.org is None
    assert found.text.startswith("nobody — support gap")
    assert "regie-gm0855 is asked to close it" in found.text
    closed = [
        SupportGapClosed(gap_event_id="x", closed_by_handoff_id="successor"),
        SupportEnded(ended_on=DUE, by="nidos", reason="turned-18", successor_handoff_id="successor"),
    ]
    assert desk.responsible_now(envelopes(SUCCESSOR, gap, gap_task, *closed)).org == "wijkteam-gm0855"


def test_a_successor_whose_task_was_cancelled_carries_nothing() -> None:
    ended = SupportEnded(ended_on=DUE, by="nidos", reason="guardianship-transferred", successor_handoff_id="successor")
    cancelled = HandoffCancelled(handoff_id="successor", cancelled_by="nidos", reason="wrong district")
    found = desk.responsible_now(envelopes(SUCCESSOR, ended, cancelled))
    assert found.org is None and "cancelled" in found.text


def test_timeline_entries_name_the_task_they_are_about() -> None:
    s = delivered(handoff("h1", "gm0855", kind="transition-18-plus"))
    s.report("gm0855", TaskAccepted(task_id="h1"))
    entries = desk.timeline_entries(s.events, s.case.tasks)
    assert [e.event_type for e in entries] == ["HandoffRequested", "HandoffNotified", "HandoffAccepted"]
    assert entries[-1].text == "gm0855 accepted the task"
    assert entries[-1].task_kind == "arrange the 18+ transition"
    assert entries[-1].who == "notify"


# --- the coordinator -------------------------------------------------------------------------------------------


def test_the_coordinator_sees_open_gaps_of_its_area_and_open_escalations_sent_to_it() -> None:
    gap_case = delivered(handoff("gap-task", "regie-gm0855", kind="support-gap"), case_id="case-gap001")
    gap_case.store(envelopes(SupportGapDetected(detected_on=DUE, by="nidos", reason="turned-18"), case_id="case-gap001"))
    closed_case = delivered(handoff("gap-task-2", "regie-gm0855", kind="support-gap"), case_id="case-gap002")
    closed_case.store(envelopes(
        SupportGapDetected(detected_on=DUE, by="nidos", reason="turned-18"),
        SupportGapClosed(gap_event_id="g", closed_by_handoff_id="s"), case_id="case-gap002",
    ))
    late = delivered(handoff("late", "wijkteam-gm0855"), case_id="case-late01")
    for day in (DUE + timedelta(days=1), DUE + timedelta(days=9)):  # its own coordinator, then the integral meeting
        for event in late.day(day):
            if event.event_type == "HandoffRequested":
                late.react(event)
    other_area = delivered(handoff("gap-task-3", "regie-gm0518", kind="support-gap", municipality="GM0518"),
                           case_id="case-gap003")
    other_area.store(envelopes(SupportGapDetected(detected_on=DUE, by="nidos", reason="turned-18"), case_id="case-gap003"))
    cases = [gap_case.case, closed_case.case, late.case, other_area.case]

    view = desk.coordinator_view("regie-gm0855", cases)
    assert view.municipality == "GM0855"
    assert [(g.case_id, g.gap_task.task_id) for g in view.gaps] == [("case-gap001", "gap-task")]
    [open_escalation] = view.escalations
    assert (open_escalation.case_id, open_escalation.escalated.task_id) == ("case-late01", "late")
    assert open_escalation.escalation.owner == "regie-gm0855"
    assert [g.case_id for g in desk.coordinator_view("regie-gm0518", cases).gaps] == ["case-gap003"]
    assert desk.coordinator_view("gm0855", cases) is None

    late.report("regie-gm0855", TaskAccepted(task_id=open_escalation.escalation.task_id))
    late.report("regie-gm0855", TaskCompleted(task_id=open_escalation.escalation.task_id))
    assert desk.coordinator_view("regie-gm0855", [late.case]).escalations == []

