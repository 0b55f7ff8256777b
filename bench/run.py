"""`make bench`: the system against the raw nats-py baseline, measured in one run on this machine.

1. end-to-end: partner reports per second from the inbox to the task delivered on amv.tasks
   (ApplicationFiled for pre-seeded cases -> TaskOpened), and the latency p50/p99 at a steady
   100 reports/s; baseline: raw nats-py publish + pull-consume (ack each) of the same messages
   through one stream.
2. replay: events per second rebuilding every read model from 1,000,000 stored events: each
   service's Projection (its state fold) rebuilt in turn, as each does when it starts; the
   slowest of the four is the result. Baseline: a raw ordered consumer reading the same stream.
3. case load: p50/p99 of EventStore.load_case with 100,000+ cases stored (reading one case from
   the store: the ops CLI, the desk's timeline, and a service whose read model cannot vouch for a
   case), and p99 of the in-memory lookup a service decides on (Projection.state_of).
4. footprint: resident memory of the four services and nats-server, idle and under load; and
   each service's memory per 10,000 cases (bench/footprint.py).
5. messages per report: every NATS message in and out of nats-server per partner report in the
   end-to-end run, from the server's monitoring endpoint (bench/figures.py); baseline: the same
   count per message of the raw publish + consume.

Prints a table and writes bench/results.json. See bench/README.md for what each number means,
how to profile, and where the time goes.

    python -m bench.run [--events 1000000] [--filings 2000] [--latency-s 20] [--footprint-cases 10000]
                        [--budget-s 840]
"""

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import nats
from nats.aio.client import Client as NATS
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

from bench import figures
from bench.figures import Monitor
from bench.footprint import footprint as memory_per_case
from bench.nats_io import publish_async_all, publish_batches
from bench.replay import STATES, in_fresh_process
from bench.system import RssSampler, Services, rss_mb
from bench.workload import CaseFactory, case_id, filing
from contracts import subjects
from ops.quiesce import wait_until_idle
from services.runtime import provision
from services.runtime.eventstore import EventStore
from services.runtime.natsserver import EmbeddedNats, binary, free_port
from services.runtime.supervisor import SERVICES

HERE = Path(__file__).resolve().parent
LATENCY_RATE = 100.0  # reports per second for the latency measurement
IDLE_WINDOW_S = 5.0  # how long the idle traffic is counted before the end-to-end run


def log(*parts: object) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}]", *parts, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    server = subprocess.run([binary(), "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results.json"],
                           capture_output=True, text=True, cwd=HERE.parent).stdout.strip()  # the previous results are no change
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "nats_py": metadata.version("nats-py"),
        "nats_server": server,
        "faststream": metadata.version("faststream"),
        "pydantic": metadata.version("pydantic"),
        "git_commit": commit,
        "working_tree_had_uncommitted_changes": bool(dirty),
    }


async def connect(url: str) -> NATS:
    return await nats.connect(url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)


# --- 1 and 4: end to end, latency, footprint -----------------------------------------------------


