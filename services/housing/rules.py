"""housing's decisions: pure functions from the case (and a report, a stored event or a day) to new events.

Section numbers (§) refer to the source document, ../shared/domain/gezinshereniging-amv-gemeenten.txt
(line numbers in docs/rules.md). Numbers the source does not give are local policy, read from the
directory's settings (`directory.settings_for(municipality)`, services/runtime/rulesettings.py).
"""

from datetime import date, timedelta

from contracts.envelope import CloudEvent
from contracts.events import (
    CohabitationDutyEnded,
    CohabitationDutyStarted,
    CohabitationExempted,
    EducationEnrolled,
    FamilyRelocated,
    HousingAssigned,
    data_of,
    derive,
    derive_on_day,
)
from contracts.inbox import Rejection, Report
from services.dates import add_months
from services import involvement
from services.handoffs import requested_on_event
from services.housing.state import FAMILY_LIVES_TOGETHER, HousingCase, roles
from services.runtime.directory import Directory

SERVICE = "housing"
COHABITATION_MONTHS = 12  # §2.2: "tenminste één jaar samen te wonen met hun gezin"
EXEMPTING_LEVELS = frozenset({"isk", "full-time"})  # §4.1: a full-time day education, ISK included
NIDOS, COA = "nidos", "coa"


def decide(case: HousingCase, report: Report, directory: Directory) -> list[CloudEvent] | Rejection:
    """What housing stores for a partner's report: the report itself plus what rules derive from it,
    once the reporter has a role in the case that may report it (contracts/involvement.py): a
    municipality moves only a family that lives there, COA only one whose parents it receives."""
    refusal = involvement.refusal(report, roles(case, directory)) or check_order(case, report, directory)
    if refusal is not None:
        return refusal
    match report.event:
        case HousingAssigned():
            housed, event = report.envelope, report.event
            return [
                housed,
                *cohabitation_at_housing(case, housed, event),
                *handovers_on_housing(case, housed, event, directory),
            ]
        case FamilyRelocated():
            return [report.envelope, *handovers_on_relocation(case, report.envelope, report.event, directory)]
    return [report.envelope]


def check_order(case: HousingCase, report: Report, directory: Directory) -> Rejection | None:
    """§2.2, the order of facts: housing needs a known case (a residence permit) in a municipality
    of the directory; the family gets one family home (an AZC place or a temporary home may come
    first); a move starts from where the family lives now, not before it moved in there."""
    case_id, event = report.case_id, report.event
    if not case.exists:
        return Rejection("unknown-case", f"case {case_id} is unknown: report ResidencePermitGranted first", "subject", awaits_other_service=True)
    match event:
        case HousingAssigned() if directory.of(event.municipality) is None:
            return Rejection(
                "unknown-municipality", f"municipality {event.municipality} is not in the organisation directory",
                "data.municipality",
            )
        case HousingAssigned() if case.in_permanent_family_home and event.housing in FAMILY_LIVES_TOGETHER:
            return Rejection(
                "duplicate-fact", f"the family of case {case_id} already has a family home: report a move as FamilyRelocated",
                "subject",
            )
        case HousingAssigned() if case.in_family_home and event.housing == "azc":
            return Rejection("out-of-order", "the family already has a family home: no AZC place any more", "data.housing")
        case FamilyRelocated() if case.housing is None:
            return Rejection("out-of-order", "FamilyRelocated needs HousingAssigned first", "type")
        case FamilyRelocated() if directory.of(event.to_municipality) is None:
            return Rejection(
                "unknown-municipality", f"municipality {event.to_municipality} is not in the organisation directory",
                "data.to_municipality",
            )
        case FamilyRelocated() if event.from_municipality != case.family_municipality:
            return Rejection(
                "out-of-order",
                f"the family lives in {case.family_municipality}, not in {event.from_municipality}",
                "data.from_municipality",
            )
        case FamilyRelocated() if case.living_since is not None and event.moved_on < case.living_since:
            return Rejection(
                "out-of-order", f"the family only lives in {case.family_municipality} since {case.living_since}",
                "data.moved_on",
            )
    return None


# --- §2.2 / §4.1 the cohabitation duty and its exemption ---------------------------------------


def exempting(education: EducationEnrolled | None) -> bool:
    """§4.1: a young person in a full-time day education (ISK included) is exempt."""
    return education is not None and education.level in EXEMPTING_LEVELS


def cohabitation_at_housing(case: HousingCase, housed: CloudEvent, event: HousingAssigned) -> list[CloudEvent]:
    """§2.2: once the family lives in a family home, the young person must live with the parents
    for at least one year (an AZC place does not start the duty, a temporary family home does). §4.1:
    unless the young person follows a full-time day education, ISK included: then exempt instead."""
    if event.housing not in FAMILY_LIVES_TOGETHER or case.duty is not None or case.exempted is not None:
        return []
    if exempting(case.education):
        assert case.education is not None
        exempted = CohabitationExempted(
            reason="full-time-education",
            education=case.education.level,
            exempted_on=max(event.housed_on, case.education.since),
        )
        return [derive(exempted, housed, "cohabitation-exempted-at-housing", SERVICE)]
    started = CohabitationDutyStarted(
        starts_on=event.housed_on, ends_on=add_months(event.housed_on, COHABITATION_MONTHS)
    )
    return [derive(started, housed, "cohabitation-duty-started", SERVICE)]


