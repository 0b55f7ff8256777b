"""The agenda of the integral meeting (source §4.1, §4.4): per municipality and as of a date, the
cases that need the table's attention, each with its concrete next step and who owns it.

Tilburg's chain partners (Nidos, VluchtelingenWerk, the RMC, the klantregisseurs and the schools)
meet every two weeks under the municipality's coordination "zodat ze zaken tijdig kunnen
signaleren en erop in kunnen zetten" (§4.1). This module gives them one shared picture, computed
from the events alone (`casefile`), so the agenda of any past meeting can be replayed. A
municipality sees only its own cases (`casefile.case_municipality`), by pseudonymous case id.

Pure: histories of events and the organisation directory in, an `Agenda` out; rendering is in
`services.monitoring.render`, reading the store in `ops.agenda`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from contracts.envelope import CloudEvent
from services.dates import add_months, birthday
from services.guardianship.rules import TRANSITION_18_START_MONTHS
from services.intake.rules import PETITION_EXPECTED_WITHIN
from services.monitoring.casefile import CaseFile, Handoff, cases_of
from services.monitoring.timeline import KIND_TEXT
from services.runtime.directory import Directory, Municipality

# §4.1: in Tilburg the partners "komen ... tweewekelijks bijeen voor integraal overleg": the
# previous meeting, and so the start of "since the previous meeting", is two weeks back by default.
MEETING_INTERVAL = timedelta(days=14)
# §4.1: turning 18 is the moment to look at the young person's situation with the partners; the 18+
# handoff is requested at 17½ (rule 7), so the table looks six months ahead to see both coming.
LOOK_AHEAD_MONTHS = 6
# §3.2: while the family lives together its benefit is counted as one; when the cohabitation year
# ends the young person may move out and needs own income and housing, which takes months to
# arrange: the table sees the end coming twelve weeks ahead.
COHABITATION_ENDING_WITHIN = timedelta(weeks=12)

# How long a reunification usually stays in each phase. Longer than that, the table asks why.
# §2.1: "Het kan enkele maanden tot meer dan een jaar duren voordat de aanvraag is goedgekeurd": a few
# months is usual, and past half a year an application is in the long tail the table should ask about.
USUAL_WAIT_FOR_DECISION = timedelta(weeks=26)
# §2.1: "De uitslag van het DNA-onderzoek kan enkele maanden in beslag nemen": a few months; four.
USUAL_DNA_TEST = timedelta(weeks=17)
# §2.1 gives no duration for the journey after approval, only that the family pays it and may first
# have to leave its country to reach an embassy. Three months is our assumption, not the source's:
# revisit it with the table once the journey figures show the real median.
USUAL_JOURNEY_AFTER_APPROVAL = timedelta(weeks=13)
# §2.3: "Als de ouders in Nederland zijn gearriveerd, verzoekt Nidos ... de rechtbank om over te gaan
# tot voogdijoverdracht"; rule 4 expects that petition within six weeks of the arrival.
USUAL_PETITION_AFTER_ARRIVAL = PETITION_EXPECTED_WITHIN
# §2.3: the court's transfer of guardianship "duurt doorgaans drie maanden".
USUAL_COURT_DECISION = timedelta(weeks=13)

PHASES = ("filed", "dna-test", "decided", "parents-arrived", "transfer-requested")
USUAL_IN_PHASE = {
    "filed": USUAL_WAIT_FOR_DECISION,
    "dna-test": USUAL_DNA_TEST,
    "decided": USUAL_JOURNEY_AFTER_APPROVAL,
    "parents-arrived": USUAL_PETITION_AFTER_ARRIVAL,
    "transfer-requested": USUAL_COURT_DECISION,
}
PHASE_TEXT = {
    "filed": "application filed, waiting for the IND's decision",
    "dna-test": "DNA test offered, waiting for the result and the decision",
    "decided": "application approved, waiting for the parents to arrive",
    "parents-arrived": "parents arrived, no court petition yet",
    "transfer-requested": "court petitioned to transfer guardianship, waiting for the decision",
}
# Handoffs the agenda shows elsewhere: an escalation as a flag on the handoff it escalates, the
# coordinator's support-gap task as the gap itself.
NOT_LISTED_AS_HANDOFFS = frozenset({"escalation", "support-gap"})
NETWORK_HANDOVERS = ("district-team-handover", "school-continuity")

SECTION_TITLES = {
    "turning-18": "Turning 17½ or 18 within six months",
    "reunification": "Reunifications in progress",
    "open-handoffs": "Open handoffs, overdue first",
    "support-gaps": "Open support gaps",
    "school-absence": "School absence since the previous meeting",
    "cohabitation-ending": "Cohabitation duties ending soon",
    "moves": "Moves between municipalities",
    "language": "Language, interpreters and key persons",
}


@dataclass(frozen=True)
class AgendaItem:
    """One case on the agenda: what is going on, what happens next and who does it."""

    case_id: str
    situation: str
    next_step: str
    owner: str
    due: date | None = None
    days: int | None = None  # days overdue, open or in the phase, as the section says
    attention: bool = False  # overdue, stuck, a gap, a need nobody arranged
    facts: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple[AgendaItem, ...]


@dataclass(frozen=True)
class Agenda:
    municipality: str
    name: str
    as_of: date
    since: date
    cases: int
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def case_ids(self) -> set[str]:
        return {item.case_id for section in self.sections for item in section.items}


def agenda(
    histories: Mapping[str, Sequence[CloudEvent]],
    municipality: str,
    as_of: date,
    directory: Directory,
    since: date | None = None,
) -> Agenda:
    """The agenda of `municipality`'s integral meeting on `as_of`, from every case's events.
    School absence counts from `since` (the previous meeting; default two weeks before)."""
    local = directory.of(municipality)
    if local is None:
        raise ValueError(f"municipality {municipality} is not in the organisation directory")
    since = since if since is not None else as_of - MEETING_INTERVAL
    cases = cases_of({k: list(v) for k, v in histories.items()}, municipality, as_of)
    sections = (
        Section("turning-18", SECTION_TITLES["turning-18"], turning_18(cases, as_of, local)),
        Section("reunification", SECTION_TITLES["reunification"], reunifications(cases, as_of, local)),
        Section("open-handoffs", SECTION_TITLES["open-handoffs"], open_handoffs(cases, as_of, local)),
        Section("support-gaps", SECTION_TITLES["support-gaps"], support_gaps(cases, as_of, local)),
        Section("school-absence", SECTION_TITLES["school-absence"], school_absence(cases, since, as_of, local)),
        Section("cohabitation-ending", SECTION_TITLES["cohabitation-ending"], cohabitation_ending(cases, as_of, local)),
        Section("moves", SECTION_TITLES["moves"], moves(cases, since, as_of, local)),
        Section("language", SECTION_TITLES["language"], language_needs(cases, as_of, local)),
    )
    return Agenda(municipality, local.name, as_of, since, len(cases), sections)


def to_do(kind: str) -> str:
    return KIND_TEXT.get(kind, kind)


# --- turning 17½ or 18 ---------------------------------------------------------------------------


def turning_18(cases: list[CaseFile], day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§4.1, §4.2: young people who turn 17½ (the 18+ handoff is requested) or 18 (Nidos' support
    ends) within six months, and whether the municipality accepted the 18+ transition."""
    horizon = add_months(day, LOOK_AHEAD_MONTHS)
    items = []
    for case in cases:
        assert case.permit is not None
        if case.turned_18 is not None or case.permit.date_of_birth is None:  # None: erased (crypto-shredding)
            continue
        adult_on = birthday(case.permit.date_of_birth, 18)
        transition_starts = add_months(adult_on, -TRANSITION_18_START_MONTHS)
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


