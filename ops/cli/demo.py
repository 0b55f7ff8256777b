"""`overdracht demo` (`make demo`): synthetic cases through a year, against the running system."""

from typing import Annotated

import typer

from ops import demo as scenarios
from ops.cli.common import Code, JsonFlag, OpsError, execute, iso_day, print_json, say


def demo(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--start", help="The first day, YYYY-MM-DD.")] = "2026-01-05",
    days: Annotated[int, typer.Option("--days", min=1, help="How many days to play.")] = 365,
    json_output: JsonFlag = False,
) -> None:
    """Play several realistic, synthetic cases through a year of days, in under a minute.

    Runs against the system at --nats-url (NATS_URL); when nothing answers there it starts one
    (`make run`'s supervisor) for the duration of the demo. Partners publish their facts on the
    day they happen; organisations accept their tasks after a few days, except where a scenario
    says nobody does. Then it prints, per organisation, the tasks it received, and every case's
    timeline. With --json: {"tasks": {org: [...]}, "timelines": [...], "cases", "days", "seconds"}.
    """
    first = iso_day(start, "--start")

    async def main() -> Code:
        try:
            shown = await scenarios.run(ctx.obj.nats_url, first, days)
        except RuntimeError as exc:  # the system it started stopped at once
            raise OpsError(f"the demo's own system did not start: {exc}", Code.UNAVAILABLE) from None
        if json_output:
            print_json(shown)
        else:
            say(scenarios.report(shown))
            say(f"\n{shown['cases']} cases through {days} days in {shown['seconds']:.1f} s")
        return Code.OK

    execute(main())


COMMANDS = {"demo": demo}
