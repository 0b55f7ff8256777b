"""docs/rules.md has a row for every number a rule uses: every local-policy setting
(services/runtime/rulesettings.py) and every number or set a rule module keeps as a constant (the
guide's own figures), with a source; and it names none that does not exist (issue 15, point 9)."""

import inspect
import re
from datetime import timedelta
from pathlib import Path

import pytest

from services.guardianship import rules as guardianship
from services.housing import rules as housing
from services.intake import rules as intake
from services.monitoring.agenda import meeting, reunification, signals, turning18
from services.notify import rules as notify
from services.runtime.rulesettings import DEFAULTS, RuleSettings

RULES_DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
RULE_MODULES = (intake, guardianship, housing, notify, meeting, reunification, signals, turning18)
SOURCE = re.compile(r"§\d(\.\d)?(.*lines? \d+)|VNG handreiking 18-/18\+|local policy")


def rows() -> list[dict[str, str]]:
    """Every row of the tables in docs/rules.md, by column name."""
    found, header = [], None
    for line in RULES_DOC.read_text().splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(line) <= set("|- "):
            found.append(dict(zip(header, cells, strict=True)))
    return found


def rule_constants() -> dict[str, object]:
    """The numbers, durations and sets an UPPER_CASE constant of a rule module defines (not imports)."""
    found = {}
    for module in RULE_MODULES:
        source = inspect.getsource(module)
        for name, value in vars(module).items():
            defined_here = re.search(rf"^{name}\b[^=\n]*=", source, re.MULTILINE)
            if name.isupper() and defined_here and isinstance(value, int | timedelta | frozenset):
                found[name] = value
    return found


def named(pattern: str) -> set[str]:
    return {name for row in rows() for name in re.findall(pattern, row["configured"])}


def test_every_setting_has_a_row_and_every_row_names_a_real_setting() -> None:
    in_doc = named(r"`settings\.([a-z0-9_]+)`")
    fields = set(RuleSettings.model_fields)
    assert fields - in_doc == set(), "settings without a row in docs/rules.md"
    assert in_doc - fields == set(), "docs/rules.md names settings that do not exist"


def test_every_rule_constant_has_a_row_and_every_row_names_a_real_constant() -> None:
    in_doc = named(r"`([A-Z][A-Z0-9_]+)`")
    constants = set(rule_constants())
    assert constants - in_doc == set(), "rule constants without a row in docs/rules.md"
    known = constants | {name for module in RULE_MODULES for name in vars(module) if name.isupper()}
    assert in_doc - known == set(), "docs/rules.md names constants that do not exist"


@pytest.mark.parametrize("row", rows(), ids=lambda row: row["#"])
def test_every_row_has_a_source(row: dict[str, str]) -> None:
    assert SOURCE.search(row["source"]) or row["source"].startswith("as rule"), row


def test_the_documented_defaults_are_the_settings_defaults() -> None:
    for row in rows():
        for name in re.findall(r"`settings\.([a-z0-9_]+)`", row["configured"]):
            value = getattr(DEFAULTS, name)
            if row["number"].startswith("as rule"):
                continue
            if isinstance(value, tuple):
                assert row["number"] == ", ".join(value), name
            else:
                assert re.search(rf"\b{value} (weeks?|months?)\b", row["number"]), (name, value, row["number"])
