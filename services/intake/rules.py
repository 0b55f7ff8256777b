"""intake's decisions: pure functions from the case (and a report or a day) to new events.

Section numbers (§) refer to the source document, ../shared/domain/gezinshereniging-amv-gemeenten.txt
(line numbers in docs/rules.md). Numbers the source does not give are local policy, read from the
directory's settings (`directory.settings_for(municipality)`, services/runtime/rulesettings.py).
"""

from datetime import date, timedelta

from contracts.envelope import CloudEvent
from contracts.events import (
    ApplicationDecided,
    ApplicationFiled,
    DnaTestOffered,
    FilingDeadlineApproaching,
    FilingDeadlineMissed,
    ParentsArrived,
    ResidencePermitGranted,
    derive_on_day,
)
from contracts.inbox import Rejection, Report
from services.dates import add_months, birthday
from services import involvement
from services.handoffs import requested_on_day, requested_on_event
from services.intake.state import IntakeCase, roles
from services.runtime.directory import Directory

SERVICE = "intake"
FILING_PERIOD_MONTHS = 3  # §2.1: "binnen drie maanden na het verkrijgen van de verblijfsvergunning"


def decide(case: IntakeCase, report: Report, directory: Directory) -> list[CloudEvent] | Rejection:
    """What intake stores for a partner's report: the report itself plus what rules derive from it,
    once the reporter has a role in the case that may report it (contracts/involvement.py)."""
    refusal = involvement.refusal(report, roles(case, directory)) or check_order(case, report, directory)
    if refusal is not None:
        return refusal
    match report.event:
        case ApplicationFiled():
            return [report.envelope, *on_application_filed(case, report.envelope, report.event, directory)]
        case ParentsArrived():
            return [report.envelope, *on_parents_arrived(case, report.envelope, report.event, directory)]
    return [report.envelope]


def check_order(case: IntakeCase, report: Report, directory: Directory) -> Rejection | None:
    """§2.1, the order of facts: an application needs a permit, a decision needs an application,
    parents can only arrive after approval. Out-of-order reports are refused, not stored."""
    case_id, event = report.case_id, report.event
    if isinstance(event, ResidencePermitGranted):
        if case.permit is not None:
            return Rejection("duplicate-fact", f"case {case_id} already has a residence permit", "subject")
        if directory.of(event.municipality) is None:
            return Rejection(
                "unknown-municipality", f"municipality {event.municipality} is not in the organisation directory",
                "data.municipality",
            )
        return None
    if not case.exists:
        return Rejection("unknown-case", f"case {case_id} is unknown: report ResidencePermitGranted first", "subject",
                         awaits_earlier_report=True)
    match event:
        case ApplicationFiled() if case.filed is not None:
            return Rejection("duplicate-fact", f"case {case_id} already has an application filed", "subject")
        case DnaTestOffered() | ApplicationDecided() if case.filed is None:
            return Rejection("out-of-order", f"{event.event_type} needs ApplicationFiled first", "type")
        case DnaTestOffered() if case.decision is not None:
            return Rejection("out-of-order", "the application is already decided: no DNA test any more", "type")
        case ApplicationDecided() if case.decision is not None:
            return Rejection("duplicate-fact", f"case {case_id} is already decided", "subject")
        case ParentsArrived() if case.decision is None or case.decision.decision != "approved":
            return Rejection("out-of-order", "parents can only arrive after an approved application", "type")
        case ParentsArrived() if case.arrived is not None:
            return Rejection("duplicate-fact", f"the parents of case {case_id} already arrived", "subject")
        case ParentsArrived() if directory.of(event.municipality) is None:
            return Rejection(
                "unknown-municipality", f"municipality {event.municipality} is not in the organisation directory",
                "data.municipality",
            )
    return None


def on_application_filed(
    case: IntakeCase, filed: CloudEvent, event: ApplicationFiled, directory: Directory
) -> list[CloudEvent]:
    """§4.1, start early: once the application is filed, the municipality plans a
    multidisciplinary transition meeting (the AMV present; Nidos, the district team and/or
    VluchtelingenWerk and the school invited) and starts looking for a family home, long before
    the parents arrive. When each is due is local policy (settings)."""
    assert case.permit is not None
    code = case.permit.municipality
    local = directory.of(code)
    assert local is not None
    settings = directory.settings_for(code)
    invited = ("nidos", *local.support) + ((case.school,) if case.school else ())
    return [
        requested_on_event(
            filed, "plan-transition-meeting", SERVICE, kind="plan-transition-meeting", requester="nidos",
            owner=local.municipality, due=event.filed_on + timedelta(weeks=settings.transition_meeting_lead_weeks),
            municipality=code, invited=invited,
        ),
        requested_on_event(
            filed, "plan-family-housing", SERVICE, kind="plan-family-housing", requester="nidos",
            owner=local.municipality, due=event.filed_on + timedelta(weeks=settings.family_housing_lead_weeks),
            municipality=code,
        ),
    ]


