"""housing's decisions: pure functions from the case (and a report, a stored event or a day) to new events.

Section numbers (§) refer to the source document, ../shared/domain/gezinshereniging-amv-gemeenten.txt.
"""

from datetime import date

from contracts.envelope import CloudEvent
from contracts.inbox import Rejection, Report
from services.housing.state import HousingCase
from services.runtime.directory import Directory

SERVICE = "housing"


def decide(case: HousingCase, report: Report, directory: Directory) -> list[CloudEvent] | Rejection:
    """What housing stores for a partner's report."""
    if report.envelope.id in case.event_ids:
        return []
    if not case.exists:
        return Rejection("unknown-case", f"case {report.case_id} is unknown: report ResidencePermitGranted first", "subject")
    return [report.envelope]


def react(case: HousingCase, event: CloudEvent, directory: Directory) -> list[CloudEvent]:
    return []


def on_day(case: HousingCase, day: date, directory: Directory) -> list[CloudEvent]:
    return []
