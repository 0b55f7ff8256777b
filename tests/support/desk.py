"""The handoff desk in integration tests: the four services and the desk on a free port, the
organisations' tokens, and a case driven as partners drive it."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import httpx
import nats
from nats.aio.client import Client as NATS

from ops.quiesce import wait_until_idle
from services.desk.app import DeskProcess
from services.runtime.natsserver import free_port
from tests.support.partner import eventually, new_case_id, report, start_day
from tests.support.system import RunningSystem

TOKENS = {
    org: f"test-token-of-{org}-0123456789"
    for org in ("nidos", "gm0855", "regie-gm0855", "wijkteam-gm0855", "vwn-gm0518", "regie-gm0518")
}
BAD_TOKEN = "test-token-nobody-has-0123456789"
# Turns 17½ on 2026-02-01 and 18 on 2026-08-01 (rule 7: the 18+ transition, with its checklist).
PERMIT = {"date_of_birth": "2008-08-01", "municipality": "GM0855", "permit_date": "2026-01-05"}


def auth(org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[org]}"}


@asynccontextmanager
async def desk_system(broker_url: str) -> AsyncIterator[tuple[RunningSystem, str]]:
    """The four services and the desk; yields the system and the desk's base URL."""
    port = free_port()
    system = await RunningSystem(broker_url, ack_wait_s=2.0, http_port=port, org_tokens=json.dumps(TOKENS)).start()
    desk = DeskProcess(system.settings)
    nc = await nats.connect(broker_url)
    try:
        await desk.start(nc)
        yield system, f"http://127.0.0.1:{port}"
    finally:
        await desk.stop()
        await nc.close()
        await system.stop()


async def day(nc: NATS, http: httpx.AsyncClient, when: date) -> None:
    """Start a day and wait until every service handled it and the desk counts it as today."""
    await start_day(nc, when)
    await wait_until_idle(nc)

    async def desk_knows_the_day() -> bool:
        inbox = (await http.get("/api/tasks", headers=auth("gm0855"))).json()
        return inbox["today"] == when.isoformat() and inbox["today_source"] == "clock"

    await eventually(desk_knows_the_day, what=f"the desk to take {when} as today")


async def case_with_18_plus_task(nc: NATS, http: httpx.AsyncClient) -> tuple[str, dict]:
    """A new case in Tilburg whose young person is 17½: gm0855 owns the 18+ transition task."""
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
    await day(nc, http, date(2026, 2, 1))
    return case_id, await task_of(http, "gm0855", case_id, "transition-18-plus")


async def task_of(http: httpx.AsyncClient, org: str, case_id: str, kind: str) -> dict:
    """The open task of `kind` in `case_id` in `org`'s inbox (waiting until the desk shows it)."""

    async def probe() -> dict | None:
        inbox = (await http.get("/api/tasks", headers=auth(org))).json()
        found = [t for t in inbox["tasks"] if t["case_id"] == case_id and t["kind"] == kind]
        return found[0] if found else None

    return await eventually(probe, what=f"{org}'s {kind} task of {case_id} on the desk")
