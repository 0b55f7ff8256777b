"""`overdracht runbook`: the configuration table of docs/operations.md, generated from Settings."""

from typing import Annotated

import typer

from ops import runbook as document
from ops.cli.common import Code, err


def runbook(
    check: Annotated[bool, typer.Option("--check", help="Only check; exit 1 when the table is out of date.")] = False,
) -> None:
    """Rewrite the configuration table of docs/operations.md from the code (services.runtime.settings).

    Every variable Settings reads, with its default and meaning, between the two marker comments
    of the runbook. With --check nothing is written: exit 1 when the table differs from Settings
    (what the tests check).
    """
    if document.update(check=check):
        raise typer.Exit(Code.OK)
    if check:
        err.print(f"{document.RUNBOOK}: the configuration table differs from Settings; run overdracht runbook",
                  highlight=False)
        raise typer.Exit(Code.ALERT)
    err.print(f"{document.RUNBOOK}: configuration table rewritten", highlight=False)
    raise typer.Exit(Code.OK)


COMMANDS = {"runbook": runbook}
