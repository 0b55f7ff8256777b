"""Restarting what died, with backoff: `make run`'s supervisor (services/runtime/supervisor.py)
tends its embedded nats-server and its service processes with one `Restarts`.

A process found dead is started again after a pause that doubles with each crash in a row
(FIRST_PAUSE_S, 2x, ... up to LAST_PAUSE_S); one that ran STEADY_S or longer before it died
starts over at the first pause. Every death and every start is logged on stderr, one line each,
with the exit code (or the signal) and how long the process ran. A start that fails (the port is
still taken, say) counts as a crash in a row. Tending never blocks on a pause: the others are
looked after meanwhile.
"""

import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

FIRST_PAUSE_S = 1.0
LAST_PAUSE_S = 30.0
STEADY_S = 60.0


def describe_exit(code: int) -> str:
    """'exited with 1', or 'was killed by SIGKILL' for a negative Popen return code."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with {code}"


@dataclass
class _Tended:
    started_at: float
    in_a_row: int = 0  # crashes since it last ran steadily
    due: float | None = None  # when it is started again (None: it runs)
    restarts: int = 0


class Restarts:
    def __init__(self, out: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._out = out
        self._clock = clock
        self._tended: dict[str, _Tended] = {}

    def started(self, name: str) -> None:
        """`name` was started (the first time, or by hand)."""
        self._tended[name] = _Tended(self._clock())

    def restarts(self, name: str) -> int:
        return self._tended[name].restarts if name in self._tended else 0

    def tend(self, name: str, returncode: int | None, start: Callable[[], object]) -> None:
        """Look at `name` once: `returncode` None means it runs. A process found dead is given its
        pause; one whose pause is over is started with `start` (which raises when it cannot)."""
        tended = self._tended.setdefault(name, _Tended(self._clock()))
        now = self._clock()
        if returncode is None and tended.due is None:
            return
        if tended.due is None:  # just found dead
            ran = now - tended.started_at
            tended.in_a_row = 1 if ran >= STEADY_S else tended.in_a_row + 1
            pause = self._schedule(tended, now)
            self._say(f"{name} {describe_exit(returncode)} after {ran:.1f} s; restarting in {pause:.1f} s "
                      f"(crash {tended.in_a_row} in a row)")
            return
        if now < tended.due:
            return
        try:
            start()
        except Exception as exc:  # noqa: BLE001 - could not start: try again after a longer pause
            tended.in_a_row += 1
            pause = self._schedule(tended, now)
            self._say(f"{name} could not be started ({type(exc).__name__}: {exc}); trying again in {pause:.1f} s")
            return
        tended.due = None
        tended.started_at = self._clock()
        tended.restarts += 1
        self._say(f"{name} restarted (restart {tended.restarts})")

    def _schedule(self, tended: _Tended, now: float) -> float:
        pause = min(FIRST_PAUSE_S * 2 ** (tended.in_a_row - 1), LAST_PAUSE_S)
        tended.due = now + pause
        return pause

    def _say(self, line: str) -> None:
        print(f"supervisor: {line}", file=self._out or sys.stderr, flush=True)
