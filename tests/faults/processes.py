"""The four services as real subprocesses (`python -m services.<name>`) that fault tests SIGKILL
and start again, each logging to a file of its own, optionally serving its HTTP endpoints on a
port of its own (base port + index, as `make run` assigns them)."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from services.runtime.supervisor import SERVICES, stop_processes

REPO = Path(__file__).resolve().parents[2]


class ServiceProcesses:
    """The four services as child processes, each logging to its own file under `log_dir`."""

    def __init__(self, nats_url: str, log_dir: Path, metrics_base: int = 0, **env: str) -> None:
        self.log_dir = Path(log_dir)
        self.metrics_base = metrics_base
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # No handoff desk (its port would be shared between tests); quick redelivery after a kill.
        self.env = {**os.environ, "NATS_URL": nats_url, "LOG_LEVEL": "INFO", "WO_ACK_WAIT_S": "3", "WO_HTTP_PORT": "0",
                    **env}
        self.env["PYTHONPATH"] = str(REPO)
        self.procs: dict[str, subprocess.Popen] = {}
        self.starts: Counter[str] = Counter()
        self.kills: Counter[str] = Counter()

    def start(self, *names: str) -> None:
        if not self.procs:  # as compose's `provision` step: the services only bind
            subprocess.run([sys.executable, "-m", "services.provisioning"], cwd=REPO, env=self.env, check=True,
                           stdout=subprocess.DEVNULL, timeout=120)
        for name in names or SERVICES:
            if name in self.procs and self.procs[name].poll() is None:
                continue
            log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
            env = self.env
            if self.metrics_base:
                env = {**env, "WO_METRICS_PORT": str(self.metrics_base + SERVICES.index(name))}
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            log.close()
            self.starts[name] += 1

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash would."""
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.kills[name] += 1

    def dead(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def started_count(self, name: str) -> int:
        """How often the service logged that it started (every run appends to the same file)."""
        path = self.log_dir / f"{name}.log"
        return path.read_bytes().count(b'"service started"') if path.exists() else 0

    async def wait_started(self, *names: str, timeout_s: float = 30.0) -> None:
        """Until each named service logged 'service started' as often as it was started."""
        deadline = time.monotonic() + timeout_s
        for name in names or SERVICES:
            while self.started_count(name) < self.starts[name]:
                if self.procs[name].poll() is not None:
                    raise AssertionError(f"{name} exited with {self.procs[name].returncode}:\n{self.tail(name)}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"{name} did not start within {timeout_s}s:\n{self.tail(name)}")
                await asyncio.sleep(0.05)

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"

    def errors(self) -> dict[str, list[str]]:
        """Log lines at level error (a dead letter, a crash) per service."""
        found: dict[str, list[str]] = {}
        for name in SERVICES:
            path = self.log_dir / f"{name}.log"
            if path.exists():
                bad = [line for line in path.read_text(errors="replace").splitlines() if '"level": "error"' in line]
                if bad:
                    found[name] = bad
        return found

    def stop(self) -> None:
        stop_processes(self.procs.values(), timeout_s=10)


