"""Identifiers that appear on the wire: case ids, organisation ids, municipality codes.

They are also NATS subject tokens, so none of them may contain '.', '*', '>' or whitespace.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _pseudonymous(value: str) -> str:
    # A case id made only of digits looks like a BSN or V-nummer; refuse it so no real
    # identifier of a child is ever used as the key of the log.
    if value.replace("-", "").isdigit():
        raise ValueError("a case id must be pseudonymous: digits only look like a BSN or V-nummer")
    return value


CaseId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{5,63}$"),
    AfterValidator(_pseudonymous),
]
"""Pseudonymous case id: 6–64 lowercase letters, digits or '-', not digits only."""

OrgId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
"""Organisation id as used in subjects: 'nidos', 'ind', 'coa', 'vwn-gm0855', 'gm0855' (the
municipality), 'regie-gm0855' (its coordinator), 'wijkteam-gm0855', 'rmc-gm0855', 'school-<name>'."""

MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^GM[0-9]{4}$")]
"""CBS municipality code, e.g. GM0855 (Tilburg)."""


def municipality_org(code: str) -> str:
    """The organisation id of a municipality: its CBS code in lower case (GM0855 -> gm0855)."""
    return code.lower()


ORGANISATION_KINDS = ("nidos", "ind", "coa", "vwn", "municipality", "coordinator", "wijkteam", "school", "rmc")

_KIND_PATTERNS = (
    (re.compile(r"^nidos$"), "nidos"),
    (re.compile(r"^ind$"), "ind"),
    (re.compile(r"^coa$"), "coa"),
    (re.compile(r"^vwn(-gm[0-9]{4})?$"), "vwn"),
    (re.compile(r"^gm[0-9]{4}$"), "municipality"),
    (re.compile(r"^regie-gm[0-9]{4}$"), "coordinator"),
    (re.compile(r"^wijkteam-gm[0-9]{4}$"), "wijkteam"),
    (re.compile(r"^school-[a-z0-9-]+$"), "school"),
    (re.compile(r"^rmc-gm[0-9]{4}$"), "rmc"),
)


def organisation_kind(org: str) -> str | None:
    """What kind of organisation an id names ('gm0855' -> 'municipality'), None if unknown."""
    for pattern, kind in _KIND_PATTERNS:
        if pattern.match(org):
            return kind
    return None


def municipality_of(org: str) -> str | None:
    """The municipality code an organisation belongs to ('wijkteam-gm0855' -> 'GM0855'), if any."""
    match = re.search(r"gm([0-9]{4})$", org)
    return f"GM{match.group(1)}" if match else None
