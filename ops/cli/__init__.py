"""`overdracht`: the operator's command line. Every command has `--help` and every command that
prints data has `--json`; docs/cli.md lists them with their exit codes, docs/operations.md says
which command repairs what.

It talks to NATS (`--nats-url`, env NATS_URL; credentials from env NATS_USER and NATS_PASSWORD) and,
for `status` and `replay`, to the services' HTTP endpoints (WO_METRICS_PORT, see
services/runtime/observability.py). One module per concept: status; cases (timeline, tasks,
erase); replay; reports (publish, day); rejected; deadletters; parked; meeting (agenda, journey); demo;
runbook. The exit codes are `common.Code`.
"""

from typing import Annotated

import typer

from ops import connection
from ops.cli import cases, deadletters, demo, meeting, parked, rejected, replay, reports, runbook, status
from ops.cli.common import Target, exit_codes_text, quiet_logs
from services.runtime.supervisor import SERVICES

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
DEFAULT_METRICS_PORT = 9100  # the first of `make run`'s ports: intake, then guardianship, housing, notify

app = typer.Typer(
    name="overdracht",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold the NATS password
    rich_markup_mode="markdown",
    epilog=exit_codes_text(),
)
for module in (status, cases, reports, rejected, deadletters, replay, meeting, demo, runbook):
    for name, command in getattr(module, "COMMANDS", {}).items():
        app.command(name)(command)
app.add_typer(rejected.group, name="rejected")
app.add_typer(deadletters.group, name="dead-letters")
app.add_typer(parked.group, name="parked")


@app.callback()
def main_options(
    ctx: typer.Context,
    nats_url: Annotated[str, typer.Option(envvar="NATS_URL", help="NATS server(s), comma-separated.")] = DEFAULT_NATS_URL,
    metrics_host: Annotated[
        str, typer.Option(envvar="WO_METRICS_HOST", help="Host of the services' HTTP endpoints (status, replay).")
    ] = "127.0.0.1",
    metrics_port: Annotated[
        int,
        typer.Option(
            envvar="WO_METRICS_PORT", min=0, max=65535,
            help="Port of intake's HTTP endpoints; guardianship, housing and notify use the next three, "
            "as `make run` assigns them. 0: do not ask the services over HTTP.",
        ),
    ] = DEFAULT_METRICS_PORT,
    service_url: Annotated[
        list[str] | None,
        typer.Option(
            "--service-url", metavar="SERVICE=URL",
            help="HTTP address of one service, e.g. notify=http://10.0.0.5:9100 (repeatable; overrides --metrics-port).",
        ),
    ] = None,
) -> None:
    """Operate Warme Overdracht: see its state, repair it, replay it. Every command explains itself with --help.

    Credentials, when NATS requires them: NATS_USER and NATS_PASSWORD from the environment, else
    the `ops` login of `make run` (WO_NATS_CREDENTIALS, else WO_DATA_DIR/credentials.json). The
    runbook is docs/operations.md, the commands and exit codes docs/cli.md.
    """
    quiet_logs()
    urls: dict[str, str | None] = {
        name: f"http://{metrics_host}:{metrics_port + index}" if metrics_port else None
        for index, name in enumerate(SERVICES)
    }
    for item in service_url or []:
        name, _, url = item.partition("=")
        if name not in SERVICES or not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"'{item}' is not SERVICE=URL with SERVICE one of {', '.join(SERVICES)}",
                                     param_hint="--service-url")
        urls[name] = url.rstrip("/")
    ctx.obj = Target(nats_url, connection.ops_login(), urls)


def main(argv: list[str] | None = None) -> None:
    """Run `overdracht` with `argv` (default: the process's arguments); exits with the command's code."""
    app(args=argv, prog_name="overdracht")


__all__ = ["app", "main"]
