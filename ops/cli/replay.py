"""`overdracht replay`: rebuild a service's read model from the store and compare it with the live one."""

import asyncio
from enum import Enum
from typing import Annotated

import typer
from nats.aio.client import Client as NATS

from ops.cli.common import Code, JsonFlag, OpsError, fail, http_json, print_json, progress, run, say
from services.bootstrap import decider_of
from services.runtime.eventstore import EVENTS_STREAM
from services.runtime.observability import projection_digest
from services.runtime.projection import Projection

REPLAY_ATTEMPTS = 5


class Service(str, Enum):
    intake = "intake"
    guardianship = "guardianship"
    housing = "housing"
    notify = "notify"


async def rebuild(nc: NATS, service: str) -> Projection:
    """A fresh read model of `service`, folded from every event in the store (with a progress bar);
    it keeps following the store until stopped."""
    projection = Projection.of(nc, decider_of(service))
    total = (await nc.jetstream(timeout=5).stream_info(EVENTS_STREAM)).state.last_seq
    starting = asyncio.create_task(projection.start())
    with progress() as bar:
        step = bar.add_task(f"rebuilding {service}'s read model from {EVENTS_STREAM}", total=total)
        while not starting.done():
            bar.update(step, completed=min(projection.last_seq, total))
            await asyncio.sleep(0.1)
        bar.update(step, completed=total)
    await starting
    return projection


def replay(
    ctx: typer.Context,
    service: Annotated[Service, typer.Argument(help="The service whose read model to check.")],
    json_output: JsonFlag = False,
) -> None:
    """Rebuild a service's read model from the event store and compare it with the live one.

    The live one is what the running service holds (its /projection/digest). Prints both
    digests; exits 1 when they differ: restart that service, it rebuilds its read model from
    the store when it starts. Exits 3 when the service does not answer or is not healthy.
    With --json: {"service", "equal", "rebuilt": {...}, "live": {...}}, each with digest, cases, last_seq.
    """
    name = service.value
    url = ctx.obj.service_urls.get(name)
    if not url:
        fail(f"no HTTP address is known for {name}: set --metrics-port (WO_METRICS_PORT) or "
             f"--service-url {name}=http://HOST:PORT", Code.USAGE)

    async def work(nc: NATS) -> Code:
        status, _ = await http_json(f"{url}/healthz")
        if status != 200:
            raise OpsError(f"{name} at {url} is not healthy (/healthz answered {status})", Code.UNAVAILABLE)
        fresh = await rebuild(nc, name)
        try:
            for _ in range(REPLAY_ATTEMPTS):
                status, live = await http_json(f"{url}/projection/digest?at_least={fresh.last_seq}")
                if status != 200:
                    raise OpsError(f"{name} could not give its digest: {live.get('error', status)}", Code.UNAVAILABLE)
                if live["last_seq"] == fresh.last_seq:
                    break
                await fresh.caught_up()  # events arrived meanwhile: follow, and ask again
            else:
                raise OpsError(f"the store kept growing during {REPLAY_ATTEMPTS} attempts; run replay again when quieter")
            rebuilt = projection_digest(fresh.cases)
        finally:
            await fresh.stop()
        equal = rebuilt == live["digest"]
        if json_output:
            print_json({
                "service": name,
                "equal": equal,
                "rebuilt": {"digest": rebuilt, "cases": len(fresh.cases), "last_seq": fresh.last_seq},
                "live": {"digest": live["digest"], "cases": live["cases"], "last_seq": live["last_seq"]},
            })
            return Code.OK if equal else Code.ALERT
        say(f"rebuilt from the store: {rebuilt}  ({len(fresh.cases)} cases, up to event {fresh.last_seq})")
        say(f"live in {name}:{' ' * max(1, 15 - len(name))}{live['digest']}  ({live['cases']} cases, "
            f"up to event {live['last_seq']})")
        if equal:
            say(f"equal: {name}'s read model is what the store says.")
            return Code.OK
        say(f"DIFFERENT: {name}'s read model is not what the store says. Restart {name} to rebuild it from the "
            "store, and report this as a bug.")
        return Code.ALERT

    run(ctx, work)


COMMANDS = {"replay": replay}