# --- reunification phases ------------------------------------------------------------------------


def phase_of(case: CaseFile) -> tuple[str, date] | None:
    """The phase a reunification in progress is in, and since when; None when none is in progress
    (nothing filed, rejected, guardianship transferred, or the young person turned 18 after the
    parents arrived: then there is nothing left to transfer)."""
    if case.filed is None or (case.decision is not None and case.decision.decision == "rejected"):
        return None
    if case.transferred is not None or (case.arrived is not None and case.turned_18 is not None):
        return None
    if case.petition is not None:
        return "transfer-requested", case.petition.petition_filed_on
    if case.arrived is not None:
        return "parents-arrived", case.arrived.arrival_date
    if case.decision is not None:
        return "decided", case.decision.decided_on
    if case.dna_offered is not None:
        return "dna-test", case.dna_offered.offered_on
    return "filed", case.filed.filed_on


def reunifications(cases: list[CaseFile], day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§2.1, §2.3, §4.1 ("welke AMV zijn hier mee bezig?"): every reunification in progress by
    phase; one that is longer in its phase than usual (`USUAL_IN_PHASE`) is stuck."""
    items = []
    for case in cases:
        found = phase_of(case)
        if found is None:
            continue
        phase, since = found
        days = (day - since).days
        stuck = day - since > USUAL_IN_PHASE[phase]
        step, owner = _phase_step(case, phase, stuck, local)
        items.append(
            AgendaItem(
                case.case_id, f"{PHASE_TEXT[phase]} (since {since.isoformat()}" + (", longer than usual)" if stuck else ")"),
                step, owner, days=days, attention=stuck,
                facts={"phase": phase, "phase_since": since, "usual_days": USUAL_IN_PHASE[phase].days, "stuck": stuck},
            )
        )
    order = {phase: n for n, phase in enumerate(PHASES)}
    return tuple(sorted(items, key=lambda i: (not i.attention, order[i.facts["phase"]], -(i.days or 0), i.case_id)))


def _phase_step(case: CaseFile, phase: str, stuck: bool, local: Municipality) -> tuple[str, str]:
    match phase:
        case "filed" | "dna-test" if stuck:
            return "Nidos' reunification officer asks the IND where the application stands", "nidos"
        case "filed":
            return "the IND decides; Nidos keeps the young person and the parents informed", "ind"
        case "dna-test":
            return "the family takes the DNA test at an embassy; the IND decides on the result", "ind"
        case "decided" if stuck:
            return "Nidos asks the parents how their journey is going (they arrange and pay it)", "nidos"
        case "decided":
            housing = case.handoff_of("plan-family-housing")
            if housing is not None and not housing.taken_over:
                return "accept the task to find a family home before the parents arrive", housing.owner
            return "have the family home ready when the parents arrive", local.municipality
        case "parents-arrived":
            return "petition the court to transfer guardianship to the parents", "nidos"
    aftercare = case.handoff_of("aftercare-district-team")
    if aftercare is not None and not aftercare.taken_over:
        return "accept aftercare before the court decides, so support does not end abruptly", aftercare.owner
    return "report the court's decision; the district team takes over", "nidos"


# --- handoffs and gaps ------------------------------------------------------------------------------


def open_handoffs(cases: list[CaseFile], day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§4.4, never let a case fall between two organisations: every handoff nobody accepted yet
    (overdue first, then by due date) and every declined one, which needs another taker."""
    items = []
    for case in cases:
        flagged = case.language is not None and case.language.support_missing
        for handoff in case.handoffs.values():
            if handoff.kind in NOT_LISTED_AS_HANDOFFS or not (handoff.awaiting_answer or handoff.status == "declined"):
                continue
            items.append(_handoff_item(case, handoff, day, local, flagged))
    return tuple(sorted(items, key=lambda i: (not i.facts["overdue"], i.due or date.max, i.case_id)))


def _handoff_item(case: CaseFile, handoff: Handoff, day: date, local: Municipality, flagged: bool) -> AgendaItem:
    overdue = handoff.overdue_on(day)
    facts: dict[str, object] = {
        "handoff_id": handoff.handoff_id, "kind": handoff.kind, "requester": handoff.requester,
        "status": handoff.status, "overdue": overdue, "escalated_to": handoff.escalated_to,
        "language_support_missing": flagged,
    }
    if handoff.status == "declined":
        return AgendaItem(
            case.case_id, f"{handoff.owner} declined to {to_do(handoff.kind)}: {handoff.declined_reason}",
            f"find another organisation to {to_do(handoff.kind)}", local.coordinator, due=handoff.due,
            attention=True, facts=facts,
        )
    situation = f"{handoff.requester} asked {handoff.owner} on {handoff.requested_on.isoformat()}"
    if overdue:
        situation += f"; overdue since {(handoff.due + timedelta(days=1)).isoformat()}"
    if handoff.escalated_to:
        situation += f"; escalated to {handoff.escalated_to}"
    return AgendaItem(
        case.case_id, situation, to_do(handoff.kind), handoff.owner, due=handoff.due,
        days=(day - handoff.due).days if overdue else None, attention=overdue or flagged, facts=facts,
    )


def support_gaps(cases: list[CaseFile], day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§4.2, §4.4: Nidos' support ended and nobody had taken over; how many days the gap is open,
    longest first. It closes when the successor accepts after all."""
    items = []
    for case in cases:
        for gap in case.open_gaps:
            successor = case.handoffs.get(gap.successor_handoff_id) if gap.successor_handoff_id else None
            situation = f"Nidos' support ended ({gap.reason}) on {gap.detected_on.isoformat()} and nobody had taken over"
            if successor is not None:
                step = f"get {successor.owner} to accept '{to_do(successor.kind)}' after all, or find another organisation"
            else:
                step = "find an organisation to take over the young person's support"
            items.append(
                AgendaItem(
                    case.case_id, situation, step, local.coordinator, days=(day - gap.detected_on).days, attention=True,
                    facts={"reason": gap.reason, "detected_on": gap.detected_on,
                           "successor": successor.owner if successor else None},
                )
            )
    return tuple(sorted(items, key=lambda i: (-(i.days or 0), i.case_id)))


# --- signals -----------------------------------------------------------------------------------------


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


def cohabitation_ending(cases: list[CaseFile], day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§2.2, §3.2, §4.1: cohabitation years that end within twelve weeks; then the young person may
    live on their own, with own income (the family's benefit counted them in)."""
    items = []
    for case in cases:
        if not case.cohabitation_running:
            continue
        assert case.duty is not None
        ends_on = case.duty.ends_on
        if not day <= ends_on <= day + COHABITATION_ENDING_WITHIN:
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
                step, owner, due = "follow how the young person settles in school and the neighbourhood", local.district_team, None
            else:
                step, owner, due = "get to know the young person and the network left behind", local.district_team, None
            items.append(
                AgendaItem(
                    case.case_id, situation, step, owner, due=due,
                    attention=any(h.overdue_on(day) for h in waiting),
                    facts={"from": move.from_municipality, "to": move.to_municipality, "moved_on": move.moved_on,
                           "handovers_waiting": [h.kind for h in waiting]},
                )
            )
    return tuple(sorted(items, key=lambda i: (i.facts["moved_on"], i.case_id)))


# --- language (§3.6, §4.3) -------------------------------------------------------------------------------


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
