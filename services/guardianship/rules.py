"""guardianship's decisions: pure functions from the case (and a report, a stored event or a day) to new events.

The core guarantee (§4.2, §4.4): Nidos' support of the young person ends exactly once — when the
court transfers guardianship to the parents, or when the young person turns 18 (or an extension
of Nidos' support runs out) — and it ends *warmly* only if the successor organisation accepted its
handoff before. Otherwise the gap is recorded and the municipality's coordinator gets a task, and
the gap closes as soon as the successor accepts after all.

Section numbers (§) refer to the source document, ../shared/domain/gezinshereniging-amv-gemeenten.txt
(line numbers in docs/rules.md). Numbers the source does not give are local policy, read from the
directory's settings (`directory.settings_for(municipality)`, services/runtime/rulesettings.py).
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.envelope import CloudEvent
from contracts.events import (
    DomainEvent,
    GuardianshipTransferRequested,
    GuardianshipTransferred,
    HandoffAccepted,
    HandoffRequested,
    SchoolAbsenceReported,
    SupportEnded,
    SupportGapClosed,
    SupportGapDetected,
    Turned18,
    data_of,
    derive,
    derive_on_day,
)
from contracts.ids import municipality_org
from contracts.inbox import Rejection, Report
from services import involvement
from services.dates import add_months
from services.guardianship import state
from services.guardianship.state import GuardianshipCase
from services.handoffs import requested_on_day, requested_on_event
from services.runtime.directory import Directory, Municipality

SERVICE = "guardianship"
NIDOS = "nidos"
SUCCESSORS = {  # who succeeds Nidos for each way its support ends (§4.2): the handoffs of these kinds
    "guardianship-transferred": ("aftercare-district-team", "aftercare-social-guidance"),  # "en/of": either one
    "turned-18": ("transition-18-plus",),
    "extension-ended": ("transition-18-plus",),
}


# --- how derived events get their ids ---------------------------------------------------------


@dataclass(frozen=True)
class Because:
    """The cause of derived events: a stored or reported event, or a day starting for the case.

    Ids are deterministic from the cause (or from case and `key` for a day) and the rule name."""

    event: CloudEvent | None = None
    case_id: str = ""
    day: date | None = None
    key: str = ""

    def derive(self, event: DomainEvent, rule: str) -> CloudEvent:
        if self.event is not None:
            return derive(event, self.event, rule, SERVICE)
        assert self.day is not None
        return derive_on_day(event, self.case_id, self.day, rule, SERVICE, key=self.key)

    def request(self, rule: str, **handoff) -> CloudEvent:
        if self.event is not None:
            return requested_on_event(self.event, rule, SERVICE, **handoff)
        assert self.day is not None
        return requested_on_day(self.case_id, self.day, rule, SERVICE, key=self.key, **handoff)


def local(directory: Directory, code: str | None, case: GuardianshipCase) -> tuple[str, Municipality] | None:
    """The municipality `code` and its organisations; the permit's municipality if `code` is not in the directory."""
    for candidate in (code, case.permit.municipality if case.permit else None):
        if candidate is not None and (entry := directory.of(candidate)) is not None:
            return candidate, entry
    return None


# --- partner reports ----------------------------------------------------------------------------


def decide(case: GuardianshipCase, report: Report, directory: Directory) -> list[CloudEvent] | Rejection:
    """What guardianship stores for a partner's report (from an organisation with a role in the case
    that may report it, contracts/involvement.py): the report itself plus what rules derive from it."""
    refusal = involvement.refusal(report, state.roles(case, directory)) or check_order(case, report)
    if refusal is not None:
        return refusal
    envelope = report.envelope
    match report.event:
        case GuardianshipTransferRequested() as petition:
            return [envelope, *aftercare_handoffs(case, envelope, petition, directory)]
        case GuardianshipTransferred() as transfer:
            return [envelope, *support_ends_on_transfer(case, envelope, transfer, directory)]
        case SchoolAbsenceReported() as absence:
            return [envelope, *relieve_young_carer(case, envelope, absence, directory)]
    return [envelope]  # GuardianAssigned, EducationEnrolled (housing reads it), SupportExtended


