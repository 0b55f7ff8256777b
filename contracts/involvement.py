"""Authorisation by relationship: which role in a case an organisation needs to report each fact about it.

The inbox gate (contracts/inbox.py) checks the *kind* of organisation (`reporters`: may a
municipality report FamilyRelocated at all?). This table says *which* organisation of that kind:
one with a role in the case (the family's municipality, not any municipality). The owning
service checks it in its decide, before its rules, from the facts its read model folds
(services/involvement.py); a report from an organisation without the role is refused
`not-involved`, naming the roles that may report it and never a value of the case.

`ROLES` says who holds each role and from which facts; `INVOLVED` is the table event type x role,
rendered into docs/partners.md. A case is opened by its first fact, ResidencePermitGranted: there is
no case yet to have a role in, so it is not in the table; the gate lets only Nidos (the guardian of
every AMV) and the IND (which grants the permit) send it, and a second one is `duplicate-fact`.
"""

from dataclasses import dataclass

from contracts.events import EVENT_TYPES
from contracts.rejections import Rejection


@dataclass(frozen=True)
class Role:
    kind: str  # the kind of organisation that holds it (contracts/ids.py), or "any"
    name: str  # how a reason and the table name it
    held_by: str  # who holds it in a case, and from which facts


ROLES: dict[str, Role] = {
    "guardian": Role("nidos", "the guardian organisation (Nidos)",
                     "Nidos, guardian of every AMV (§2.3), from the residence permit on; after guardianship passes "
                     "to the parents too (its support can be extended)"),
    "ind": Role("ind", "the IND", "the IND, which grants the permit and decides the application, from the permit on"),
    "young-persons-municipality": Role(
        "municipality", "the young person's municipality",
        "the municipality of the residence permit; once the parents arrived, the family's municipality"),
    "family-municipality": Role(
        "municipality", "the family's municipality",
        "the municipality the parents were assigned to on arrival (ParentsArrived), then that of the family's home "
        "(HousingAssigned) and after a move the new one (FamilyRelocated); before the arrival, the young person's. "
        "While the parents have only an AZC place, the municipality they were assigned to stays it too"),
    "reception": Role(
        "coa", "the reception location (COA)",
        "COA while it receives the parents: from the IND's approval of the application (ApplicationDecided "
        "'approved') until the family has a home of its own (HousingAssigned family-home or temporary-family-home)"),
    "school": Role(
        "school", "the school of enrolment",
        "the school the latest EducationEnrolled names; a school reporting an enrolment at itself becomes it"),
    "vwn": Role(
        "vwn", "the assigned VluchtelingenWerk office",
        "the VluchtelingenWerk office the directory assigns to the young person's or the family's municipality"),
    "rmc": Role("rmc", "the RMC", "the RMC the directory assigns to the young person's or the family's municipality"),
    "task-owner": Role("any", "the task's owner", "the organisation a task is for (notify: `not-owner`)"),
    "task-requester": Role("any", "the task's requester", "the organisation that asked for the task (notify: `not-requester`)"),
}

OPENS_A_CASE = "ResidencePermitGranted"

_OWNER, _REQUESTER = ("task-owner",), ("task-requester",)
INVOLVED: dict[str, tuple[str, ...]] = {
    # intake
    "ApplicationFiled": ("guardian",),
    "DnaTestOffered": ("ind",),
    "ApplicationDecided": ("ind", "guardian"),
    "ParentsArrived": ("reception", "young-persons-municipality"),
    "LanguageNeedsReported": ("guardian", "reception", "young-persons-municipality", "family-municipality", "vwn"),
    # guardianship
    "GuardianAssigned": ("guardian",),
    "EducationEnrolled": ("guardian", "school", "rmc"),
    "SchoolAbsenceReported": ("school", "rmc"),
    "GuardianshipTransferRequested": ("guardian",),
    "GuardianshipTransferred": ("guardian",),
    "SupportExtended": ("guardian", "young-persons-municipality", "family-municipality"),
    # housing
    "HousingAssigned": ("reception", "young-persons-municipality", "family-municipality"),
    "FamilyRelocated": ("reception", "family-municipality"),
    # notify: a task's answers, checked by notify's rules with their own codes
    "TaskAccepted": _OWNER, "TaskDeclined": _OWNER, "TaskStarted": _OWNER, "TaskCompleted": _OWNER,
    "ChecklistItemTicked": _OWNER, "TaskCancelled": _REQUESTER,
}
CHECKED_BY_NOTIFY = frozenset(t for t, roles in INVOLVED.items() if roles in (_OWNER, _REQUESTER))


def roles_for(event_type: str) -> tuple[str, ...]:
    """The roles of which one may report `event_type` about a case; () when no role is needed (the first fact)."""
    return INVOLVED.get(event_type, ())


def not_involved(event_type: str, org_kind: str) -> Rejection:
    """The refusal of a report from an organisation without the role: it names the roles, never a value of the case."""
    needed = [ROLES[r].name for r in roles_for(event_type) if ROLES[r].kind in (org_kind, "any")]
    return Rejection(
        "not-involved",
        f"field 'source': has no role in this case that may report {event_type}: only {' or '.join(needed)} may",
        "source",
    )


def table() -> str:
    """The section of docs/partners.md: event type x role."""
    roles = [r for r in ROLES if ROLES[r].kind != "any"]
    header = "| event | " + " | ".join(ROLES[r].name for r in roles) + " |"
    rows = [header, "|---|" + "---|" * len(roles)]
    for event_type, needed in INVOLVED.items():
        if event_type not in CHECKED_BY_NOTIFY:
            rows.append(f"| {event_type} | " + " | ".join("✓" if r in needed else "" for r in roles) + " |")
    held = [f"- **{ROLES[r].name}**: {ROLES[r].held_by}." for r in ROLES]
    example = not_involved("FamilyRelocated", "municipality")
    return "\n".join([
        "## Who may report about a case\n",
        "Your organisation's kind decides which events you may send at all (`not-authorised`). Which *case* you may "
        "report about depends on your role in it: a fact about a case is accepted only from an organisation with "
        "one of the roles marked for its event, as the case's stored facts stand when your report is decided. "
        "Anyone else is refused `not-involved`, field `source`, with a reason naming the roles that may (never a "
        "value of the case). A case is opened by ResidencePermitGranted, which Nidos or the IND sends: no role is "
        "needed for it, as there is no case yet. The answers to a task are the task owner's (`not-owner`), a "
        "withdrawal its requester's (`not-requester`).\n",
        "\n".join(rows),
        "",
        "\n".join(held),
        "",
        "What a municipality gets when it reports FamilyRelocated for a family that does not live there:\n",
        "| `Wo-Error-Code` | `Wo-Error-Field` | `Wo-Error-Reason` | body |",
        "|---|---|---|---|",
        f"| `{example.code}` | `{example.field}` | {example.reason} | your message |",
        "",
    ])


def _check_table() -> None:
    for event_type, cls in EVENT_TYPES.items():
        if not cls.reporters or event_type == OPENS_A_CASE:
            continue
        needed = INVOLVED.get(event_type)
        assert needed, f"{event_type} is reportable but has no roles in contracts/involvement.py"
        for role in needed:
            assert ROLES[role].kind == "any" or ROLES[role].kind in cls.reporters, (event_type, role)
        for kind in cls.reporters:  # every kind allowed to report it can hold one of its roles
            assert any(ROLES[r].kind in (kind, "any") for r in needed), (event_type, kind)


_check_table()
