"""Plausible ranges: every date a partner reports, and the CloudEvent `time`, lie within a documented
range, or the inbox refuses the report (`out-of-range`) naming the field and the bound.

A date that parses but cannot be true (a permit dated 9999-12-01, a date of birth in the year 1,
an event time 0001-01-01T00:00:00+14:00) would otherwise be stored, and every rule that computes
with it (a deadline three months later, an 18th birthday) would fail on it from then on. Ranges
that depend on "today" are judged against the report's *receipt*: the time JetStream stored it in
the inbox (the message's timestamp), never the wall clock, so a redelivered or replayed report gets
the same verdict. The constants below are the policy; each says where it comes from. Dates the
system derives itself (a deadline, an 18th birthday) are computed from these bounded dates or a
day of the clock and are never reported: `DERIVED_DATES` says so for each.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

_AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# --- the policy ---------------------------------------------------------------------------------

EARLIEST_FACT = date(2000, 1, 1)
"""No fact of a case (a permit, a decision, an enrolment, a move) is dated before 2000.
Source: issue 14 ("not before 2000"); local policy, configurable here."""

FACT_MAX_DAYS_AHEAD = 1
"""A fact is reported once it happened: at most one day after the day of receipt (time zones and
clocks that run ahead). Source: issue 14 ("not more than a day after the system's current day")."""

AGE_MAX_YEARS = 25
"""A date of birth lies 0–25 years before the day of receipt: the young people of this system are
minors at their permit and are followed at most until aftercare ends in their early twenties.
Source: issue 14 ("date of birth 0–25 years before the report")."""

SUPPORT_EXTENSION_MAX_YEARS = 10
"""Support is extended until a day at most ten years after receipt (extended youth care ends at
23; a date of birth is at most 25 years back). Source: local policy, configurable here."""

EVENT_TIME_TOLERANCE = timedelta(days=1)
"""The CloudEvent `time` (when the partner made the report) lies within a day of its receipt,
before or after. A report held longer (an outage, a re-submission) gets a new `time` and `id`.
Source: issue 14 ("event time within a day of receipt")."""


def receipt_day(received_at: datetime) -> date:
    """The day of receipt, in the Netherlands."""
    return received_at.astimezone(_AMSTERDAM).date()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class DateRange:
    """A plausible range of a date, relative to the day of receipt: `earliest` .. `latest`."""

    name: str
    source: str
    earliest_years_back: int | None = None  # None: EARLIEST_FACT
    latest_years_ahead: int | None = None  # None: FACT_MAX_DAYS_AHEAD days

    def earliest(self, received: date) -> date:
        if self.earliest_years_back is None:
            return EARLIEST_FACT
        return _years_before(received, self.earliest_years_back)

    def latest(self, received: date) -> date:
        if self.latest_years_ahead == 0:
            latest = "not after the day of receipt"
        elif self.latest_years_ahead is None:
            return received + timedelta(days=FACT_MAX_DAYS_AHEAD)
        return _years_before(received, -self.latest_years_ahead)

    def describe(self) -> str:
        """The bound in words, for the partner guide."""
        earliest = (
            f"not before {EARLIEST_FACT.isoformat()}" if self.earliest_years_back is None
            else f"at most {self.earliest_years_back} years before the day of receipt"
        )
        if self.latest_years_ahead == 0:
            latest = "not after the day of receipt"
        elif self.latest_years_ahead is None:
            latest = "not after the day of receipt" if FACT_MAX_DAYS_AHEAD == 0 else (
                f"at most {FACT_MAX_DAYS_AHEAD} day after the day of receipt"
            )
        else:
            latest = f"at most {self.latest_years_ahead} years after the day of receipt"
        return f"{earliest}, {latest}"

    def check(self, value: date, received: date) -> str | None:
        """None when `value` is plausible, else the bound it breaks, in words (never the value)."""
        earliest, latest = self.earliest(received), self.latest(received)
        if value < earliest or value > latest:
            return f"must lie between {earliest.isoformat()} and {latest.isoformat()} ({self.describe()})"
        return None


FACT = DateRange(
    "a fact",
    "local policy, configurable (contracts/bounds.py: EARLIEST_FACT, FACT_MAX_DAYS_AHEAD)",
)
DATE_OF_BIRTH = DateRange(
    "a date of birth", "local policy, configurable (contracts/bounds.py: AGE_MAX_YEARS)",
    earliest_years_back=AGE_MAX_YEARS, latest_years_ahead=0,
)
SUPPORT_UNTIL = DateRange(
    "the end of extended support", "local policy, configurable (contracts/bounds.py: SUPPORT_EXTENSION_MAX_YEARS)",
    latest_years_ahead=SUPPORT_EXTENSION_MAX_YEARS,
)

# Every date field of every event partners report (all versions the inbox accepts), with its
# range. tests/contracts/test_bounds.py fails when a reportable date field has none.
DATE_RANGES: dict[tuple[str, str], DateRange] = {
    ("ResidencePermitGranted", "date_of_birth"): DATE_OF_BIRTH,
    ("ResidencePermitGranted", "permit_date"): FACT,
    ("ApplicationFiled", "filed_on"): FACT,
    ("DnaTestOffered", "offered_on"): FACT,
    ("ApplicationDecided", "decided_on"): FACT,
    ("ParentsArrived", "arrival_date"): FACT,
    ("GuardianAssigned", "since"): FACT,
    ("EducationEnrolled", "since"): FACT,
    ("SchoolAbsenceReported", "reported_on"): FACT,
    ("GuardianshipTransferRequested", "petition_filed_on"): FACT,
    ("GuardianshipTransferred", "transferred_on"): FACT,
    ("SupportExtended", "until"): SUPPORT_UNTIL,
    ("HousingAssigned", "housed_on"): FACT,
    ("FamilyRelocated", "moved_on"): FACT,
}

# Every date field of the events only the system derives: never reported, so never checked at the
# inbox; their range follows from the bounded dates they are computed from.
DERIVED_DATES: dict[tuple[str, str], str] = {
    ("FilingDeadlineApproaching", "deadline"): "the filing deadline, computed from `permit_date`",
    ("FilingDeadlineMissed", "deadline"): "the filing deadline, computed from `permit_date`",
    ("Turned18", "birthday"): "the 18th birthday, computed from `date_of_birth`",
    ("SupportEnded", "ended_on"): "a day of the clock or a reported date",
    ("SupportGapDetected", "detected_on"): "a day of the clock or a reported date",
    ("CohabitationDutyStarted", "starts_on"): "a reported housing date",
    ("CohabitationDutyStarted", "ends_on"): "a year after `starts_on`",
    ("CohabitationExempted", "exempted_on"): "a reported enrolment or housing date",
    ("CohabitationDutyEnded", "ended_on"): "a day of the clock",
    ("HandoffRequested", "due"): "computed by a rule from a reported date or a day of the clock",
    ("HandoffNotified", "due"): "the `due` of its HandoffRequested",
    ("HandoffEscalated", "overdue_since"): "the `due` of its handoff",
    ("TaskOpened", "due"): "the `due` of its HandoffRequested",
    ("HandoffOverdue", "due"): "the `due` of its handoff",
    ("DayStarted", "date"): "the day of the clock (contracts/clock.py)",
}
# The notices of a task's changes (contracts/events/tasks.py) repeat the task's `due`; overdue and
# escalated notices say since when: the day after it.
for _notice in ("Opened", "Accepted", "Declined", "Started", "Completed", "Cancelled", "Overdue", "Escalated"):
    DERIVED_DATES[(f"Task{_notice}Notice", "due")] = "the `due` of its HandoffRequested"
    if _notice in ("Overdue", "Escalated"):
        DERIVED_DATES[(f"Task{_notice}Notice", "overdue_since")] = "the day after the task's `due`"


def date_fields(schema: dict[str, Any]) -> Iterator[str]:
    """The top-level fields of a JSON Schema that hold a date (`format: date`, or nullable)."""
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        if any(option.get("format") == "date" for option in options):
            yield name


def event_time_out_of_range(time: datetime, received_at: datetime) -> str | None:
    """None when the CloudEvent `time` lies within EVENT_TIME_TOLERANCE of receipt, else the bound."""
    earliest, latest = received_at - EVENT_TIME_TOLERANCE, received_at + EVENT_TIME_TOLERANCE
    try:
        plausible = earliest <= time <= latest
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        plausible = False
    if plausible:
        return None
    hours = EVENT_TIME_TOLERANCE.total_seconds() / 3600
    return (
        f"must lie within {hours:g} hours of receipt, between {earliest.isoformat(timespec='seconds')} "
        f"and {latest.isoformat(timespec='seconds')}"
    )
