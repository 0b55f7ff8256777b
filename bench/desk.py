"""The desk's inbox at scale: server time of the inbox page with 10,000 open tasks for one
organisation (issue 16: "well under 200 ms"). `python -m bench.desk [--tasks N] [--rounds N]`.

The real web application (`services.desk.web`) over the real `core.Desk`, its read model filled
with N cases of one task each for gm0855 (and one task each asked of its district team), called
in-process through httpx's ASGI transport: the time is the server's (routing, session, filter,
paging, rendering the HTML of 50 rows), without a network or a browser. NATS is not involved: the
inbox reads only the read model, which the desk keeps in memory."""

import argparse
import asyncio
import json
import statistics
import time
from datetime import date, timedelta
from types import SimpleNamespace

import httpx

from services.desk.core import Desk
from services.desk.tokens import OrgTokens
from services.desk.web import create_web_app
from services.notify.state import NotifyCase, Task

TOKEN = "bench-token-of-gm0855-0123456789"
KINDS = ("plan-family-housing", "transition-18-plus", "plan-transition-meeting", "school-continuity")
QUERIES = {
    "first page": "/inbox",
    "page 100": "/inbox?page=100",
    "status filter": "/inbox?status=accepted",
    "kind + status filter": "/inbox?kind=transition-18-plus&status=requested",
    "one case": "/inbox?case=case-07777",
    "search (Dutch kind text)": "/inbox?q=gezinswoning",
    "search, no match": "/inbox?q=nothing-like-it",
    "asked by you": "/inbox?scope=asked",
}


def read_model(n: int) -> dict[str, NotifyCase]:
    today = date(2026, 6, 1)
    cases = {}
    for i in range(n):
        task = Task(
            task_id=f"task-{i:05}", kind=KINDS[i % len(KINDS)], requester="nidos", owner="gm0855",
            due=today + timedelta(days=i % 90 - 30), municipality="GM0855",
            status=("requested", "accepted", "in-progress")[i % 3],
        )
        asked = Task(task_id=f"ask-{i:05}", kind="district-team-handover", requester="gm0855",
                     owner="wijkteam-gm0855", due=today, municipality="GM0855", status="requested")
        cases[f"case-{i:05}"] = NotifyCase(case_id=f"case-{i:05}", tasks={task.task_id: task, asked.task_id: asked},
                                           municipalities={"GM0855"})
    return cases


async def measure(tasks: int, rounds: int) -> dict:
    nc = SimpleNamespace(jetstream=lambda timeout: None, is_connected=True)
    the_desk = Desk(nc, SimpleNamespace(cases=read_model(tasks)), None, OrgTokens({"gm0855": TOKEN}))  # type: ignore[arg-type]
    transport = httpx.ASGITransport(create_web_app(the_desk))
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        http.cookies = (await http.post("/signin", data={"token": TOKEN})).cookies
        figures = {}
        for name, path in QUERIES.items():
            assert (await http.get(path)).status_code == 200, path  # warm: templates compiled, caches filled
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                response = await http.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            times.sort()
            figures[name] = {"p50_ms": round(statistics.median(times), 1),
                             "p95_ms": round(times[int(len(times) * 0.95) - 1], 1), "rows": response.text.count('class="task')}
    return {"tasks_for_one_organisation": tasks, "rounds": rounds, "inbox": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    result = asyncio.run(measure(args.tasks, args.rounds))
    width = max(map(len, QUERIES))
    print(f"inbox page, {args.tasks:,} open tasks for gm0855, {args.rounds} requests each (server time, in-process)")
    for name, figure in result["inbox"].items():
        print(f"  {name:<{width}}  p50 {figure['p50_ms']:7.1f} ms  p95 {figure['p95_ms']:7.1f} ms  ({figure['rows']} rows)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