def check_order(case: GuardianshipCase, report: Report) -> Rejection | None:
    """§2.3, the order of facts: a case starts with the residence permit; Nidos petitions the court
    only after the parents arrived; the court transfers guardianship only after the petition, and
    only once. Guardianship ends by law at 18, so nothing can be transferred from that day on."""
    case_id, event = report.case_id, report.event
    if not case.exists:
        return Rejection("unknown-case", f"case {case_id} is unknown: report ResidencePermitGranted first", "subject", awaits_other_service=True)
    adult_on = case.birthday_18
    match event:
        case GuardianshipTransferRequested() if case.arrived is None:
            return Rejection("out-of-order", "guardianship can only pass to the parents after ParentsArrived", "type", awaits_other_service=True)
        case GuardianshipTransferRequested() if case.petition is not None:
            return Rejection("duplicate-fact", f"case {case_id} already has a transfer petition", "subject")
        case GuardianshipTransferRequested() if adult_on is not None and event.petition_filed_on >= adult_on:
            return Rejection(
                "out-of-order", f"the young person turned 18 on {adult_on}: guardianship already ended",
                "data.petition_filed_on",
            )
        case GuardianshipTransferred() if case.petition is None:
            return Rejection(
                "out-of-order", "GuardianshipTransferred needs GuardianshipTransferRequested first", "type"
            )
        case GuardianshipTransferred() if case.transferred is not None:
            return Rejection("duplicate-fact", f"guardianship of case {case_id} was already transferred", "subject")
        case GuardianshipTransferred() if event.transferred_on < case.petition.petition_filed_on:
            return Rejection(
                "out-of-order", f"the court cannot decide before the petition of {case.petition.petition_filed_on}",
                "data.transferred_on",
            )
        case GuardianshipTransferred() if adult_on is not None and event.transferred_on >= adult_on:
            return Rejection(
                "out-of-order", f"the young person turned 18 on {adult_on}: guardianship already ended",
                "data.transferred_on",
            )
    return None


def aftercare_handoffs(
    case: GuardianshipCase, petition: CloudEvent, event: GuardianshipTransferRequested, directory: Directory
) -> list[CloudEvent]:
    """§4.2, no abrupt end at the transfer: "zorg voor een warme overdracht naar VluchtelingenWerk
    en/of wijkprofessionals". As soon as Nidos petitions the court, the district team and
    VluchtelingenWerk of the family's municipality (whichever of them the directory knows) are
    asked to take over, so they can accept during the ~3 months before the court decides (§2.3);
    the acceptance of either makes the end of guardianship warm. Due after the local-policy
    `aftercare_lead_weeks`."""
    found = local(directory, case.family_municipality, case)
    if found is None:
        return []
    code, org = found
    due = event.petition_filed_on + timedelta(weeks=directory.settings_for(code).aftercare_lead_weeks)
    school = school_of(case)
    asked = (("aftercare-district-team", org.district_team, school), ("aftercare-social-guidance", org.vwn, ()))
    return [
        requested_on_event(
            petition, kind, SERVICE, kind=kind, requester=NIDOS, owner=owner, due=due, municipality=code, invited=invited,
        )
        for kind, owner, invited in asked
        if owner is not None
    ]


def support_ends_on_transfer(
    case: GuardianshipCase, transferred: CloudEvent, event: GuardianshipTransferred, directory: Directory
) -> list[CloudEvent]:
    """§4.2 (a): the court transferred guardianship, so Nidos' support ends; its successors are the
    aftercare handoffs requested at the petition (district team and/or VluchtelingenWerk)."""
    return support_end(
        case, directory, Because(event=transferred), "guardianship-transferred",
        ended_on=event.transferred_on, detected_on=event.transferred_on,
    )


def relieve_young_carer(
    case: GuardianshipCase, reported: CloudEvent, event: SchoolAbsenceReported, directory: Directory
) -> list[CloudEvent]:
    """§3.4 and §4.1 (Tilburg): school absence after the reunification signals a young person who
    carries the parents (translating, calling agencies). VluchtelingenWerk relieves the family and
    the RMC coach works on school attendance, both in the family's municipality, the school
    invited. Absence before the parents arrived is only stored. Where the directory knows no
    VluchtelingenWerk, the district team relieves the family. Due after the local-policy
    `relief_due_weeks`."""
    if case.arrived is None or event.reported_on < case.arrived.arrival_date:
        return []
    found = local(directory, case.family_municipality, case)
    if found is None:
        return []
    code, org = found
    due = event.reported_on + timedelta(weeks=directory.settings_for(code).relief_due_weeks)
    school = school_of(case)
    return [
        requested_on_event(
            reported, f"relieve-young-carer-{role}", SERVICE, kind="relieve-young-carer",
            requester=org.coordinator, owner=owner, due=due, municipality=code, invited=school,
        )
        for role, owner in (("vwn", org.social_guidance), ("rmc", org.rmc))
    ]


