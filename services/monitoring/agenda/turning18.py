"""Turning 17½ or 18: the young people whose 18th birthday, or the start of its transition, falls
within the table's look-ahead."""

from datetime import date

from services.dates import add_months, birthday
from services.monitoring.agenda.items import AgendaItem
from services.monitoring.casefile import CaseFile
from services.runtime.directory import Municipality
from services.runtime.rulesettings import DEFAULTS, RuleSettings


def turning_18(
    cases: list[CaseFile], day: date, local: Municipality, settings: RuleSettings = DEFAULTS
) -> tuple[AgendaItem, ...]:
    """§4.1: turning 18 is the moment to look at the young person's situation with the partners.
    Young people whose 18+ handoff is requested (`transition_18_start_months` before the birthday,
    local policy; 17½ by default) or who turn 18 (Nidos' support ends) within that many months,
    and whether the municipality accepted the 18+ transition."""
    look_ahead = settings.transition_18_start_months
    horizon = add_months(day, look_ahead)
    items = []
    for case in cases:
        assert case.permit is not None
        if case.turned_18 is not None or case.permit.date_of_birth is None:  # None: erased (crypto-shredding)
            continue
        adult_on = birthday(case.permit.date_of_birth, 18)
        transition_starts = add_months(adult_on, -look_ahead)
        if day < transition_starts <= horizon:
            milestone, milestone_on = "17½", transition_starts
        elif day < adult_on <= horizon:
            milestone, milestone_on = "18", adult_on
        else:
            continue
        items.append(_transition_item(case, day, local, milestone, milestone_on, adult_on))
    return tuple(sorted(items, key=lambda item: (item.facts["milestone_on"], item.case_id)))


def _transition_item(
    case: CaseFile, day: date, local: Municipality, milestone: str, milestone_on: date, adult_on: date
) -> AgendaItem:
    handoff = case.handoff_of("transition-18-plus")
    status = handoff.status if handoff else "not-requested"
    turns = f"turns {milestone} on {milestone_on.isoformat()}"
    due = None
    if case.transferred is not None:
        situation = f"{turns}; guardianship passed to the parents, so no 18+ handoff from Nidos"
        step, owner = "arrange what changes at 18 with the young person and the parents (18+ checklist)", local.municipality
    elif handoff is None:
        situation = f"{turns}; " + (
            "the 18+ transition will be requested then" if milestone == "17½" else "no 18+ transition requested yet"
        )
        step, owner = "prepare the 18+ transition: who arranges income, health insurance, DigiD, housing", local.municipality
    elif handoff.awaiting_answer:
        situation = f"{turns}; 18+ transition requested from {handoff.owner}, not accepted"
        step, owner, due = "accept the 18+ transition task", handoff.owner, handoff.due
    elif handoff.status == "declined":
        situation = f"{turns}; {handoff.owner} declined the 18+ transition"
        step, owner = "find who arranges the 18+ transition instead", local.coordinator
    elif handoff.status == "cancelled":
        situation = f"{turns}; the 18+ transition task was withdrawn"
        step, owner = "agree who arranges the 18+ transition", local.coordinator
    else:
        situation = f"{turns}; 18+ transition accepted by {handoff.owner} ({handoff.status})"
        step, owner = f"work through the 18+ checklist before {adult_on.isoformat()}", handoff.owner
    accepted = handoff is not None and handoff.taken_over
    overdue = handoff is not None and handoff.overdue_on(day)
    return AgendaItem(
        case.case_id, situation, step, owner, due=due, days=(milestone_on - day).days,
        attention=overdue or (milestone == "18" and not accepted and case.transferred is None),
        facts={"milestone": milestone, "milestone_on": milestone_on, "transition_status": status,
               "transition_accepted": accepted},
    )
