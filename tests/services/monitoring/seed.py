"""Seeded cases for the agenda tests, played through the real rules of all four services
(tests/support/chain.py) up to the meeting of 15 September 2026 in Tilburg (GM0855).

Each case is there for one or two agenda items; the comment says which.
"""

from datetime import date
from functools import cache

from contracts.events import (
    ApplicationDecided,
    ApplicationFiled,
    DnaTestOffered,
    EducationEnrolled,
    GuardianshipTransferred,
    GuardianshipTransferRequested,
    HousingAssigned,
    LanguageNeedsReported,
    ParentsArrived,
    ResidencePermitGranted,
    SchoolAbsenceReported,
)
from tests.support.chain import Chain

d = date.fromisoformat
MEETING = d("2026-09-15")
PREVIOUS_MEETING = d("2026-09-01")


def permit(born: str, municipality: str, granted: str) -> ResidencePermitGranted:
    return ResidencePermitGranted(date_of_birth=d(born), municipality=municipality, permit_date=d(granted))


def turning_18_not_accepted() -> Chain:
    """Turns 18 on 2026-12-20: the 18+ transition was requested at 17½ (2026-06-20), due 2026-09-20,
    and nobody accepted it yet. Its application was rejected, so no reunification is in progress."""
    c = Chain("case-t18-open")
    c.report(d("2026-01-05"), "nidos", permit("2008-12-20", "GM0855", "2026-01-05"))
    c.report(d("2026-02-01"), "nidos", ApplicationFiled(filed_on=d("2026-02-01")))
    c.accept(d("2026-02-03"), "plan-transition-meeting")
    c.accept(d("2026-02-03"), "plan-family-housing")
    c.report(d("2026-05-01"), "ind", ApplicationDecided(decision="rejected", decided_on=d("2026-05-01")))
    c.days(d("2026-01-05"), MEETING)
    return c


def turning_17_and_a_half_deadline_missed() -> Chain:
    """Turns 17½ on 2027-02-01 (within six months, not requested yet). Nobody filed the application:
    Nidos' filing task (due 2026-06-01) is overdue and was escalated."""
    c = Chain("case-t17h-missed")
    c.report(d("2026-03-01"), "nidos", permit("2009-08-01", "GM0855", "2026-03-01"))
    c.days(d("2026-03-01"), MEETING)
    return c


def dna_test_stuck() -> Chain:
    """DNA test offered on 2026-04-01: 167 days on the meeting day, longer than the usual four months."""
    c = Chain("case-dna-stuck")
    c.report(d("2026-01-10"), "nidos", permit("2011-05-05", "GM0855", "2026-01-10"))
    c.report(d("2026-02-01"), "nidos", ApplicationFiled(filed_on=d("2026-02-01")))
    c.accept(d("2026-02-02"), "plan-transition-meeting")
    c.accept(d("2026-02-02"), "plan-family-housing")
    c.report(d("2026-04-01"), "ind", DnaTestOffered(offered_on=d("2026-04-01")))
    c.days(d("2026-01-10"), MEETING)
    return c


def filed_recently_housing_declined() -> Chain:
    """Filed on 2026-07-01 (76 days: usual). The municipality declined to find a family home. The
    family speaks Tigrinya; an interpreter is needed and arranged."""
    c = Chain("case-filed-fresh")
    c.report(d("2026-06-01"), "nidos", permit("2012-03-03", "GM0855", "2026-06-01"))
    c.report(d("2026-07-01"), "nidos", ApplicationFiled(filed_on=d("2026-07-01")))
    c.report(d("2026-07-02"), "nidos", LanguageNeedsReported(languages=("ti",), interpreter_needed=True, interpreter_arranged=True))
    c.accept(d("2026-07-03"), "plan-transition-meeting")
    c.decline(d("2026-07-05"), "plan-family-housing", "no family homes available this year")
    c.days(d("2026-06-01"), MEETING)
    return c


def support_gap_at_18() -> Chain:
    """Turned 18 on 2026-07-01 while nobody had accepted the 18+ transition: a support gap, open for
    76 days on the meeting day; the 18+ task is overdue since 2026-04-02 and escalated."""
    c = Chain("case-gap-18")
    c.report(d("2026-01-05"), "nidos", permit("2008-07-01", "GM0855", "2026-01-05"))
    c.report(d("2026-02-01"), "nidos", ApplicationFiled(filed_on=d("2026-02-01")))
    c.accept(d("2026-02-02"), "plan-transition-meeting")
    c.accept(d("2026-02-02"), "plan-family-housing")
    c.report(d("2026-03-01"), "ind", ApplicationDecided(decision="rejected", decided_on=d("2026-03-01")))
    c.days(d("2026-01-05"), MEETING)
    return c


