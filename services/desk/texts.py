"""What the desk says, in the caseworker's language: organisations by name ("Gemeente Tilburg"),
task kinds, statuses and actions as caseworkers say them, and a case's timeline in plain sentences.
The English texts are the msgids of the catalogue (`i18n.py`); nothing here holds a name of a person."""

from datetime import date
from functools import cache

from contracts.envelope import CloudEvent
from contracts.events import data_of
from contracts.ids import municipality_of, organisation_kind
from services.desk.i18n import N_, Language
from services.monitoring.timeline import KIND_TEXT, who
from services.runtime.directory import Directory, load_directory
from services.runtime.settings import Settings

KINDS = {
    "file-reunification-application": N_("file the family-reunification application"),
    "plan-transition-meeting": N_("plan the multidisciplinary transition meeting"),
    "plan-family-housing": N_("find a family home"),
    "brede-intake-pip": N_("run the brede intake and PIP for the parents"),
    "social-guidance-parents": N_("start social guidance of the parents"),
    "petition-guardianship-transfer": N_("petition the court to transfer guardianship"),
    "aftercare-district-team": N_("take over support after guardianship ends"),
    "aftercare-social-guidance": N_("continue social guidance after guardianship ends"),
    "transition-18-plus": N_("arrange the 18+ transition"),
    "district-team-handover": N_("take over from the previous district team"),
    "school-continuity": N_("keep the young person in school after the move"),
    "relieve-young-carer": N_("relieve the young person who carries the parents"),
    "support-gap": N_("close the support gap"),
    "escalation": N_("act on an overdue handoff"),
}
assert set(KINDS) == set(KIND_TEXT), "every kind of task needs its text here"
KIND_OF_TEXT = {text: kind for kind, text in KIND_TEXT.items()}  # the kind of desk.TimelineEntry.task_kind

# HL7 FHIR Task statuses as caseworkers say them.
STATUSES = {
    "draft": N_("draft"),
    "requested": N_("waiting for an answer"),
    "accepted": N_("accepted"),
    "in-progress": N_("in progress"),
    "completed": N_("completed"),
    "rejected": N_("declined"),
    "cancelled": N_("withdrawn"),
}
OPEN_STATUSES = ("requested", "accepted", "in-progress")

ACTIONS = {
    "accept": N_("Accept"),
    "decline": N_("Decline"),
    "start": N_("Start"),
    "tick": N_("Tick off"),
    "complete": N_("Complete"),
    "cancel": N_("Withdraw"),
}
DONE = {
    "accept": N_("Task accepted"),
    "decline": N_("Task declined"),
    "start": N_("Task started"),
    "complete": N_("Task completed"),
    "cancel": N_("Task withdrawn"),
}

NATIONAL = {"nidos": N_("Nidos"), "ind": N_("IND"), "coa": N_("COA")}
LOCAL = {
    "municipality": N_("Municipality of %(name)s"),
    "coordinator": N_("Chain coordinator %(name)s"),
    "wijkteam": N_("District team %(name)s"),
    "vwn": N_("VluchtelingenWerk %(name)s"),
    "rmc": N_("RMC %(name)s"),
}


@cache
def directory() -> Directory:
    return load_directory(Settings().directory or None)


@cache
def org_name(org: str | None, lang: Language) -> str:
    """'gm0855' -> 'Gemeente Tilburg'; an organisation the directory does not know keeps its id."""
    if not org:
        return ""
    if org in NATIONAL:
        return lang.gettext(NATIONAL[org])
    code, kind = municipality_of(org), organisation_kind(org)
    place = directory().of(code) if code else None
    if place is None or kind not in LOCAL:
        national = directory().national.get(org)
        return national.name if national else org
    return lang.gettext(LOCAL[kind]) % {"name": place.name}


def kind_text(kind: str, lang: Language) -> str:
    return lang.gettext(KINDS[kind]) if kind in KINDS else kind


def status_text(status: str, lang: Language) -> str:
    return lang.gettext(STATUSES[status]) if status in STATUSES else status


