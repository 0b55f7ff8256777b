"""Where the time goes: py-spy profiles of the end-to-end run and of a replay, summarised.

    python -m bench.profile [--filings 2000] [--events 200000] [--out bench/profiles]

End to end: the four services are started as in `make bench`, py-spy samples intake and notify
(the two that do most of the work per report) while the filings flow, and for each the functions
with the most samples are printed, inclusive (the function and what it calls) and self (the
function's own lines). Replay: one service's read model rebuilt under py-spy. The raw collapsed
stacks are kept in --out (open them with speedscope or flamegraph.pl for the whole picture).
py-spy needs ptrace: run as root or with CAP_SYS_PTRACE.
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.nats_io import publish_async_all, publish_batches
from bench.run import TaskWatch, connect, log
from bench.system import Services
from bench.workload import CaseFactory, case_id, filing
from contracts import subjects
from services.runtime import provision
from services.runtime.natsserver import EmbeddedNats

HERE = Path(__file__).resolve().parent
PROFILED = ("intake", "notify")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy not found: pip install py-spy (make bench installs it)")
    return found


def summarise(collapsed: Path, top: int = 25) -> str:
    """The functions with the most samples in a py-spy `--format raw` file (collapsed stacks:
    `frame;frame;... count` per line), inclusive and self, as percentages of all samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_short(frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return f"{collapsed.name}: no samples"
    lines = [f"{collapsed.name}: {total} samples", "  inclusive:"]
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    lines.append("  self:")
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    """'decode (services/runtime/eventstore.py:52)' -> 'decode (services/runtime/eventstore.py)':
    a function, wherever in it the sample fell; site-packages paths shortened to the package."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif str(HERE.parent) in path:
        path = path.split(str(HERE.parent) + "/", 1)[1]
    return f"{name} ({path})"


async def profile_end_to_end(work: Path, out: Path, filings: int) -> list[Path]:
    factory = CaseFactory()
    server = EmbeddedNats(work / "store", log_file=work / "nats.log").start()
    services = Services(server.url, work / "logs")
    nc = await connect(server.url)
    recorders: list[subprocess.Popen] = []
    try:
        await provision.provision_streams(nc.jetstream())
        await publish_async_all(nc, factory.keys(range(filings)))
        await publish_batches(nc, (factory.event(i, 0) for i in range(filings)))
        services.start()
        await services.wait_started()
        await asyncio.sleep(2)
        watch = TaskWatch()
        await nc.subscribe(subjects.tasks("*", "TaskOpened"), cb=watch.on_task)
        files = [out / f"e2e-{name}.txt" for name in PROFILED]
        for name, path in zip(PROFILED, files, strict=True):
            recorders.append(subprocess.Popen(
                [py_spy(), "record", "--format", "raw", "--rate", "250", "--pid", str(services.procs[name].pid),
                 "--output", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        await asyncio.sleep(1)
        log(f"profiling {', '.join(PROFILED)} while {filings} filings flow")
        await publish_async_all(nc, (filing(case_id(i)) for i in range(filings)), window=1000)
        await watch.wait_for(2 * filings, timeout_s=900)
        for recorder in recorders:  # py-spy writes its file on SIGINT
            recorder.send_signal(2)
        for recorder in recorders:
            recorder.wait(60)
        return files
    finally:
        for recorder in recorders:
            if recorder.poll() is None:
                recorder.kill()
        services.stop()
        await nc.close()
        server.stop()


async def profile_replay(work: Path, out: Path, events: int, which: str) -> Path:
    factory = CaseFactory()
    server = EmbeddedNats(work / "replay", log_file=work / "replay-nats.log").start()
    nc = await connect(server.url)
    try:
        await provision.provision_streams(nc.jetstream())
        await publish_async_all(nc, factory.keys(range(events // factory.per_case)))
        await publish_batches(nc, factory.interleaved(events // factory.per_case))
        path = out / f"replay-{which}.txt"
        log(f"profiling the {which} read model's replay of {events} events")
        subprocess.run([py_spy(), "record", "--format", "raw", "--rate", "250", "--output", str(path), "--",
                        sys.executable, "-m", "bench.replay", server.url, which],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
        return path
    finally:
        await nc.close()
        server.stop()


async def main(args: argparse.Namespace) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wo-profile-") as tmp:
        files = await profile_end_to_end(Path(tmp), args.out, args.filings)
        files.append(await profile_replay(Path(tmp), args.out, args.events, args.replay))
    for path in files:
        print()
        print(summarise(path, args.top))


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filings", type=int, default=2000, help="reports for the end-to-end profile")
    parser.add_argument("--events", type=int, default=200_000, help="stored events for the replay profile")
    parser.add_argument("--replay", default="intake", help="whose read model to replay (default intake)")
    parser.add_argument("--top", type=int, default=25, help="functions to list per profile")
    parser.add_argument("--out", type=Path, default=HERE / "profiles", help="where the collapsed stacks go")
    asyncio.run(main(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