class TaskWatch:
    """Counts TaskOpened on amv.tasks (a core subscription, as an organisation listens) and notes
    when each case's transition-meeting task arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.meeting_at: dict[str, float] = {}
        self.last_at = 0.0

    async def on_task(self, msg) -> None:
        now = time.perf_counter()
        self.count += 1
        self.last_at = now
        task = json.loads(msg.data)
        if task["data"]["kind"] == "plan-transition-meeting":
            self.meeting_at.setdefault(task["subject"], now)

    async def wait_for(self, count: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.count < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.count} of {count} tasks after {timeout_s}s")
            await asyncio.sleep(0.02)


async def end_to_end(work: Path, factory: CaseFactory, filings: int, latency_s: float) -> dict:
    latency_cases = int(LATENCY_RATE * latency_s)
    seeded = filings + 2 * latency_cases
    server = EmbeddedNats(work / "e2e-store", monitor_port=free_port(), log_file=work / "e2e-nats.log").start()
    monitor = Monitor(server.monitor_port)
    services = Services(server.url, work / "e2e-logs")
    nc = await connect(server.url)
    try:
        js = nc.jetstream()
        await provision.provision_streams(js)
        # every case already has its key and its permit stored, as intake would have stored them
        await publish_async_all(nc, factory.keys(range(seeded)))
        await publish_batches(nc, (factory.event(i, 0) for i in range(seeded)))
        services.start()
        await services.wait_started()
        await monitor.until_idle()
        # the system's own traffic while nothing happens (pull requests expiring, heartbeats)
        await asyncio.sleep(1)
        idle_from = await monitor.snapshot()
        await asyncio.sleep(IDLE_WINDOW_S)
        idle_to = await monitor.snapshot()

        def footprint() -> dict[str, float]:
            return {**services.rss(), "nats-server": rss_mb(server.process.pid)}

        idle = footprint()
        log(f"idle RSS: {sum(idle.values()):.0f} MB {idle}")

        watch = TaskWatch()
        await nc.subscribe(subjects.tasks("*", "TaskOpened"), cb=watch.on_task)
        log(f"end to end: {filings} ApplicationFiled -> {2 * filings} TaskOpened")
        pids = {**{name: proc.pid for name, proc in services.procs.items()}, "nats-server": server.process.pid}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        before = await monitor.snapshot()
        with RssSampler(footprint) as under_load:
            started = time.perf_counter()
            await publish_async_all(nc, (filing(case_id(i)) for i in range(filings)), window=1000)
            published = time.perf_counter()
            await watch.wait_for(2 * filings, timeout_s=900)
            await monitor.until_idle()  # the work after the tasks too (HandoffNotified, its folds and acks)
        after = await monitor.snapshot()
        messages = count_messages(idle_from, idle_to, before, after, filings)
        log(f"messages per report: {messages['messages_per_report']} {messages['by_process']}")
        elapsed = watch.last_at - started
        cpu_ms = {name: round((cpu_seconds(pid) - cpu_before[name]) / filings * 1000, 2) for name, pid in pids.items()}
        e2e = {"filings": filings, "tasks": watch.count, "seconds": round(elapsed, 2),
               "publish_seconds": round(published - started, 2), "events_per_s": round(filings / elapsed, 1),
               "cpu_ms_per_report": cpu_ms, "cpu_ms_per_report_total": round(sum(cpu_ms.values()), 2)}
        log(f"end to end: {e2e['events_per_s']} reports/s ({elapsed:.1f} s); CPU ms per report {cpu_ms}; "
            f"peak RSS {under_load.peak_total:.0f} MB")
        await wait_until_idle(nc, timeout_s=300)

        latency = await paced(nc, watch, [case_id(filings + n) for n in range(latency_cases)], LATENCY_RATE)
        log(f"latency at {LATENCY_RATE:.0f}/s: p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms")
        await wait_until_idle(nc, timeout_s=600)
        sustainable = round(min(LATENCY_RATE, e2e["events_per_s"] / 2), 1)
        count = int(sustainable * latency_s)
        below = await paced(nc, watch, [case_id(filings + latency_cases + n) for n in range(count)], sustainable)
        log(f"latency at {sustainable}/s (half the throughput): p50 {below['p50_ms']} ms, p99 {below['p99_ms']} ms")
        return {"e2e": e2e, "latency": latency, "latency_at_half_throughput": below,
                "idle_rss": idle, "load_rss": under_load.peak, "messages": messages,
                "server_url": server.url}
    finally:
        services.stop()
        await nc.close()
        server.stop()


def count_messages(idle_from: tuple[float, dict], idle_to: tuple[float, dict],
                   before: tuple[float, dict], after: tuple[float, dict], reports: int) -> dict:
    """The server's counters over a run, less the idle traffic of as many seconds, per report."""
    idle_s, run_s = idle_to[0] - idle_from[0], after[0] - before[0]
    idle, run = figures.deltas(idle_from[1], idle_to[1]), figures.deltas(before[1], after[1])
    per = figures.per_report(run, run_s, idle, idle_s, reports)
    return {"reports": reports, "seconds": round(run_s, 2), "idle_window_seconds": round(idle_s, 2),
            "messages_per_report": figures.messages_per_report(per), "by_process": figures.by_process(per),
            "per_report": per, "run_counts": run, "idle_counts": idle}


