"""One worked example per event a partner can report: the organisation that sends it, its data, and
the rejections that are particular to it (besides the ones every report can meet).

docs/partners.md and the AsyncAPI document show these; tests/contracts/test_partner_contract.py
proves every example passes the inbox gate, so the documentation cannot drift from the contract.
Only a pseudonymous case id appears, never a name or a BSN.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from contracts.envelope import org_source, type_name
from contracts.events import EVENT_TYPES

EXAMPLE_CASE = "case-7f3a9c21"
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EXAMPLE_TASK = "5b8e2f0c-3a61-5d7e-9c4b-2f1a8d6e7b30"  # the task_id of a TaskOpened the organisation received
_EXAMPLE_IDS = uuid.UUID("0b5e6f58-51a1-4c8e-9f0e-0d1f7a6c2e41")

_CASE_UNKNOWN = ("unknown-case", "the case has no ResidencePermitGranted yet")
_TASK_UNKNOWN = ("unknown-task", "the case has no task with this task_id")
_NOT_OWNER = ("not-owner", "your organisation does not own the task")


@dataclass(frozen=True)
class WorkedExample:
    org: str  # the organisation that publishes it in the example
    on: str  # the day it reports (its CloudEvent time is 09:30 that day in Amsterdam)
    data: dict
    rejections: tuple[tuple[str, str], ...] = ()  # (code, when): what this event in particular can meet
    note: str = ""

    def envelope(self, event_type: str) -> dict:
        """The complete CloudEvent JSON of the example, as a partner publishes it."""
        cls = EVENT_TYPES[event_type]
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid5(_EXAMPLE_IDS, event_type)),
            "source": org_source(self.org),
            "type": type_name(event_type, cls.version),
            "subject": EXAMPLE_CASE,
            "time": datetime.combine(date.fromisoformat(self.on), time(9, 30), tzinfo=_AMSTERDAM).isoformat(),
            "datacontenttype": "application/json",
            "data": self.data,
        }


EXAMPLES: dict[str, WorkedExample] = {
    "ResidencePermitGranted": WorkedExample(
        "nidos", "2026-01-12",
        {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"},
        (("duplicate-fact", "the case already has a residence permit"),
         ("unknown-municipality", "the municipality is not in the organisation directory")),
        "The first report of every case: it makes the case known and starts the 3-month filing deadline.",
    ),
    "ApplicationFiled": WorkedExample(
        "nidos", "2026-02-02", {"filed_on": "2026-02-02"},
        (_CASE_UNKNOWN, ("duplicate-fact", "an application was already filed")),
    ),
    "DnaTestOffered": WorkedExample(
        "ind", "2026-04-14", {"offered_on": "2026-04-14"},
        (_CASE_UNKNOWN, ("out-of-order", "no application is filed yet, or it is already decided")),
    ),
    "ApplicationDecided": WorkedExample(
        "ind", "2026-09-01", {"decision": "approved", "decided_on": "2026-09-01"},
        (_CASE_UNKNOWN, ("out-of-order", "no application is filed yet"), ("duplicate-fact", "the application is already decided")),
    ),
    "ParentsArrived": WorkedExample(
        "coa", "2026-11-02", {"arrival_date": "2026-11-02", "municipality": "GM0855"},
        (_CASE_UNKNOWN, ("out-of-order", "the application is not approved"), ("duplicate-fact", "the parents already arrived"),
         ("unknown-municipality", "the municipality is not in the organisation directory")),
    ),
    "LanguageNeedsReported": WorkedExample(
        "vwn-gm0855", "2026-11-03",
        {"languages": ["ti", "ar"], "interpreter_needed": True, "interpreter_arranged": False},
        (_CASE_UNKNOWN,),
        "The latest report replaces earlier ones; tasks sent afterwards carry it.",
    ),
    "GuardianAssigned": WorkedExample("nidos", "2026-01-12", {"guardian": "nidos", "since": "2025-11-20"}, (_CASE_UNKNOWN,)),
    "EducationEnrolled": WorkedExample(
        "school-isk-tilburg", "2026-02-01", {"level": "isk", "since": "2026-02-01", "school": "school-isk-tilburg"}, (_CASE_UNKNOWN,),
        "Full-time education (ISK included) exempts the young person from the cohabitation duty.",
    ),
    "SchoolAbsenceReported": WorkedExample(
        "school-isk-tilburg", "2026-12-04", {"reported_on": "2026-12-04", "days_absent": 6}, (_CASE_UNKNOWN,),
    ),
    "GuardianshipTransferRequested": WorkedExample(
        "nidos", "2026-12-10", {"petition_filed_on": "2026-12-10"},
        (_CASE_UNKNOWN, ("out-of-order", "the parents have not arrived, or the young person is 18 already"),
         ("duplicate-fact", "a petition was already filed")),
    ),
    "GuardianshipTransferred": WorkedExample(
        "nidos", "2027-03-01", {"transferred_on": "2027-03-01"},
        (_CASE_UNKNOWN, ("out-of-order", "no petition yet, a date before the petition, or the young person is 18"),
         ("duplicate-fact", "guardianship was already transferred")),
    ),
    "SupportExtended": WorkedExample("gm0855", "2028-03-01", {"until": "2028-11-17", "by": "nidos"}, (_CASE_UNKNOWN,)),
    "HousingAssigned": WorkedExample(
        "gm0855", "2026-11-16", {"municipality": "GM0855", "housing": "temporary-family-home", "housed_on": "2026-11-16"},
        (_CASE_UNKNOWN, ("unknown-municipality", "the municipality is not in the organisation directory"),
         ("duplicate-fact", "the family already has its (permanent) family home: report a move as FamilyRelocated"),
         ("out-of-order", "an AZC place after the family already lives together")),
        "v2: report the temporary home now and the permanent 'family-home' when the family moves in. "
        "v1 (only family-home or azc) is still accepted until its sunset: docs/versioning.md.",
    ),
    "FamilyRelocated": WorkedExample(
        "gm0855", "2027-05-01", {"from_municipality": "GM0855", "to_municipality": "GM0344", "moved_on": "2027-05-01"},
        (_CASE_UNKNOWN, ("out-of-order", "no housing yet, the family does not live in from_municipality, or a date "
                         "before it moved in there"),
         ("unknown-municipality", "to_municipality is not in the organisation directory")),
    ),
    "TaskAccepted": WorkedExample(
        "gm0855", "2026-02-05", {"task_id": EXAMPLE_TASK},
        (_TASK_UNKNOWN, _NOT_OWNER, ("illegal-transition", "the task is not open any more")),
        "task_id is the one in the TaskOpened your organisation received on amv.tasks.<org>.TaskOpened.",
    ),
    "TaskDeclined": WorkedExample(
        "gm0855", "2026-02-05", {"task_id": EXAMPLE_TASK, "reason": "Family lives in another municipality since May."},
        (_TASK_UNKNOWN, _NOT_OWNER, ("illegal-transition", "the task is not open any more")),
    ),
    "TaskStarted": WorkedExample(
        "gm0855", "2026-02-09", {"task_id": EXAMPLE_TASK},
        (_TASK_UNKNOWN, _NOT_OWNER, ("illegal-transition", "the task is not accepted")),
    ),
    "ChecklistItemTicked": WorkedExample(
        "gm0855", "2026-02-16", {"task_id": EXAMPLE_TASK, "item": "digid"},
        (_TASK_UNKNOWN, _NOT_OWNER, ("unknown-checklist-item", "the task's checklist has no such item"),
         ("already-ticked", "the item is ticked already")),
    ),
    "TaskCompleted": WorkedExample(
        "gm0855", "2026-02-27", {"task_id": EXAMPLE_TASK},
        (_TASK_UNKNOWN, _NOT_OWNER, ("illegal-transition", "the task is not accepted"),
         ("checklist-open", "checklist items are still open")),
    ),
    "TaskCancelled": WorkedExample(
        "nidos", "2026-02-06", {"task_id": EXAMPLE_TASK, "reason": "The application was withdrawn."},
        (_TASK_UNKNOWN, ("not-requester", "your organisation did not request the task"),
         ("illegal-transition", "the task is completed")),
    ),
}


def reportable_types() -> list[str]:
    """Every event type partners report through the inbox, in the order a case usually meets them."""
    order = list(EXAMPLES)
    reportable = [name for name, cls in EVENT_TYPES.items() if cls.reporters]
    return sorted(reportable, key=lambda name: (order.index(name) if name in order else len(order), name))


def example_of(event_type: str) -> WorkedExample:
    try:
        return EXAMPLES[event_type]
    except KeyError:
        raise KeyError(f"{event_type} is reportable but has no worked example in contracts/examples.py") from None