def react(case: HousingCase, event: CloudEvent, directory: Directory) -> list[CloudEvent]:
    """What housing derives from another service's stored event (its decider reacts to EducationEnrolled)."""
    if event.event_type != "EducationEnrolled":
        return []
    enrolled = data_of(event)  # upcast to the current version, as every stored event is read
    assert isinstance(enrolled, EducationEnrolled)
    return exemption_by_education(case, event, enrolled)


def exemption_by_education(case: HousingCase, enrolled: CloudEvent, event: EducationEnrolled) -> list[CloudEvent]:
    """§4.1: a young person who starts a full-time day education (ISK included) while the
    cohabitation year runs is exempt from then on (never before the duty started); an enrolment
    that starts after the year is over changes nothing."""
    if not case.duty_running or not exempting(event):
        return []
    assert case.duty is not None
    if event.since >= case.duty.ends_on:
        return []
    exempted = CohabitationExempted(
        reason="full-time-education", education=event.level, exempted_on=max(event.since, case.duty.starts_on)
    )
    return [derive(exempted, enrolled, "cohabitation-exempted-by-education", SERVICE)]


def on_day(case: HousingCase, day: date, directory: Directory) -> list[CloudEvent]:
    """What becomes due for the case when `day` starts."""
    return cohabitation_end_rule(case, day)


def cohabitation_end_rule(case: HousingCase, day: date) -> list[CloudEvent]:
    """§2.2: the cohabitation duty lasts one year: on the first day that starts on or after its
    end, the end is recorded, once. An exempted duty does not end; it no longer applies."""
    if not case.duty_running:
        return []
    assert case.duty is not None
    if day < case.duty.ends_on:
        return []
    ended = CohabitationDutyEnded(ended_on=case.duty.ends_on)
    return [derive_on_day(ended, case.case_id, day, "cohabitation-duty-ended", SERVICE)]


# --- §3.2 a move cuts the young person's network ------------------------------------------------


def handovers_on_housing(
    case: HousingCase, housed: CloudEvent, event: HousingAssigned, directory: Directory
) -> list[CloudEvent]:
    """§3.2: the cohabitation duty makes the young person move to the family home; when that home
    is in another municipality, the young person loses the network built up there, so the
    district teams hand over and school continuity is arranged. An AZC place (the parents only)
    moves nobody. From a temporary family home the family moves on from where it lived."""
    assert case.permit is not None
    if event.housing not in FAMILY_LIVES_TOGETHER:
        return []
    old_code = case.family_municipality if case.in_family_home and case.family_municipality else case.permit.municipality
    return network_handovers(
        case, housed, old_code, event.municipality, event.housed_on, directory, requester=move_requester(case)
    )


def handovers_on_relocation(
    case: HousingCase, relocated: CloudEvent, event: FamilyRelocated, directory: Directory
) -> list[CloudEvent]:
    """§3.2: a family in its family home that moves to another municipality takes the young
    person along, away from the network: the same handovers, from the old municipality to the new."""
    if not case.in_family_home:
        return []
    return network_handovers(
        case, relocated, event.from_municipality, event.to_municipality, event.moved_on, directory,
        requester=move_requester(case),
    )


def move_requester(case: HousingCase) -> str:
    """Who asks for the handovers of a move (issue 15, point 8): the young person's guardian
    organisation, Nidos (§2.3), or COA while the family is still in reception (§2.2: COA and the
    municipality arrange the reception, in an AZC, until a family home is ready). Housing knows
    that from the facts it folds, as they stood before the move: the parents arrived and the family
    has no home yet, or only an AZC place (HousingAssigned 'azc')."""
    in_reception = case.arrived is not None and (case.housing is None or case.housing.housing == "azc")
    return COA if in_reception else NIDOS


def network_handovers(
    case: HousingCase, cause: CloudEvent, old_code: str, new_code: str, moved_on: date, directory: Directory,
    *, requester: str,
) -> list[CloudEvent]:
    """§3.2 / §4.1: the old municipality's district team hands the young person's network over to
    the new one's (VluchtelingenWerk where the new municipality has no district team), and the new
    municipality's RMC arranges school continuity (the young person's school invited). Both are
    asked by `requester` and due after the local-policy `move_handover_due_weeks`. Nothing when the
    municipality stays the same."""
    if old_code == new_code:
        return []
    old, new = directory.of(old_code), directory.of(new_code)
    assert old is not None and new is not None
    due = moved_on + timedelta(weeks=directory.settings_for(new_code).move_handover_due_weeks)
    school = case.education.school if case.education is not None else None
    return [
        requested_on_event(
            cause, "district-team-handover", SERVICE, kind="district-team-handover", requester=requester,
            owner=new.neighbourhood, due=due, municipality=new_code, invited=(old.neighbourhood,),
        ),
        requested_on_event(
            cause, "school-continuity", SERVICE, kind="school-continuity", requester=requester,
            owner=new.rmc, due=due, municipality=new_code, invited=(school,) if school else (),
        ),
    ]