async def paced(nc: NATS, watch: TaskWatch, cases: list[str], rate: float) -> dict:
    """Publish one filing per case at a steady `rate`; the time from each publish to its case's
    transition-meeting task arriving on amv.tasks."""
    js = nc.jetstream()
    sent: dict[str, float] = {}
    acks = []
    began = time.perf_counter()
    for n, case in enumerate(cases):
        if (pause := began + n / rate - time.perf_counter()) > 0:
            await asyncio.sleep(pause)
        subject, body = filing(case)
        sent[case] = time.perf_counter()
        acks.append(await js.publish_async(subject, body))
    await asyncio.gather(*acks)
    achieved = len(cases) / (time.perf_counter() - began)
    deadline = time.monotonic() + 600
    while any(case not in watch.meeting_at for case in sent):
        if time.monotonic() > deadline:
            raise TimeoutError("not every paced report got its task")
        await asyncio.sleep(0.05)
    lat = [(watch.meeting_at[case] - at) * 1000 for case, at in sent.items()]
    return {"reports": len(cases), "offered_per_s": rate, "achieved_send_per_s": round(achieved, 1),
            "p50_ms": round(percentile(lat, 50), 1), "p99_ms": round(percentile(lat, 99), 1), "max_ms": round(max(lat), 1)}


async def raw_pubsub(work: Path, filings: int, runs: int = 3) -> dict:
    """Baseline: the same report bodies published into one stream and pull-consumed (acked one by one)."""
    server = EmbeddedNats(work / "raw-store", monitor_port=free_port()).start()
    monitor = Monitor(server.monitor_port)
    nc = await connect(server.url)
    try:
        js = nc.jetstream()
        bodies = [filing(case_id(i))[1] for i in range(filings)]
        rates, cpu, messages = [], [], []
        for run in range(runs):
            stream = f"BENCH_RAW_{run}"
            await js.add_stream(StreamConfig(name=stream, subjects=[f"bench.raw{run}.>"], storage=StorageType.FILE,
                                             duplicate_window=2 * 24 * 3600))
            await js.add_consumer(stream, ConsumerConfig(durable_name="raw", ack_policy=AckPolicy.EXPLICIT,
                                                         max_ack_pending=10_000))
            sub = await js.pull_subscribe_bind(durable="raw", stream=stream)
            idle_from = await monitor.snapshot()
            await asyncio.sleep(1)
            idle_to = await monitor.snapshot()
            consumed = 0
            last = 0.0

            async def consume() -> None:
                nonlocal consumed, last
                while consumed < filings:
                    try:
                        messages = await sub.fetch(256, timeout=1)
                    except TimeoutError:
                        continue
                    for msg in messages:
                        await msg.ack()
                    consumed += len(messages)
                    last = time.perf_counter()

            before = await monitor.snapshot()
            started = time.perf_counter()
            cpu_before = time.process_time() + cpu_seconds(server.process.pid)
            consumer = asyncio.create_task(consume())
            await publish_async_all(nc, ((f"bench.raw{run}.nidos.ApplicationFiled", b) for b in bodies), window=1000)
            await asyncio.wait_for(consumer, 300)
            rates.append(filings / (last - started))
            cpu.append((time.process_time() + cpu_seconds(server.process.pid) - cpu_before) / filings * 1000)
            await nc.flush()  # the last acks reach the server
            messages.append(count_messages(idle_from, idle_to, before, await monitor.snapshot(), filings))
        log(f"raw publish + consume: {[round(r) for r in rates]} msg/s; "
            f"{[m['messages_per_report'] for m in messages]} NATS messages per message")
        return {"runs_per_s": [round(r, 1) for r in rates], "events_per_s": round(statistics.median(rates), 1),
                "cpu_ms_per_message": round(statistics.median(cpu), 3),
                "messages_per_message": statistics.median(m["messages_per_report"] for m in messages),
                "messages": messages}
    finally:
        await nc.close()
        server.stop()


