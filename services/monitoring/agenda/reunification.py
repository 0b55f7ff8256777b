"""Reunifications in progress: the phase each case is in, and whether it is longer in it than usual."""

from datetime import date, timedelta

from services.monitoring.agenda.items import AgendaItem
from services.monitoring.casefile import CaseFile
from services.runtime.directory import Municipality
from services.runtime.rulesettings import DEFAULTS, RuleSettings

# How long a reunification usually stays in each phase. Longer than that, the table asks why.
# Only the court's step has a figure in the source; the others are local policy (the directory's
# settings, docs/rules.md):
# - filed: §2.1 "Het kan enkele maanden tot meer dan een jaar duren voordat de aanvraag is
#   goedgekeurd": no single figure; `usual_wait_for_decision_weeks` (half a year) is our choice.
# - dna-test: §2.1 "De uitslag van het DNA-onderzoek kan enkele maanden in beslag nemen": "a few
#   months", no number; `usual_dna_test_weeks` is our choice.
# - decided: §2.1 gives no duration for the journey after approval (the family pays it and may first
#   have to leave its country to reach an embassy): `usual_journey_after_approval_weeks`.
# - parents-arrived: §2.3 says Nidos petitions once the parents arrived, not when: the same
#   `petition_expected_within_weeks` after which intake gives Nidos a task.
# §2.3: the court's transfer of guardianship "duurt doorgaans drie maanden".
USUAL_COURT_DECISION = timedelta(weeks=13)

PHASES = ("filed", "dna-test", "decided", "parents-arrived", "transfer-requested")


def usual_in_phase(settings: RuleSettings) -> dict[str, timedelta]:
    return {
        "filed": timedelta(weeks=settings.usual_wait_for_decision_weeks),
        "dna-test": timedelta(weeks=settings.usual_dna_test_weeks),
        "decided": timedelta(weeks=settings.usual_journey_after_approval_weeks),
        "parents-arrived": timedelta(weeks=settings.petition_expected_within_weeks),
        "transfer-requested": USUAL_COURT_DECISION,
    }


USUAL_IN_PHASE = usual_in_phase(DEFAULTS)  # with the default settings
PHASE_TEXT = {
    "filed": "application filed, waiting for the IND's decision",
    "dna-test": "DNA test offered, waiting for the result and the decision",
    "decided": "application approved, waiting for the parents to arrive",
    "parents-arrived": "parents arrived, no court petition yet",
    "transfer-requested": "court petitioned to transfer guardianship, waiting for the decision",
}


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


def reunifications(
    cases: list[CaseFile], day: date, local: Municipality, settings: RuleSettings = DEFAULTS
) -> tuple[AgendaItem, ...]:
    """§2.1, §2.3, §4.1 ("welke AMV zijn hier mee bezig?"): every reunification in progress by
    phase; one that is longer in its phase than usual (`usual_in_phase`) is stuck."""
    usual = usual_in_phase(settings)
    items = []
    for case in cases:
        found = phase_of(case)
        if found is None:
            continue
        phase, since = found
        days = (day - since).days
        stuck = day - since > usual[phase]
        step, owner = _phase_step(case, phase, stuck, local)
        items.append(
            AgendaItem(
                case.case_id, f"{PHASE_TEXT[phase]} (since {since.isoformat()}" + (", longer than usual)" if stuck else ")"),
                step, owner, days=days, attention=stuck,
                facts={"phase": phase, "phase_since": since, "usual_days": usual[phase].days, "stuck": stuck},
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
