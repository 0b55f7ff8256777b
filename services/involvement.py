"""Authorisation by relationship at the inbox: a fact about a case only from an organisation with a
role in it (the table event type x role: contracts/involvement.py).

Each service says who holds which role in a case from the facts its read model folds (its
`roles(case, directory)`); `refusal` is the one check every decide runs before its rules.
"""

from collections.abc import Collection, Iterable, Mapping

from contracts.events import EducationEnrolled
from contracts.ids import municipality_org, organisation_kind
from contracts.involvement import not_involved, roles_for
from contracts.inbox import Rejection, Report
from services.runtime.directory import Directory

Holders = Mapping[str, Collection[str]]  # role -> the organisations holding it in the case now


def refusal(report: Report, holders: Holders | None) -> Rejection | None:
    """`not-involved` when the reporter holds none of the roles that may report this fact; None when
    it holds one, or when there is no case yet (`holders` None: the rules refuse `unknown-case`)."""
    needed = roles_for(report.event.event_type)
    if holders is None or not needed:
        return None
    if any(report.org in holders.get(role, ()) for role in needed):
        return None
    if "school" in needed and isinstance(report.event, EducationEnrolled) and report.event.school == report.org:
        return None  # a school enrolling the young person at itself becomes the school of enrolment
    return not_involved(report.event.event_type, organisation_kind(report.org) or "")


def holders(
    directory: Directory,
    *,
    young_persons: Iterable[str | None],
    family: Iterable[str | None],
    in_reception: bool,
    school: str | None,
) -> dict[str, set[str]]:
    """Who holds each role, from the case's municipalities (CBS codes), whether COA receives the
    parents now (approved, and no home of the family's own yet) and the school of the latest
    enrolment; the VluchtelingenWerk office and the RMC are the directory's for those municipalities."""
    young_codes = {code for code in young_persons if code is not None}
    family_codes = {code for code in family if code is not None}
    local = [entry for code in sorted(young_codes | family_codes) if (entry := directory.of(code)) is not None]
    return {
        "guardian": {"nidos"},
        "ind": {"ind"},
        "young-persons-municipality": {municipality_org(code) for code in young_codes},
        "family-municipality": {municipality_org(code) for code in family_codes},
        "reception": {"coa"} if in_reception else set(),
        "school": {school} if school else set(),
        "vwn": {entry.vwn for entry in local if entry.vwn},
        "rmc": {entry.rmc for entry in local},
    }