# --- 2 and 3: replay and case load ---------------------------------------------------------------


async def seeded_store(work: Path, name: str, factory: CaseFactory, cases: int) -> tuple[EmbeddedNats, NATS, float]:
    server = EmbeddedNats(work / name, log_file=work / f"{name}.log").start()
    nc = await connect(server.url)
    await provision.provision_streams(nc.jetstream())
    started = time.perf_counter()
    await publish_async_all(nc, factory.keys(range(cases)))
    await publish_batches(nc, factory.interleaved(cases))
    return server, nc, time.perf_counter() - started


async def calibrate(work: Path, factory: CaseFactory) -> dict:
    """A small store first: how long a million events would take here (to keep within budget)."""
    cases = 2_500
    server, nc, seeding = await seeded_store(work, "calibration", factory, cases)
    try:
        events = cases * factory.per_case
        raw = await in_fresh_process(server.url, "raw")
        replays = [await in_fresh_process(server.url, name) for name in STATES]
        per_event = (seeding + 2 * raw["seconds"] + sum(r["seconds"] for r in replays)) / events
        return {"events": events, "seconds_per_event_all_steps": per_event}
    finally:
        await nc.close()
        server.stop()


async def replay_and_case_load(work: Path, factory: CaseFactory, events: int, samples: int = 1000) -> dict:
    cases = events // factory.per_case
    log(f"replay: storing {cases * factory.per_case} events of {cases} cases (atomic batches of 1000)")
    server, nc, seeding = await seeded_store(work, "replay-store", factory, cases)
    try:
        stored = (await nc.jetstream().stream_info("AMV_EVENTS")).state.messages
        log(f"stored {stored} events in {seeding:.0f} s ({stored / seeding:.0f}/s)")
        raw = [await in_fresh_process(server.url, "raw")]
        log(f"raw ordered read: {raw[-1]['events_per_s']:.0f} events/s, {raw[-1]['cpu_us_per_event']} µs CPU each")
        replays = {}
        for name in STATES:
            replays[name] = await in_fresh_process(server.url, name)
            log(f"replay {name}: {replays[name]['events_per_s']:.0f} events/s, "
                f"{replays[name]['cpu_us_per_event']} µs CPU each, {replays[name]['cases']} cases")
        raw.append(await in_fresh_process(server.url, "raw"))
        log(f"raw ordered read again: {raw[-1]['events_per_s']:.0f} events/s")
        slowest = min(replays, key=lambda name: replays[name]["events_per_s"])

        store = EventStore(nc)
        rng = random.Random(7)
        latencies = []
        for _ in range(samples):
            case = case_id(rng.randrange(cases))
            started = time.perf_counter()
            history = await store.load_case("intake", case)
            latencies.append((time.perf_counter() - started) * 1000)
            assert len(history.events) == factory.per_case, (case, len(history.events))
        load = {"cases_stored": cases, "events_stored": stored, "samples": samples,
                "p50_ms": round(percentile(latencies, 50), 2), "p99_ms": round(percentile(latencies, 99), 2),
                "max_ms": round(max(latencies), 2)}
        log(f"load_case with {cases} cases: p50 {load['p50_ms']} ms, p99 {load['p99_ms']} ms")
        return {
            "events": stored, "seed_events_per_s": round(stored / seeding, 1),
            "raw_reads": raw, "raw_read_events_per_s": round(statistics.mean(r["events_per_s"] for r in raw), 1),
            "raw_cpu_us_per_event": round(statistics.mean(r["cpu_us_per_event"] for r in raw), 1),
            "replays": replays, "slowest_read_model": slowest,
            "replay_events_per_s": replays[slowest]["events_per_s"], "case_load": load,
        }
    finally:
        await nc.close()
        server.stop()


