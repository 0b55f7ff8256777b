"""`make images` in the background, for the compose end-to-end test (tests/deploy/test_compose_e2e.py).

Built from an empty Docker engine the images take minutes (debootstrap, pip inside the build), most
of it waiting on mirrors and the engine, so tests/deploy/conftest.py starts the build as soon as the
test session knows the compose test is selected and runs that test last: the build overlaps the
rest of the suite, and the test waits only for what is left. With the images already there,
`make images` takes seconds (the base is kept, the other two come from the build cache).
"""

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# `make images` depends on the virtual environment's install stamp: the test session already runs
# in that environment, so never let a stale stamp re-install packages under the running tests.
# Niced: the tests it runs beside come first (debootstrap and the rest of what make runs here yield;
# the steps the Docker engine runs inside its build containers do not).
COMMAND = ["nice", "-n", "10", "make", "--no-print-directory", "-o", ".venv/.installed", "images"]


class ImageBuild:
    """One `make images` run in its own process group, its output in a log file."""

    def __init__(self) -> None:
        fd, name = tempfile.mkstemp(prefix="wo-compose-images-", suffix=".log")
        self.log = Path(name)
        # A make above pytest (`make test`) passes its jobserver flags down; this make is no sub-make.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        self.started = time.monotonic()
        self.finished: float | None = None
        with os.fdopen(fd, "w") as out:
            out.write(f"$ {' '.join(COMMAND)}  (in {REPO})\n")
            out.flush()
            self.process = subprocess.Popen(
                COMMAND, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait(self, timeout_s: float) -> int | None:
        """The exit code, or None if still running after `timeout_s`."""
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None
        if self.finished is None:
            self.finished = time.monotonic()
        return code

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError as exc:
            return f"(cannot read {self.log}: {exc})"

    def stop(self) -> None:
        """End the build if it still runs (an interrupted session): its process group only."""
        if self.process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue


IMAGE_BUILD = pytest.StashKey[ImageBuild]()  # the session's build, when the compose test is selected
E2E_TIMES = pytest.StashKey[dict[str, float]]()  # measured durations, for the terminal summary

