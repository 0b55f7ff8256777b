"""Signals for the table: school absence, cohabitation duties ending, moves between
municipalities, and language needs nobody arranged (§3.6, §4.3)."""

from datetime import date, timedelta

from services.monitoring.agenda.items import NOT_LISTED_AS_HANDOFFS, AgendaItem, to_do
from services.monitoring.casefile import CaseFile
from services.runtime.directory import Municipality
from services.runtime.rulesettings import DEFAULTS, RuleSettings

NETWORK_HANDOVERS = ("district-team-handover", "school-continuity")


def school_absence(cases: list[CaseFile], since: date, day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§3.4, §4.1 (Tilburg), §4.2: school absence reported since the previous meeting (both days
    included: a signal is rather discussed twice than missed). After the reunification it signals a
    young person who carries the parents; VluchtelingenWerk and the RMC coach got relief tasks."""
    items = []
    for case in cases:
        for absence in case.absences:
            if not since <= absence.reported_on <= day:
                continue
            after_reunification = case.arrived is not None and absence.reported_on >= case.arrived.arrival_date
            situation = f"{absence.days_absent} days absent, reported on {absence.reported_on.isoformat()}"
            relief = [h for h in case.handoffs.values() if h.kind == "relieve-young-carer" and h.cause_id == absence.event_id]
            open_relief = [h for h in relief if not h.taken_over]
            if after_reunification and open_relief:
                first = min(open_relief, key=lambda h: h.due)
                step, owner, due = "accept the task to relieve the young person who carries the parents", first.owner, first.due
                situation += "; after the reunification: may be carrying the parents"
            elif after_reunification:
                step, owner, due = "relieve the young person and follow attendance with the school", local.rmc, None
                situation += "; after the reunification: relief accepted by " + ", ".join(h.owner for h in relief)
            else:
                step, owner, due = "talk with the school and the young person about the absence", local.rmc, None
            items.append(
                AgendaItem(
                    case.case_id, situation, step, owner, due=due, days=absence.days_absent, attention=after_reunification,
                    facts={"reported_on": absence.reported_on, "days_absent": absence.days_absent,
                           "after_reunification": after_reunification},
                )
            )
    return tuple(sorted(items, key=lambda i: (i.facts["reported_on"], i.case_id)))


def cohabitation_ending(
    cases: list[CaseFile], day: date, local: Municipality, settings: RuleSettings = DEFAULTS
) -> tuple[AgendaItem, ...]:
    """§2.2, §3.2, §4.1: cohabitation years that end soon; then the young person may live on their
    own and needs own income and housing (§3.2: the family's benefit counted them in), which takes
    time to arrange. How soon is local policy: `cohabitation_ending_within_weeks`."""
    within = timedelta(weeks=settings.cohabitation_ending_within_weeks)
    items = []
    for case in cases:
        if not case.cohabitation_running:
            continue
        assert case.duty is not None
        ends_on = case.duty.ends_on
        if not day <= ends_on <= day + within:
            continue
        items.append(
            AgendaItem(
                case.case_id, f"the cohabitation duty ends on {ends_on.isoformat()}",
                "talk with the young person and the parents about living, income and allowances after the year",
                local.municipality, due=ends_on, days=(ends_on - day).days, facts={"ends_on": ends_on},
            )
        )
    return tuple(sorted(items, key=lambda i: (i.due or date.max, i.case_id)))


def moves(cases: list[CaseFile], since: date, day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§3.2: a move to another municipality cuts the young person's network; the district teams hand
    over and the RMC keeps the young person in school. Moves since the previous meeting, and older
    ones whose handovers nobody has accepted yet."""
    items = []
    for case in cases:
        for move in case.moves:
            handovers = [
                h for h in case.handoffs.values()
                if h.kind in NETWORK_HANDOVERS and h.municipality == move.to_municipality
            ]
            waiting = sorted((h for h in handovers if not h.taken_over), key=lambda h: h.due)
            if move.moved_on < since and not waiting:
                continue
            situation = (
                f"moved from {move.from_municipality} to {move.to_municipality} on {move.moved_on.isoformat()} "
                f"({move.because})"
            )
            if waiting:
                step, owner, due = to_do(waiting[0].kind), waiting[0].owner, waiting[0].due
            elif handovers:
                step, owner, due = "follow how the young person settles in school and the neighbourhood", local.neighbourhood, None
            else:
                step, owner, due = "get to know the young person and the network left behind", local.neighbourhood, None
            items.append(
                AgendaItem(
                    case.case_id, situation, step, owner, due=due,
                    attention=any(h.overdue_on(day) for h in waiting),
                    facts={"from": move.from_municipality, "to": move.to_municipality, "moved_on": move.moved_on,
                           "handovers_waiting": [h.kind for h in waiting]},
                )
            )
    return tuple(sorted(items, key=lambda i: (i.facts["moved_on"], i.case_id)))


def language_needs(cases: list[CaseFile], day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§3.6: Eritrean parents often cannot make their needs understood and are misunderstood; §4.3:
    interpreters and key persons bridge the gap. Every family with a reported interpreter or key-person
    need; where none is arranged, each open handoff to the family is flagged for its owner."""
    items = []
    for case in cases:
        needs = case.language
        if needs is None or not (needs.interpreter_needed or needs.key_person_needed):
            continue
        languages = ", ".join(needs.languages)
        wanted = [name for name, needed in (("an interpreter", needs.interpreter_needed), ("a key person", needs.key_person_needed)) if needed]
        missing = [
            name for name, needed, arranged in (
                ("an interpreter", needs.interpreter_needed, needs.interpreter_arranged),
                ("a key person", needs.key_person_needed, needs.key_person_arranged),
            ) if needed and not arranged
        ]
        facts = {"languages": list(needs.languages), "interpreter_needed": needs.interpreter_needed,
                 "interpreter_arranged": needs.interpreter_arranged, "key_person_needed": needs.key_person_needed,
                 "key_person_arranged": needs.key_person_arranged}
        situation = f"the family speaks {languages}; needs: {' and '.join(wanted)}"
        if missing:
            situation += f"; not arranged: {' and '.join(missing)}"
            step, owner = f"arrange {' and '.join(missing)} ({languages})", local.coordinator
        else:
            step, owner = "bring the arranged interpreter or key person to every contact with the family", local.coordinator
        items.append(AgendaItem(case.case_id, situation, step, owner, attention=bool(missing), facts=facts))
        if not missing:
            continue
        for handoff in case.handoffs.values():
            if handoff.kind in NOT_LISTED_AS_HANDOFFS or not handoff.awaiting_answer:
                continue
            items.append(
                AgendaItem(
                    case.case_id,
                    f"handoff to {handoff.owner} ('{to_do(handoff.kind)}'); not arranged: {' and '.join(missing)}",
                    f"arrange {' and '.join(missing)} ({languages}) before contacting the family", handoff.owner,
                    due=handoff.due, attention=True, facts={**facts, "handoff_id": handoff.handoff_id, "kind": handoff.kind},
                )
            )
    return tuple(sorted(items, key=lambda i: (i.case_id, "handoff_id" in i.facts, i.due or date.min)))