def reunited_absent_cohabiting() -> Chain:
    """Reunited in Tilburg in 2025, guardianship transferred warmly. The cohabitation year ends on
    2026-10-15 (30 days after the meeting). School absence on 2026-08-01 (before the previous meeting)
    and on 2026-09-08 (since): relief tasks for VluchtelingenWerk and the RMC, due 2026-09-22."""
    c = Chain("case-reunited")
    c.report(d("2025-01-10"), "nidos", permit("2010-02-02", "GM0855", "2025-01-10"))
    c.report(d("2025-01-11"), "rmc-gm0855", EducationEnrolled(level="part-time", since=d("2024-11-01")))
    c.report(d("2025-02-01"), "nidos", ApplicationFiled(filed_on=d("2025-02-01")))
    c.accept(d("2025-02-03"), "plan-transition-meeting")
    c.accept(d("2025-02-03"), "plan-family-housing")
    c.report(d("2025-06-01"), "ind", ApplicationDecided(decision="approved", decided_on=d("2025-06-01")))
    c.report(d("2025-10-01"), "coa", ParentsArrived(arrival_date=d("2025-10-01"), municipality="GM0855"))
    c.accept(d("2025-10-03"), "brede-intake-pip")
    c.accept(d("2025-10-03"), "social-guidance-parents")
    c.report(d("2025-10-15"), "gm0855", HousingAssigned(municipality="GM0855", housing="family-home", housed_on=d("2025-10-15")))
    c.report(d("2025-11-01"), "nidos", GuardianshipTransferRequested(petition_filed_on=d("2025-11-01")))
    c.accept(d("2025-11-05"), "aftercare-district-team")
    c.accept(d("2025-11-05"), "aftercare-social-guidance")
    c.report(d("2026-02-01"), "nidos", GuardianshipTransferred(transferred_on=d("2026-02-01")))
    c.report(d("2026-08-01"), "rmc-gm0855", SchoolAbsenceReported(reported_on=d("2026-08-01"), days_absent=3))
    c.accept(d("2026-08-03"), "relieve-young-carer")
    c.report(d("2026-09-08"), "rmc-gm0855", SchoolAbsenceReported(reported_on=d("2026-09-08"), days_absent=7))
    c.days(d("2025-01-10"), MEETING)
    return c


def moved_in_from_den_haag() -> Chain:
    """Permit in Den Haag (GM0518); the parents arrived in Tilburg on 2026-09-05, so the case is
    Tilburg's from then on. Family home in Tilburg on 2026-09-10: the district-team handover and
    school continuity wait for Tilburg. Absent from school on 2026-09-02, before the arrival. The
    family speaks Tigrinya and Arabic: an interpreter is needed and not arranged (the key person is)."""
    c = Chain("case-moved-in")
    c.report(d("2026-01-12"), "nidos", permit("2011-01-01", "GM0518", "2026-01-12"))
    c.report(d("2026-02-01"), "nidos", ApplicationFiled(filed_on=d("2026-02-01")))
    c.accept(d("2026-02-02"), "plan-transition-meeting")
    c.accept(d("2026-02-02"), "plan-family-housing")
    c.report(d("2026-05-01"), "ind", ApplicationDecided(decision="approved", decided_on=d("2026-05-01")))
    c.report(d("2026-09-02"), "rmc-gm0518", SchoolAbsenceReported(reported_on=d("2026-09-02"), days_absent=4))
    c.report(d("2026-09-05"), "coa", ParentsArrived(arrival_date=d("2026-09-05"), municipality="GM0855"))
    c.report(d("2026-09-06"), "vwn-gm0855", LanguageNeedsReported(
        languages=("ti", "ar"), interpreter_needed=True, key_person_needed=True, key_person_arranged=True))
    c.report(d("2026-09-10"), "gm0855", HousingAssigned(municipality="GM0855", housing="family-home", housed_on=d("2026-09-10")))
    c.days(d("2026-01-12"), MEETING)
    return c


def utrecht_gap() -> Chain:
    """Utrecht's (GM0344): a support gap at 18 and overdue tasks. Never on Tilburg's agenda."""
    c = Chain("case-utrecht-gap")
    c.report(d("2026-01-20"), "nidos", permit("2008-09-10", "GM0344", "2026-01-20"))
    c.report(d("2026-03-10"), "nidos", ApplicationFiled(filed_on=d("2026-03-10")))
    c.days(d("2026-01-20"), MEETING)
    return c


SEEDS = (
    turning_18_not_accepted,
    turning_17_and_a_half_deadline_missed,
    dna_test_stuck,
    filed_recently_housing_declined,
    support_gap_at_18,
    reunited_absent_cohabiting,
    moved_in_from_den_haag,
    utrecht_gap,
)


@cache
def _played() -> tuple[tuple[str, tuple], ...]:
    return tuple((chain.case_id, tuple(chain.events)) for chain in (seed() for seed in SEEDS))


def seeded() -> dict[str, list]:
    """Case id -> every stored event, as the store holds them after the meeting day (played once)."""
    return {case_id: list(events) for case_id, events in _played()}
