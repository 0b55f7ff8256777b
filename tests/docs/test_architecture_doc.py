"""docs/architecture.md's table of deciders is what the deciders declare (ops/architecture.py)."""

from ops.architecture import DOCUMENT, deciders_table, with_fresh_table
from services.bootstrap import DECIDERS


def test_the_architecture_document_lists_what_the_deciders_declare():
    document = DOCUMENT.read_text()
    assert with_fresh_table(document) == document, "docs/architecture.md is stale: run `make docs`"


def test_the_table_names_every_decider_and_its_reactions():
    table = deciders_table()
    for decider in DECIDERS:
        assert f"| **{decider.service}** |" in table
        for event_type in decider.reactions:
            assert f"`{event_type}` →" in table


def test_a_changed_declaration_makes_the_document_stale():
    document = DOCUMENT.read_text()
    assert with_fresh_table(document.replace("`HandoffAccepted` →", "`HandoffDeclined` →")) != document.replace(
        "`HandoffAccepted` →", "`HandoffDeclined` →"
    )
