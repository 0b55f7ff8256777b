"""The supervisor's backoff (services/runtime/restarts.py), on a clock of our own."""

import io

from services.runtime.restarts import FIRST_PAUSE_S, LAST_PAUSE_S, STEADY_S, Restarts, describe_exit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tended() -> tuple[Restarts, Clock, io.StringIO, list[str]]:
    clock, out, starts = Clock(), io.StringIO(), []
    restarts = Restarts(out, clock)
    restarts.started("nats-server")
    return restarts, clock, out, starts


def test_a_dead_process_is_started_after_a_pause_that_doubles_with_each_crash_in_a_row() -> None:
    restarts, clock, out, starts = tended()
    pauses = []
    for _ in range(8):
        clock.now += 1  # dies a second after each start
        restarts.tend("nats-server", -9, lambda: starts.append(clock.now))
        died = clock.now
        while len(starts) < len(pauses) + 1:
            restarts.tend("nats-server", -9, lambda: starts.append(clock.now))
            clock.now += 0.25
        pauses.append(starts[-1] - died)
    assert pauses == [FIRST_PAUSE_S, 2.0, 4.0, 8.0, 16.0, LAST_PAUSE_S, LAST_PAUSE_S, LAST_PAUSE_S]
    log = out.getvalue().splitlines()
    assert log[0] == "supervisor: nats-server was killed by SIGKILL after 1.0 s; restarting in 1.0 s (crash 1 in a row)"
    assert log[1] == "supervisor: nats-server restarted (restart 1)"
    assert restarts.restarts("nats-server") == 8


def test_one_that_ran_steadily_starts_over_and_a_running_one_is_left_alone() -> None:
    restarts, clock, out, starts = tended()
    for _ in range(3):
        clock.now += 1
        restarts.tend("nats-server", 1, lambda: starts.append(clock.now))
        clock.now += 60
        restarts.tend("nats-server", 1, lambda: starts.append(clock.now))
    clock.now += STEADY_S
    restarts.tend("nats-server", None, lambda: starts.append(clock.now))
    assert len(starts) == 3
    restarts.tend("nats-server", 1, lambda: starts.append(clock.now))
    assert out.getvalue().splitlines()[-1].endswith("restarting in 1.0 s (crash 1 in a row)")


def test_a_start_that_fails_is_tried_again_later_and_said() -> None:
    restarts, clock, out, _ = tended()

    def cannot() -> None:
        raise RuntimeError("port 4222 in use")

    restarts.tend("nats-server", 1, cannot)
    clock.now += FIRST_PAUSE_S
    restarts.tend("nats-server", 1, cannot)
    assert "nats-server could not be started (RuntimeError: port 4222 in use); trying again in 2.0 s" in out.getvalue()
    assert restarts.restarts("nats-server") == 0


def test_exit_codes_and_signals_are_named() -> None:
    assert describe_exit(75) == "exited with 75"
    assert describe_exit(-15) == "was killed by SIGTERM"