def school_of(case: GuardianshipCase) -> tuple[str, ...]:
    """The young person's school from the latest enrolment, as a tuple to invite."""
    return (case.education.school,) if case.education is not None and case.education.school else ()


# --- the end of Nidos' support (§4.2, §4.4) ------------------------------------------------------


def support_end(
    case: GuardianshipCase,
    directory: Directory,
    because: Because,
    reason: str,
    *,
    ended_on: date,
    detected_on: date,
) -> list[CloudEvent]:
    """§4.2 and §4.4, never let a case fall between two organisations: Nidos' support ends once.
    Warm if a successor (`SUCCESSORS`; "en/of": any one of them) accepted its handoff already;
    otherwise a gap, and the coordinator of the young person's municipality gets a task to find
    someone, due after the local-policy `gap_due_weeks`."""
    if case.support_over:
        return []
    successors = successors_of(case, reason)
    accepted = next((h.handoff_id for h in successors if h.handoff_id in case.accepted), None)
    if accepted is not None:
        ended = SupportEnded(ended_on=ended_on, by=NIDOS, reason=reason, successor_handoff_id=accepted)
        return [because.derive(ended, "support-ended")]
    first = successors[0].handoff_id if successors else None
    gap = SupportGapDetected(detected_on=detected_on, by=NIDOS, reason=reason, successor_handoff_id=first)
    events = [because.derive(gap, "support-gap-detected")]
    found = local(directory, case.young_persons_municipality, case)
    if found is not None:
        code, org = found
        events.append(
            because.request(
                "support-gap", kind="support-gap", requester=NIDOS, owner=org.coordinator,
                due=detected_on + timedelta(weeks=directory.settings_for(code).gap_due_weeks), municipality=code,
                invited=tuple(h.owner for h in successors),
            )
        )
    return events


def successors_of(case: GuardianshipCase, reason: str) -> list[HandoffRequested]:
    """The handoffs that succeed Nidos when its support ends for `reason`, in `SUCCESSORS` order."""
    return [h for kind in SUCCESSORS.get(reason, ()) if (h := case.handoff_of(kind)) is not None]


def end_date(case: GuardianshipCase, reason: str) -> date | None:
    """The first day without Nidos' support, for each way it ends."""
    match reason:
        case "guardianship-transferred":
            return case.transferred.transferred_on if case.transferred else None
        case "turned-18":
            return case.birthday_18
        case "extension-ended":
            until = case.nidos_extended_until
            return until + timedelta(days=1) if until else None
    return None


def close_gap(case: GuardianshipCase, because: Because) -> list[CloudEvent]:
    """§4.4: a gap closes when a successor accepts after all (§4.2, "en/of": any of them); then
    Nidos' support has ended warmly."""
    gap = case.open_gap
    if gap is None:
        return []
    accepted = next((h.handoff_id for h in successors_of(case, gap.reason) if h.handoff_id in case.accepted), None)
    if accepted is None:
        return []
    assert case.gap_event_id is not None
    closed = SupportGapClosed(gap_event_id=case.gap_event_id, closed_by_handoff_id=accepted)
    ended = SupportEnded(
        ended_on=end_date(case, gap.reason) or gap.detected_on, by=NIDOS, reason=gap.reason,
        successor_handoff_id=accepted,
    )
    return [because.derive(closed, "support-gap-closed"), because.derive(ended, "support-gap-closed-ended")]


# --- stored events of other services ----------------------------------------------------------------


def react(case: GuardianshipCase, event: CloudEvent, directory: Directory) -> list[CloudEvent]:
    """§4.4: notify recorded that an organisation accepted a handoff; if it is a successor of an
    open support gap, the gap closes now."""
    if event.event_type != "HandoffAccepted":
        return []
    accepted = data_of(event)
    assert isinstance(accepted, HandoffAccepted)
    gap = case.open_gap
    if gap is None or accepted.handoff_id not in {h.handoff_id for h in successors_of(case, gap.reason)}:
        return []
    if accepted.handoff_id not in case.accepted:  # the case was loaded without it: fold it in first
        case = advanced(case, [event])
    return close_gap(case, Because(event=event))


