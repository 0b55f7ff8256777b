"""A case's timeline in plain language, for caseworkers, coordinators and the demo.

Pseudonymous by construction: events carry no names, and neither does this text.
"""

from contracts.envelope import CloudEvent
from contracts.events import data_of

KIND_TEXT = {
    "file-reunification-application": "file the family-reunification application",
    "plan-transition-meeting": "plan the multidisciplinary transition meeting",
    "plan-family-housing": "find a family home",
    "brede-intake-pip": "run the brede intake and PIP for the parents",
    "social-guidance-parents": "start social guidance of the parents",
    "petition-guardianship-transfer": "petition the court to transfer guardianship",
    "aftercare-district-team": "take over support after guardianship ends",
    "aftercare-social-guidance": "continue social guidance after guardianship ends",
    "transition-18-plus": "arrange the 18+ transition",
    "district-team-handover": "take over from the previous district team",
    "school-continuity": "keep the young person in school after the move",
    "relieve-young-carer": "relieve the young person who carries the parents",
    "support-gap": "close the support gap",
    "escalation": "act on an overdue handoff",
}


def _who(envelope: CloudEvent) -> str:
    return envelope.source.rsplit(":", 1)[1]


def describe(envelope: CloudEvent) -> str:
    """One sentence about one event."""
    e = data_of(envelope)
    d = e.model_dump()
    texts = {
        "ResidencePermitGranted": lambda: f"residence permit granted on {d['permit_date']} (lives in {d['municipality']})",
        "ApplicationFiled": lambda: f"family-reunification application filed on {d['filed_on']}",
        "DnaTestOffered": lambda: f"IND offered a DNA test on {d['offered_on']}",
        "ApplicationDecided": lambda: f"application {d['decision']} on {d['decided_on']}",
        "ParentsArrived": lambda: f"parents arrived on {d['arrival_date']}, assigned to {d['municipality']}",
        "FilingDeadlineApproaching": lambda: f"filing deadline {d['deadline']} is approaching, nothing filed yet",
        "FilingDeadlineMissed": lambda: f"filing deadline {d['deadline']} was missed",
        "GuardianAssigned": lambda: f"{d['guardian']} is guardian since {d['since']}",
        "EducationEnrolled": lambda: f"education: {d['level']} since {d['since']}",
        "SchoolAbsenceReported": lambda: f"school absence reported: {d['days_absent']} days",
        "GuardianshipTransferRequested": lambda: f"court petitioned to transfer guardianship on {d['petition_filed_on']}",
        "GuardianshipTransferred": lambda: f"guardianship transferred to the parents on {d['transferred_on']}",
        "Turned18": lambda: f"turned 18 on {d['birthday']}",
        "SupportExtended": lambda: f"support by {d['by']} extended until {d['until']}",
        "SupportEnded": lambda: f"support by {d['by']} ended warmly ({d['reason']}); the successor had accepted",
        "SupportGapDetected": lambda: f"SUPPORT GAP: support by {d['by']} ended ({d['reason']}) and nobody had taken over",
        "SupportGapClosed": lambda: "support gap closed: the successor accepted",
        "HousingAssigned": lambda: f"housed: {d['housing']} in {d['municipality']} on {d['housed_on']}",
        "CohabitationDutyStarted": lambda: f"cohabitation duty from {d['starts_on']} to {d['ends_on']}",
        "CohabitationExempted": lambda: f"exempt from the cohabitation duty ({d['education']})",
        "CohabitationDutyEnded": lambda: f"cohabitation duty ended on {d['ended_on']}",
        "FamilyRelocated": lambda: f"family moved from {d['from_municipality']} to {d['to_municipality']} on {d['moved_on']}",
        "HandoffRequested": lambda: f"{d['requester']} asks {d['owner']} to {KIND_TEXT[d['kind']]} by {d['due']}",
        "HandoffNotified": lambda: f"task delivered to {d['owner']} ({d['kind']})",
        "HandoffAccepted": lambda: f"{d['accepted_by']} accepted the task",
        "HandoffDeclined": lambda: f"{d['declined_by']} declined the task: {d['reason']}",
        "HandoffCompleted": lambda: f"{d['completed_by']} completed the task",
        "HandoffEscalated": lambda: f"task overdue since {d['overdue_since']}: escalated to {d['escalated_to']}",
        "HandoffStarted": lambda: f"{d['started_by']} started work on the task",
        "HandoffCancelled": lambda: f"{d['cancelled_by']} cancelled the task: {d['reason']}",
        "ChecklistItemChecked": lambda: f"{d['checked_by']} ticked '{d['item']}' on the checklist",
    }
    text = texts.get(envelope.event_type)
    return text() if text else envelope.event_type


def who(envelope: CloudEvent) -> str:
    """The organisation or service an event comes from ('nidos', 'notify', …)."""
    return _who(envelope)


def timeline(events: list[CloudEvent]) -> list[str]:
    """`date  who  what` lines, in the order the events were stored."""
    return [f"{e.time.date().isoformat()}  {_who(e):<16} {describe(e)}" for e in events]
