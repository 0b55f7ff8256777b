"""The figures counted from the outside: NATS messages per partner report, from nats-server's own
statistics (its HTTP monitoring endpoint), and resident memory per 10,000 cases.

Reading the monitoring endpoint is HTTP, not NATS: watching the counters adds nothing to them.

Definitions (bench/README.md, "Messages per report" and "Memory per 10k cases"):

- messages per report = (Δ in_msgs + Δ out_msgs of /varz over the end-to-end run, less what the
  same counters did per second while the system stood idle just before, times the run's seconds)
  / reports. in_msgs counts every message a client sent to the server (publishes, appends, acks,
  pull requests, JetStream API requests), out_msgs every message the server sent to a client
  (deliveries of consumers and subscriptions, publish acks, API replies, pull status and flow
  control); the server's internal traffic is in neither.
- memory per 10k cases = (median RSS of a service process after it loaded N cases − median RSS of
  the same service idle on an empty store) / N × 10,000.
"""

import asyncio
import json
import statistics
import time
import urllib.request

from services.runtime.natsauth import inbox_prefix
from services.runtime.supervisor import SERVICES

BENCH = "bench"  # the benchmark's own connection: the partner publishing reports, the organisation watching tasks
KIB_PER_CASE_GOAL = 1.0  # issue 17: memory per case <= 1 KB per service
CASES_PER_FIGURE = 10_000


# --- pure: counters -> figures ---------------------------------------------------------------------


def who(subscriptions: list[str]) -> str:
    """Which process a client connection is, from its subscriptions: each service replies on its
    own inbox prefix (services/runtime/natsauth.inbox_prefix); anything else is the benchmark."""
    for service in SERVICES:
        if any(subject.startswith(f"{inbox_prefix(service)}.") for subject in subscriptions):
            return service
    return BENCH


def counters(varz: dict, connz: dict, jsz: dict) -> dict[str, int]:
    """One snapshot of the server's statistics as flat counters: messages in and out (all clients,
    and per process: `<who>.in_msgs`), JetStream API requests, and per durable consumer the
    messages it delivered (`delivered.<durable>`; the ordered consumers of the read models, which
    have generated names, summed as `delivered.(read models)`)."""
    found = {"in_msgs": varz["in_msgs"], "out_msgs": varz["out_msgs"], "api_requests": jsz["api"]["total"]}
    for conn in connz.get("connections") or []:
        name = who(conn.get("subscriptions_list") or [])
        for key in ("in_msgs", "out_msgs"):
            found[f"{name}.{key}"] = found.get(f"{name}.{key}", 0) + conn[key]
    for account in jsz.get("account_details") or []:
        for stream in account.get("stream_detail") or []:
            for consumer in stream.get("consumer_detail") or []:
                durable = (consumer.get("config") or {}).get("durable_name")
                key = f"delivered.{durable}" if durable else "delivered.(read models)"
                found[key] = found.get(key, 0) + consumer["delivered"]["consumer_seq"]
    return found


def deltas(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """How much each counter grew between two snapshots (a counter missing before started at 0)."""
    return {key: after.get(key, 0) - before.get(key, 0) for key in sorted(before.keys() | after.keys())}


def per_report(run: dict[str, int], run_s: float, idle: dict[str, int], idle_s: float, reports: int) -> dict[str, float]:
    """Each counter's growth over the run less the idle traffic of as many seconds (the same
    counter's growth while nothing happened, per second), per report."""
    return {key: round((grown - idle.get(key, 0) / idle_s * run_s) / reports, 2) for key, grown in run.items()}


def messages_per_report(figures: dict[str, float]) -> float:
    """The headline: every message in and out of the server, per report (from `per_report`)."""
    return round(figures["in_msgs"] + figures["out_msgs"], 2)


def by_process(figures: dict[str, float]) -> dict[str, float]:
    """Messages in + out per report of each process's connection(s), from `per_report`."""
    names = {key.split(".")[0] for key in figures if key.endswith((".in_msgs", ".out_msgs"))}
    return {name: round(figures.get(f"{name}.in_msgs", 0.0) + figures.get(f"{name}.out_msgs", 0.0), 2)
            for name in sorted(names)}


def rss_per_10k_cases(idle_mb: list[float], loaded_mb: list[float], cases: int) -> float:
    """A process's resident memory per 10,000 cases: the median of its RSS samples with `cases`
    cases loaded, less the median while idle with none, scaled to 10,000 cases (MB, as rss_mb)."""
    grown = statistics.median(loaded_mb) - statistics.median(idle_mb)
    return round(grown / cases * CASES_PER_FIGURE, 2)


def memory_goal_mb() -> float:
    """The goal per 10,000 cases in MB (MiB, as everywhere in results.json): 1 KiB per case."""
    return round(KIB_PER_CASE_GOAL * CASES_PER_FIGURE / 1024, 2)


# --- the monitoring endpoint -----------------------------------------------------------------------


class Monitor:
    """nats-server's HTTP monitoring endpoint (`-m <port>`)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def _get(self, path: str) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            return json.loads(response.read())

    def _snapshot(self) -> tuple[float, dict[str, int]]:
        at = time.perf_counter()
        return at, counters(self._get("/varz"), self._get("/connz?subs=1&state=all&limit=100000"),
                            self._get("/jsz?accounts=true&consumers=true&config=true"))

    async def snapshot(self) -> tuple[float, dict[str, int]]:
        """(when, counters) now; the HTTP calls run off the event loop."""
        return await asyncio.to_thread(self._snapshot)

    def _consumers_idle(self) -> bool:
        jsz = self._get("/jsz?accounts=true&consumers=true")
        return all(not consumer["num_pending"] and not consumer["num_ack_pending"]
                   for account in jsz.get("account_details") or []
                   for stream in account.get("stream_detail") or []
                   for consumer in stream.get("consumer_detail") or [])

    async def until_idle(self, timeout_s: float = 300.0) -> None:
        """Until every consumer (durable or a read model's) has delivered and had acknowledged
        everything, twice in a row: ops.quiesce's test, asked over HTTP so it sends no NATS message."""
        deadline = time.monotonic() + timeout_s
        streak = 0
        while streak < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumers still had work after {timeout_s}s")
            streak = streak + 1 if await asyncio.to_thread(self._consumers_idle) else 0
            await asyncio.sleep(0.05)