# --- the run -------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> dict:
    began = time.monotonic()
    results: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "notes": []}
    factory = CaseFactory()
    with tempfile.TemporaryDirectory(prefix="wo-bench-") as tmp:
        work = Path(tmp)
        results["end_to_end"] = await end_to_end(work, factory, args.filings, args.latency_s)
        results["raw_pubsub"] = await raw_pubsub(work, args.filings)
        log(f"memory: {args.footprint_cases} cases loaded by each service")
        results["footprint"] = await memory_per_case(work, factory, args.footprint_cases, connect)
        log(f"memory per 10k cases (MB): {results['footprint']['rss_per_10k_cases_mb']}; "
            f"raw reader {results['footprint']['raw_rss_per_10k_cases_mb']}")

        events = args.events
        calibration = await calibrate(work, factory)
        remaining = args.budget_s - (time.monotonic() - began) - 30
        affordable = int(remaining / calibration["seconds_per_event_all_steps"] * 0.85)
        if affordable < events:
            scaled = max(affordable // 1000 * 1000, 10_000)
            results["notes"].append(
                f"replay scaled down from {events} to about {scaled} events: at the rate measured here "
                f"({calibration['seconds_per_event_all_steps'] * 1e6:.0f} µs per event to store, read twice raw and "
                f"replay) {events} would not fit the {args.budget_s:.0f} s budget of make bench")
            events = scaled
        results["calibration"] = calibration
        results["replay"] = await replay_and_case_load(work, factory, events)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["seconds"] = round(time.monotonic() - began)
    return results


def summary(r: dict) -> dict:
    e2e, raw, rep, mem = r["end_to_end"], r["raw_pubsub"], r["replay"], r["footprint"]
    return {
        "e2e_events_per_s": e2e["e2e"]["events_per_s"],
        "raw_pubsub_events_per_s": raw["events_per_s"],
        "e2e_ratio": round(e2e["e2e"]["events_per_s"] / raw["events_per_s"], 4),
        "e2e_cpu_ms_per_report": e2e["e2e"]["cpu_ms_per_report_total"],
        "raw_pubsub_cpu_ms_per_message": raw["cpu_ms_per_message"],
        "e2e_cpu_ratio": round(raw["cpu_ms_per_message"] / e2e["e2e"]["cpu_ms_per_report_total"], 4),
        "replay_events_per_s": rep["replay_events_per_s"],
        "raw_read_events_per_s": rep["raw_read_events_per_s"],
        "replay_ratio": round(rep["replay_events_per_s"] / rep["raw_read_events_per_s"], 3),
        "replay_cpu_ratio": round(rep["raw_cpu_us_per_event"] / rep["replays"][rep["slowest_read_model"]]["cpu_us_per_event"], 3),
        "replay_events": rep["events"],
        "case_load_p99_ms": rep["case_load"]["p99_ms"],
        "case_load_cases": rep["case_load"]["cases_stored"],
        "case_state_lookup_p99_ms": round(max(r["state_lookup_p99_us"] for r in rep["replays"].values()) / 1000, 4),
        "latency_p50_ms": e2e["latency"]["p50_ms"],
        "latency_p99_ms": e2e["latency"]["p99_ms"],
        "latency_half_throughput_per_s": e2e["latency_at_half_throughput"]["offered_per_s"],
        "latency_half_throughput_p50_ms": e2e["latency_at_half_throughput"]["p50_ms"],
        "latency_half_throughput_p99_ms": e2e["latency_at_half_throughput"]["p99_ms"],
        "idle_rss_mb": round(sum(e2e["idle_rss"].values()), 1),
        "idle_rss_services_mb": round(sum(v for k, v in e2e["idle_rss"].items() if k != "nats-server"), 1),
        "load_rss_mb": round(sum(e2e["load_rss"].values()), 1),
        "messages_per_report": e2e["messages"]["messages_per_report"],
        "raw_messages_per_message": raw["messages_per_message"],
        **{f"rss_per_10k_cases_mb.{name}": mb for name, mb in mem["rss_per_10k_cases_mb"].items()},
        "raw_rss_per_10k_cases_mb": mem["raw_rss_per_10k_cases_mb"],
        "footprint_cases": mem["cases"],
    }


TARGETS = {  # key: (comparison, target)
    "e2e_ratio": (">=", 0.25), "replay_ratio": (">=", 0.8), "case_load_p99_ms": ("<=", 5.0),
    "latency_p99_ms": ("<=", 50.0), "idle_rss_services_mb": ("<=", 400.0),
    "messages_per_report": ("<=", 6.0),  # issue 17
    **{f"rss_per_10k_cases_mb.{name}": ("<=", figures.memory_goal_mb()) for name in SERVICES},  # 1 KiB a case
}


def table(s: dict) -> str:
    def verdict(key: str) -> str:
        if key not in TARGETS:
            return ""
        op, target = TARGETS[key]
        ok = s[key] >= target if op == ">=" else s[key] <= target
        return f"target {op} {target}: {'met' if ok else 'MISSED'}"

    rows = [
        ("end to end (reports/s)", "e2e_events_per_s", ""), ("raw publish+consume (msg/s)", "raw_pubsub_events_per_s", ""),
        ("  ratio", "e2e_ratio", verdict("e2e_ratio")),
        ("  ratio of CPU per report", "e2e_cpu_ratio", f"raw {s['raw_pubsub_cpu_ms_per_message']} ms / system {s['e2e_cpu_ms_per_report']} ms"),
        ("replay, slowest read model (events/s)", "replay_events_per_s", f"{s['replay_events']} events"),
        ("raw ordered read (events/s)", "raw_read_events_per_s", ""), ("  ratio", "replay_ratio", verdict("replay_ratio")),
        ("  ratio of CPU per event", "replay_cpu_ratio", "raw µs / replay µs, less sensitive to other load"),
        ("load_case p99, from the store (ms)", "case_load_p99_ms", f"{s['case_load_cases']} cases; " + verdict("case_load_p99_ms")),
        ("case state p99, in a service (ms)", "case_state_lookup_p99_ms", "the read model a decision starts from"),
        ("latency p50 at 100/s (ms)", "latency_p50_ms", ""), ("latency p99 at 100/s (ms)", "latency_p99_ms", verdict("latency_p99_ms")),
        ("latency p50 at half throughput (ms)", "latency_half_throughput_p50_ms", f"at {s['latency_half_throughput_per_s']}/s"),
        ("latency p99 at half throughput (ms)", "latency_half_throughput_p99_ms", ""),
        ("RSS idle, 4 services (MB)", "idle_rss_services_mb", verdict("idle_rss_services_mb")),
        ("RSS idle, with nats-server (MB)", "idle_rss_mb", ""), ("RSS under load, with nats-server (MB)", "load_rss_mb", ""),
        ("NATS messages per report", "messages_per_report",
         f"raw {s['raw_messages_per_message']} per message; " + verdict("messages_per_report")),
        *((f"RSS per 10k cases, {name} (MB)", f"rss_per_10k_cases_mb.{name}",
           f"raw reader {s['raw_rss_per_10k_cases_mb']}; {s['footprint_cases']} cases; " + verdict(f"rss_per_10k_cases_mb.{name}"))
          for name in SERVICES),
    ]
    return "\n".join(f"{label:<38} {s[key]:>12}  {note}" for label, key, note in rows)


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="stored events to replay (default 1,000,000)")
    parser.add_argument("--filings", type=int, default=2_000, help="reports for the end-to-end rate (default 2,000)")
    parser.add_argument("--footprint-cases", type=int, default=10_000,
                        help="whole cases each service loads for its memory per 10k cases (default 10,000)")
    parser.add_argument("--latency-s", type=float, default=20.0, help="seconds of 100 reports/s (default 20)")
    parser.add_argument("--budget-s", type=float, default=840.0, help="the whole run's time budget (default 840)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json", help="where to write the results")
    args = parser.parse_args(argv)
    results = asyncio.run(main(args))
    results = {**summary(results), **results}
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    for note in results["notes"]:
        print("note:", note)
    print(f"\n{results['seconds']} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
