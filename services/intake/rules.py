"""intake's decisions: pure functions from the case and a partner's report to new events.

Section numbers refer to the source document, ../shared/domain/gezinshereniging-amv-gemeenten.txt.
"""

from datetime import timedelta

from contracts.envelope import CloudEvent, derived_event_id
from contracts.events import ApplicationFiled, HandoffRequested, ResidencePermitGranted, derive
from contracts.ids import municipality_org
from contracts.inbox import Rejection, Report
from services.intake.state import IntakeCase

SERVICE = "intake"
TRANSITION_MEETING_LEAD = timedelta(weeks=4)


def decide(case: IntakeCase, report: Report) -> list[CloudEvent] | Rejection:
    """What intake stores for a partner's report: the report itself plus what rules derive from it."""
    if report.envelope.id in case.event_ids:
        return []  # the same report again: already stored, nothing new
    event = report.event
    if isinstance(event, ResidencePermitGranted):
        if case.permit is not None:
            return Rejection("duplicate-fact", f"case {report.case_id} already has a residence permit", "subject")
        return [report.envelope]
    if not case.exists:
        return Rejection(
            "unknown-case", f"case {report.case_id} is unknown: report ResidencePermitGranted first", "subject"
        )
    if isinstance(event, ApplicationFiled):
        if case.filed is not None:
            return Rejection("duplicate-fact", f"case {report.case_id} already has an application filed", "subject")
        return [report.envelope, plan_transition_meeting(case, report.envelope, event)]
    return Rejection("unknown-event-type", f"intake does not handle {event.event_type}", "type")


def plan_transition_meeting(case: IntakeCase, filed: CloudEvent, event: ApplicationFiled) -> CloudEvent:
    """§4.1: once the application is filed, the municipality plans a multidisciplinary transition
    meeting with Nidos, the district team and VluchtelingenWerk, long before the parents arrive."""
    assert case.permit is not None
    municipality = municipality_org(case.permit.municipality)
    rule = "plan-transition-meeting"
    handoff = HandoffRequested(
        handoff_id=derived_event_id(filed.id, rule),  # the id of the event itself
        kind="plan-transition-meeting",
        requester="nidos",
        owner=municipality,
        due=event.filed_on + TRANSITION_MEETING_LEAD,
        invited=("nidos", f"wijkteam-{municipality}", "vwn"),
    )
    return derive(handoff, filed, rule, SERVICE)
