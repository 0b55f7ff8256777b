"""The system under benchmark: the four services as processes (`python -m services.<name>`, as
`make run` starts them) against an embedded nats-server, and their resident memory from /proc."""

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from services.runtime.supervisor import SERVICES, stop_processes

REPO = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    """Resident set size of a process (VmRSS in /proc/<pid>/status), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Services:
    def __init__(self, nats_url: str, log_dir: Path, **env: str) -> None:
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        # The handoff desk off (no port to share); everything else as configured by default.
        self.env = {**os.environ, "NATS_URL": nats_url, "WO_HTTP_PORT": "0", "PYTHONPATH": str(REPO), **env}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        # as compose's `provision` step: every stream and durable consumer; the services only bind
        subprocess.run([sys.executable, "-m", "services.provisioning"], cwd=REPO, env=self.env, check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        for name in SERVICES:
            with open(self.log_dir / f"{name}.log", "ab") as log:
                self.procs[name] = subprocess.Popen(
                    [sys.executable, "-m", f"services.{name}"], cwd=REPO, env=self.env,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )

    async def wait_started(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        for name, proc in self.procs.items():
            path = self.log_dir / f"{name}.log"
            while not (path.exists() and b'"service started"' in path.read_bytes()):
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {path}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} did not start in {timeout_s}s; see {path}")
                await asyncio.sleep(0.1)

    def rss(self) -> dict[str, float]:
        return {name: rss_mb(proc.pid) for name, proc in self.procs.items() if proc.poll() is None}

    def stop(self) -> None:
        stop_processes(self.procs.values())


class RssSampler:
    """Samples the summed RSS of some processes every `interval_s` while running; keeps the peak."""

    def __init__(self, read, interval_s: float = 0.5) -> None:
        self._read = read
        self._interval = interval_s
        self.peak: dict[str, float] = {}
        self.peak_total = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            sample = self._read()
            total = sum(sample.values())
            if total > self.peak_total:
                self.peak_total, self.peak = total, sample
            await asyncio.sleep(self._interval)

    def __enter__(self) -> "RssSampler":
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