def describe(envelope: CloudEvent, lang: Language) -> str:
    """One sentence about one event of a case's timeline."""
    d = data_of(envelope).model_dump()
    _, day, name = lang.gettext, lang.long_date, lambda key: org_name(d[key], lang)

    def place(key: str) -> str:
        found = directory().of(d[key])
        return found.name if found else d[key]

    texts = {
        "ResidencePermitGranted": lambda: _("residence permit granted on %(day)s (lives in %(place)s)")
        % {"day": day(d["permit_date"]), "place": place("municipality")},
        "ApplicationFiled": lambda: _("family-reunification application filed on %(day)s") % {"day": day(d["filed_on"])},
        "DnaTestOffered": lambda: _("IND offered a DNA test on %(day)s") % {"day": day(d["offered_on"])},
        "ApplicationDecided": lambda: _("application decided (%(decision)s) on %(day)s")
        % {"decision": _(d["decision"]), "day": day(d["decided_on"])},
        "ParentsArrived": lambda: _("parents arrived on %(day)s, assigned to %(place)s")
        % {"day": day(d["arrival_date"]), "place": place("municipality")},
        "FilingDeadlineApproaching": lambda: _("filing deadline %(day)s is approaching, nothing filed yet") % {"day": day(d["deadline"])},
        "FilingDeadlineMissed": lambda: _("filing deadline %(day)s was missed") % {"day": day(d["deadline"])},
        "GuardianAssigned": lambda: _("%(who)s is guardian since %(day)s") % {"who": name("guardian"), "day": day(d["since"])},
        "EducationEnrolled": lambda: _("education: %(level)s since %(day)s") % {"level": d["level"], "day": day(d["since"])},
        "SchoolAbsenceReported": lambda: _("school absence reported: %(days)s days") % {"days": d["days_absent"]},
        "GuardianshipTransferRequested": lambda: _("court petitioned to transfer guardianship on %(day)s") % {"day": day(d["petition_filed_on"])},
        "GuardianshipTransferred": lambda: _("guardianship transferred to the parents on %(day)s") % {"day": day(d["transferred_on"])},
        "Turned18": lambda: _("turned 18 on %(day)s") % {"day": day(d["birthday"])},
        "SupportExtended": lambda: _("support by %(who)s extended until %(day)s") % {"who": name("by"), "day": day(d["until"])},
        "SupportEnded": lambda: _("support by %(who)s ended warmly (%(reason)s); the successor had accepted")
        % {"who": name("by"), "reason": d["reason"]},
        "SupportGapDetected": lambda: _("SUPPORT GAP: support by %(who)s ended (%(reason)s) and nobody had taken over")
        % {"who": name("by"), "reason": d["reason"]},
        "SupportGapClosed": lambda: _("support gap closed: the successor accepted"),
        "HousingAssigned": lambda: _("housed: %(housing)s in %(place)s on %(day)s")
        % {"housing": d["housing"], "place": place("municipality"), "day": day(d["housed_on"])},
        "CohabitationDutyStarted": lambda: _("cohabitation duty from %(start)s to %(end)s") % {"start": day(d["starts_on"]), "end": day(d["ends_on"])},
        "CohabitationExempted": lambda: _("exempt from the cohabitation duty (%(education)s)") % {"education": d["education"]},
        "CohabitationDutyEnded": lambda: _("cohabitation duty ended on %(day)s") % {"day": day(d["ended_on"])},
        "FamilyRelocated": lambda: _("family moved from %(from)s to %(to)s on %(day)s")
        % {"from": place("from_municipality"), "to": place("to_municipality"), "day": day(d["moved_on"])},
        "HandoffRequested": lambda: _("%(requester)s asks %(owner)s to %(what)s by %(day)s")
        % {"requester": name("requester"), "owner": name("owner"), "what": kind_text(d["kind"], lang), "day": day(d["due"])},
        "HandoffNotified": lambda: _("task delivered to %(owner)s") % {"owner": name("owner")},
        "HandoffAccepted": lambda: _("%(who)s accepted the task") % {"who": name("accepted_by")},
        "HandoffDeclined": lambda: _("%(who)s declined the task: %(reason)s") % {"who": name("declined_by"), "reason": d["reason"]},
        "HandoffCompleted": lambda: _("%(who)s completed the task") % {"who": name("completed_by")},
        "HandoffEscalated": lambda: _("task overdue since %(day)s: escalated to %(who)s")
        % {"day": day(d["overdue_since"]), "who": name("escalated_to")},
        "HandoffStarted": lambda: _("%(who)s started work on the task") % {"who": name("started_by")},
        "HandoffCancelled": lambda: _("%(who)s withdrew the task: %(reason)s") % {"who": name("cancelled_by"), "reason": d["reason"]},
        "ChecklistItemChecked": lambda: _("%(who)s ticked off '%(item)s' on the checklist") % {"who": name("checked_by"), "item": d["item"]},
    }
    text = texts.get(envelope.event_type)
    return text() if text else envelope.event_type


SERVICES = ("intake", "guardianship", "housing", "notify", "monitoring")


def source_name(envelope: CloudEvent, lang: Language) -> str:
    """Who an event comes from, by name ('Nidos', 'Gemeente Tilburg'; a rule of ours: 'system (notify)')."""
    source = who(envelope)
    return lang.gettext("system (%(service)s)") % {"service": source} if source in SERVICES else org_name(source, lang)


DECISIONS = (N_("approved"), N_("rejected"))


def responsibility_text(reason: str, facts: dict[str, str], lang: Language) -> str:
    """Why someone (or nobody) carries the young person's support now (desk.Responsibility, in parts)."""
    _, day, name = lang.gettext, lang.long_date, lambda key: org_name(facts.get(key), lang)
    on = day(date.fromisoformat(facts["on"])) if facts.get("on") else ""
    if reason == "took-over":
        return _("took over from %(who)s on %(day)s (%(what)s)") % {"who": name("by"), "day": on, "what": kind_text(facts["kind"], lang)}
    if reason == "successor-unknown":
        return _("support by %(who)s ended on %(day)s; its successor is unknown") % {"who": name("by"), "day": on}
    if reason == "successor-cancelled":
        return _("support by %(who)s ended on %(day)s; the task of %(owner)s was withdrawn since") % {
            "who": name("by"), "day": on, "owner": name("owner")}
    if reason == "gap":
        text = _("support by %(who)s ended on %(day)s (%(reason)s)") % {"who": name("by"), "day": on, "reason": facts["reason"]}
        return text + (_("; %(who)s is asked to close it") % {"who": name("asked")} if facts.get("asked") else "")
    return _("guardian of the young person until guardianship passes or support ends at 18")