def on_parents_arrived(
    case: IntakeCase, arrived: CloudEvent, event: ParentsArrived, directory: Directory
) -> list[CloudEvent]:
    """§4.3: when the parents arrive, their municipality runs the brede intake and the PIP (Wet
    inburgering 2021), and VluchtelingenWerk starts social guidance of the parents (the district
    team where the directory knows no VluchtelingenWerk). The guide sets no term: both are due
    after the local-policy `arrival_tasks_lead_weeks`."""
    local = directory.of(event.municipality)
    assert local is not None
    due = event.arrival_date + timedelta(weeks=directory.settings_for(event.municipality).arrival_tasks_lead_weeks)
    return [
        requested_on_event(
            arrived, "brede-intake-pip", SERVICE, kind="brede-intake-pip", requester="coa",
            owner=local.municipality, due=due, municipality=event.municipality,
        ),
        requested_on_event(
            arrived, "social-guidance-parents", SERVICE, kind="social-guidance-parents", requester=local.municipality,
            owner=local.social_guidance, due=due, municipality=event.municipality,
        ),
    ]


def react(case: IntakeCase, event: CloudEvent, directory: Directory) -> list[CloudEvent]:
    """intake reacts to no other service's events; it reads them when it decides."""
    return []


def filing_deadline(case: IntakeCase) -> date | None:
    return add_months(case.permit.permit_date, FILING_PERIOD_MONTHS) if case.permit else None


def on_day(case: IntakeCase, day: date, directory: Directory) -> list[CloudEvent]:
    """What becomes due for the case when `day` starts."""
    return filing_deadline_rule(case, day, directory) + petition_rule(case, day, directory)


def filing_deadline_rule(case: IntakeCase, day: date, directory: Directory) -> list[CloudEvent]:
    """§2.1: the application must be filed within 3 months of the permit. Some weeks before the
    deadline (local policy: `filing_warning_weeks`), Nidos' reunification officer gets a task; the
    day after it, the miss is recorded."""
    deadline = filing_deadline(case)
    if deadline is None or case.filed is not None or case.deadline_missed:
        return []
    assert case.permit is not None
    if day > deadline:
        return [derive_on_day(FilingDeadlineMissed(deadline=deadline), case.case_id, day, "filing-deadline-missed", SERVICE)]
    warning = timedelta(weeks=directory.settings_for(case.permit.municipality).filing_warning_weeks)
    if day >= deadline - warning and not case.deadline_approaching:
        local = directory.of(case.permit.municipality)
        assert local is not None
        return [
            derive_on_day(
                FilingDeadlineApproaching(deadline=deadline), case.case_id, day, "filing-deadline-approaching", SERVICE
            ),
            requested_on_day(
                case.case_id, day, "file-reunification-application", SERVICE, kind="file-reunification-application",
                requester=local.coordinator, owner="nidos", due=deadline, municipality=case.permit.municipality,
            ),
        ]
    return []


def petition_rule(case: IntakeCase, day: date, directory: Directory) -> list[CloudEvent]:
    """§2.3: once the parents have arrived, Nidos petitions the court to transfer guardianship to
    them (the court's process "duurt doorgaans drie maanden"). The guide sets no term for the
    petition: no petition `petition_expected_within_weeks` after the arrival (local policy) gives
    Nidos a task. Guardianship ends by law at 18 (§2.3), so a young person who is 18 by then gets
    no petition task, and the task is due before the 18th birthday at the latest (an open one is
    closed at 18 by notify)."""
    if case.arrived is None or case.transfer_requested or "petition-guardianship-transfer" in case.handoff_kinds:
        return []
    settings = directory.settings_for(case.arrived.municipality)
    expected_by = case.arrived.arrival_date + timedelta(weeks=settings.petition_expected_within_weeks)
    adult_on = adult_on_of(case)
    if day < expected_by or (adult_on is not None and day >= adult_on):
        return []
    local = directory.of(case.arrived.municipality)
    assert local is not None
    due = expected_by + timedelta(weeks=settings.petition_task_lead_weeks)
    return [
        requested_on_day(
            case.case_id, day, "petition-guardianship-transfer", SERVICE, kind="petition-guardianship-transfer",
            requester=local.coordinator, owner="nidos", due=min(due, adult_on - timedelta(days=1)) if adult_on else due,
            municipality=case.arrived.municipality,
        )
    ]


def adult_on_of(case: IntakeCase) -> date | None:
    """The young person's 18th birthday (§2.3: guardianship lasts until 18); None when not known."""
    if case.permit is None or case.permit.date_of_birth is None:
        return None
    return birthday(case.permit.date_of_birth, 18)