# --- days ----------------------------------------------------------------------------------------


DayRule = Callable[[GuardianshipCase, date, Directory], list[CloudEvent]]


def on_day(case: GuardianshipCase, day: date, directory: Directory) -> list[CloudEvent]:
    """What becomes due for the case when `day` starts. The rules run in order, each seeing what the
    previous ones derived, so a skipped stretch of days catches up in one go (request the 18+
    handoff, record the birthday, end the support with that handoff as successor)."""
    if not case.exists:
        return []
    events: list[CloudEvent] = []
    for rule in DAY_RULES:
        found = rule(case, day, directory)
        if found:
            case = advanced(case, found)
            events += found
    return events


def advanced(case: GuardianshipCase, events: list[CloudEvent]) -> GuardianshipCase:
    """A copy of the case with `events` applied; the given case (a projection's) stays untouched."""
    case = copy.deepcopy(case)
    for event in events:
        case = state.apply(case, event)
    return case


def transition_18_plus_rule(case: GuardianshipCase, day: date, directory: Directory) -> list[CloudEvent]:
    """§4.1 and §4.2, the 18-/18+ transition (the guide points to the VNG handreiking "Overdracht
    van AMV die 18 jaar worden" for the steps): while Nidos is still the guardian, the municipality
    where the young person lives is asked to take over what changes at 18. §3.5 names study
    finance, health insurance, rent and allowances; the other checklist items and when the handoff
    is requested and due (`transition_18_start_months`, `transition_18_due_months` before the
    birthday, `checklist_18_plus`) are local policy. The district team and/or VluchtelingenWerk
    and the school are invited."""
    adult_on = case.birthday_18
    if adult_on is None or not case.nidos_is_guardian or case.handoff_of("transition-18-plus") is not None:
        return []
    found = local(directory, case.young_persons_municipality, case)
    if found is None:
        return []
    code, org = found
    settings = directory.settings_for(code)
    if day < add_months(adult_on, -settings.transition_18_start_months):
        return []
    return [
        requested_on_day(
            case.case_id, day, "transition-18-plus", SERVICE, kind="transition-18-plus", requester=NIDOS,
            owner=municipality_org(code), due=max(add_months(adult_on, -settings.transition_18_due_months), day),
            municipality=code, invited=(*org.support, *school_of(case)), checklist=settings.checklist_18_plus,
        )
    ]


def turned_18_rule(case: GuardianshipCase, day: date, directory: Directory) -> list[CloudEvent]:
    """§2.3: guardianship lasts until 18. On the 18th birthday (or the first day after it that
    starts) the birthday is recorded, once; 29 February birthdays fall on 1 March in other years."""
    adult_on = case.birthday_18
    if adult_on is None or case.turned_18 is not None or day < adult_on:
        return []
    return [derive_on_day(Turned18(birthday=adult_on), case.case_id, day, "turned-18", SERVICE)]


def support_end_rule(case: GuardianshipCase, day: date, directory: Directory) -> list[CloudEvent]:
    """§4.2: at 18 Nidos' support ends (b) — unless Nidos is no longer the guardian (it ended at the
    transfer) or an extension of Nidos' support runs on the birthday or past it (as Tilburg does);
    then it ends (c) on the first day after the extension. The successor is the 18+ handoff."""
    if case.support_over or case.turned_18 is None or not case.nidos_is_guardian:
        return []
    adult_on, until = case.turned_18.birthday, case.nidos_extended_until
    if until is not None and until >= adult_on:
        if day <= until:
            return []
        reason, ended_on = "extension-ended", until + timedelta(days=1)
    else:
        reason, ended_on = "turned-18", adult_on
    return support_end(
        case, directory, Because(case_id=case.case_id, day=day, key=reason), reason, ended_on=ended_on, detected_on=day,
    )


def gap_closing_rule(case: GuardianshipCase, day: date, directory: Directory) -> list[CloudEvent]:
    """§4.4, safety net: a gap whose successor was accepted, but whose closing `react` missed (the
    acceptance was stored while the gap was being recorded), is closed when the next day starts."""
    return close_gap(case, Because(case_id=case.case_id, day=day, key="gap"))


DAY_RULES: tuple[DayRule, ...] = (transition_18_plus_rule, turned_18_rule, support_end_rule, gap_closing_rule)
