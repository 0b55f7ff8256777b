"""The whole single-node stack of deploy/docker-compose.yml in containers, end to end.

Images from `make images` (built locally, no registry; tests/deploy/images.py starts the build in
the background when the session begins). The stack comes up under a project name and host ports
of its own, with NATS authentication on. Nidos then reports a case as a partner does, logged in
with the password nats-auth generated (read the way docs/operations.md tells operators to), and
the municipality receives its warm-handoff task. Then notify, the service that delivers tasks, is
killed with SIGKILL the moment that task is out, as a crash would kill it; a second case is
reported right away, before notify can be back, and a third once it is back. The restart policy must bring it back by
itself, and every expected task must be stored exactly once and reach the municipality with one
CloudEvent id each. The container healthcheck must pass in every service under authentication.
Time runs by itself: the one-shot `clock` step provisioned the clock's one schedule (every two
seconds here, WO_CLOCK_SCHEDULE), which fires into amv.clock.day, and every service handles the
day it starts (today, in Europe/Amsterdam) and refuses the ones after it (the same day again).
Everything is torn down (`down --volumes`), also on failure.

A Docker engine is required (our machines and CI have one): without it the test fails saying so.
"""

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import nats
import pytest

from contracts import subjects
from contracts.clock import HEADER_SCHEDULER, today
from ops.quiesce import wait_until_idle
from services.runtime.clock import clock_messages, current_day, stored_schedule
from services.runtime.eventstore import read_stream
from services.runtime.natsserver import free_port
from services.runtime.supervisor import SERVICES
from tests.deploy.images import E2E_TIMES, IMAGE_BUILD, REPO, ImageBuild
from tests.support.partner import eventually, new_case_id, publish

COMPOSE_FILE = "deploy/docker-compose.yml"
ENV_FILE = ".env.example"
IMAGES = {  # as `make images` tags them (Makefile, "Containers")
    "NATS_IMAGE": "warme-overdracht/nats:local",
    "PYTHON_IMAGE": "warme-overdracht/python-base:local",
    "SERVICE_IMAGE": "warme-overdracht/service:local",
}
KILLED = "notify"  # it delivers the tasks: while it is down none can arrive
CREDENTIALS = "/var/lib/warme-overdracht/nats-auth/credentials.json"  # in the volume nats-auth
MUNICIPALITY = "gm0855"  # Tilburg, GM0855 in deploy/organisations.yaml
# What one case below (a residence permit in GM0855, then the filed application) asks for: Tilburg
# plans the transition meeting and looks for a family home (services/intake/rules.py).
EXPECTED_PER_CASE = Counter({(MUNICIPALITY, "plan-transition-meeting"): 1, (MUNICIPALITY, "plan-family-housing"): 1})

# A message a killed service held unacknowledged is redelivered after WO_ACK_WAIT_S (30 s by
# default): shorter here, so the test does not sit waiting for it. Handlers take milliseconds.
SETTINGS = {"WO_ACK_WAIT_S": "5.0"}
# The clock's schedule: every two seconds instead of every midnight, so the test sees it fire.
TEST_SCHEDULE = "*/2 * * * * *"
SETTINGS["WO_CLOCK_SCHEDULE"] = TEST_SCHEDULE

IMAGES_TIMEOUT_S = 900.0  # from an empty engine `make images` takes about 3 minutes here
UP_TIMEOUT_S = 240.0
READY_TIMEOUT_S = 90.0
TASK_TIMEOUT_S = 45.0


def fail_without_engine(why: str) -> None:
    pytest.fail(f"{why}\nThe compose end-to-end test needs a Docker engine with docker-compose.", pytrace=False)


def engine_answers_or_fail() -> None:
    for tool in ("docker", "docker-compose"):
        if shutil.which(tool) is None:
            fail_without_engine(f"`{tool}` is not installed.")
    try:
        info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                              capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        fail_without_engine("The Docker engine did not answer `docker info` within 30 s.")
    if info.returncode != 0 or not info.stdout.strip():
        fail_without_engine(f"The Docker engine does not answer: {(info.stderr or info.stdout).strip()}")


class Stack:
    """deploy/docker-compose.yml under a project name and free host ports of its own."""

    def __init__(self) -> None:
        self.project = f"wo-e2e-{secrets.token_hex(4)}"
        ports: set[int] = set()
        while len(ports) < 3 + len(SERVICES):
            ports.add(free_port())
        names = ["NATS_HOST_PORT", "NATS_MONITOR_HOST_PORT", "DESK_HOST_PORT"] + [f"{s.upper()}_METRICS_HOST_PORT" for s in SERVICES]
        self.ports = dict(zip(names, sorted(ports)))
        # Only .env.example's defaults and these: nothing of the caller's environment that the file reads.
        documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (REPO / ENV_FILE).read_text(), re.M))
        self.env = {k: v for k, v in os.environ.items() if k not in documented}
        self.env |= IMAGES | SETTINGS | {name: str(port) for name, port in self.ports.items()}
        self.times: dict[str, float] = {}  # phase -> seconds, for the session's summary
        self._containers: dict[str, str] = {}

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.ports['NATS_HOST_PORT']}"

    def endpoint(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[f'{service.upper()}_METRICS_HOST_PORT']}{path}"

    def compose(self, *args: str, timeout_s: float = 60.0) -> str:
        command = ["docker-compose", "--env-file", ENV_FILE, "-p", self.project, "-f", COMPOSE_FILE, *args]
        return run(command, timeout_s, env=self.env)

    def container(self, service: str) -> str:
        """The service's container id (kept across restarts), from one `docker ps` for them all:
        quicker than asking docker-compose each time."""
        if service not in self._containers:
            listed = run(["docker", "ps", "--all", "--filter", f"label=com.docker.compose.project={self.project}",
                          "--format", '{{.Label "com.docker.compose.service"}} {{.ID}}'], 30)
            self._containers = dict(line.split() for line in listed.splitlines() if line.strip())
        return self._containers[service]

    def inspect(self, service: str, template: str) -> str:
        return run(["docker", "inspect", "-f", template, self.container(service)], 30).strip()

    def logs(self, lines: int = 40) -> str:
        try:
            return self.compose("logs", "--no-color", f"--tail={lines}", timeout_s=60)
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            return f"(no logs: {exc})"

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "10", timeout_s=180)


def run(command: list[str], timeout_s: float, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{' '.join(command)}: no end after {timeout_s:.0f}s") from exc
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


@pytest.fixture(scope="module")
def stack(request):
    engine_answers_or_fail()
    times = request.config.stash.get(E2E_TIMES, {})
    build = request.config.stash.get(IMAGE_BUILD, None)
    if build is None:  # the session did not start it (tests/deploy/conftest.py): build now
        build = request.config.stash[IMAGE_BUILD] = ImageBuild()
    waiting = time.monotonic()
    code = build.wait(IMAGES_TIMEOUT_S)
    times["waited_for_images"] = time.monotonic() - waiting
    if code != 0:
        outcome = f"did not finish within {IMAGES_TIMEOUT_S:.0f}s" if code is None else f"failed with exit code {code}"
        pytest.fail(f"`make images` {outcome}; the end of {build.log}:\n{build.tail()}", pytrace=False)

    stack = Stack()
    started = time.monotonic()
    try:
        try:
            # nats-auth, NATS, nats-ready and the four services, in their order (depends_on)
            stack.compose("up", "-d", "--no-build", timeout_s=UP_TIMEOUT_S)
        except AssertionError:
            print(stack.logs())
            raise
        stack.times = times
        times["up"] = time.monotonic() - started
        yield stack
    finally:
        tearing_down = time.monotonic()
        stack.down()
        times["down"] = time.monotonic() - tearing_down
        times["stack"] = time.monotonic() - started


# --- the play ---------------------------------------------------------------------------------


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


async def ready(stack: Stack, services: tuple[str, ...]) -> None:
    async def probe() -> bool:
        codes = await asyncio.gather(*(asyncio.to_thread(http_status, stack.endpoint(s, "/readyz")) for s in services))
        return all(code == 200 for code in codes)

    await eventually(probe, READY_TIMEOUT_S, f"/readyz of {', '.join(services)} to answer 200")


def logins(stack: Stack) -> dict[str, dict[str, str]]:
    """Every user's nats.connect keywords, read from the volume as an operator does (docs/operations.md)."""
    document = json.loads(stack.compose("run", "--rm", "-T", "nats-auth", "cat", CREDENTIALS, timeout_s=60))
    return {
        name: {"user": name, "password": entry["password"], "inbox_prefix": entry["inbox_prefix"]}
        for name, entry in document["users"].items()
    }


async def report_a_case(nidos, case_id: str) -> None:
    """Nidos reports a ten-year-old's residence permit in Tilburg and the filed application."""
    today = date.today()
    permit = {"date_of_birth": f"{today.year - 10}-05-17", "municipality": "GM0855", "permit_date": today.isoformat()}
    await publish(nidos, "nidos", "ResidencePermitGranted", case_id, permit)
    await publish(nidos, "nidos", "ApplicationFiled", case_id, {"filed_on": today.isoformat()})


async def stored_tasks(ops, case_ids: list[str]) -> Counter:
    """(case, owner, kind) of every task stored in AMV_TASKS about these cases, counted."""
    found = Counter()
    for msg in await read_stream(ops, "AMV_TASKS", "amv.tasks.*.TaskOpened"):
        task = json.loads(msg.data)
        if task["subject"] in case_ids:
            found[(task["subject"], msg.subject.split(".")[2], task["data"]["kind"])] += 1
    return found


def expected(case_ids: list[str]) -> Counter:
    return Counter({(case, owner, kind): n for case in case_ids for (owner, kind), n in EXPECTED_PER_CASE.items()})


async def crash(stack: Stack, service: str) -> bool:
    """SIGKILL the service's process, as the kernel's OOM killer or a fatal fault would.
    True when the restart policy is to bring it back, False when an operator must start it."""
    pid = int(await asyncio.to_thread(stack.inspect, service, "{{.State.Pid}}"))
    if Path(f"/proc/{pid}/cmdline").exists() and f"services.{service}" in Path(f"/proc/{pid}/cmdline").read_text():
        os.kill(pid, signal.SIGKILL)  # the engine sees the container die: `restart: unless-stopped` applies
        return True
    # The engine runs on another machine (its processes are not ours to see). `docker kill` is then
    # the way, but the engine takes it for an operator's stop and the restart policy does not restart
    # the container (measured on Docker 20.10): the test starts it as the operator would.
    await asyncio.to_thread(run, ["docker", "kill", stack.container(service)], 60)
    return False


async def healthchecks(stack: Stack, services: tuple[str, ...]) -> dict[str, str]:
    """The image's HEALTHCHECK command run now in these service containers (Docker's own first run
    comes only after its 30 s interval): service -> its answer; `run` fails on a non-zero exit."""
    async def check(service: str) -> str:
        command = ["docker", "exec", stack.container(service), "python", "/opt/warme-overdracht/healthcheck.py"]
        return (await asyncio.to_thread(run, command, 60)).strip()

    return dict(zip(services, await asyncio.gather(*(check(s) for s in services))))


async def the_clock_runs_by_itself(stack: Stack, ops) -> None:
    """The `clock` step provisioned one schedule and exited; it fires, and every service handles its days."""
    js = ops.jetstream()
    schedule = await eventually(lambda: stored_schedule(js), 60, "the clock step to provision the schedule")
    assert (schedule["Nats-Schedule"], schedule["Nats-Schedule-Target"], schedule["Nats-Schedule-Time-Zone"]) == (
        TEST_SCHEDULE, subjects.CLOCK_DAY, "Europe/Amsterdam")
    info = await js.stream_info("AMV_CLOCK", subjects_filter=f"{subjects.CLOCK_PREFIX}.schedule.>")
    assert info.state.subjects == {subjects.CLOCK_SCHEDULE: 1}, "one schedule, not one per service"
    assert await asyncio.to_thread(stack.inspect, "clock", "{{.State.Status}} {{.State.ExitCode}}") == "exited 0"

    async def fired_twice() -> list:
        fired = [m for m in await clock_messages(ops) if m.headers.get(HEADER_SCHEDULER) == subjects.CLOCK_SCHEDULE]
        return fired if len(fired) >= 2 else []

    fired = await eventually(fired_twice, 30, "the schedule to fire twice")

    async def handled() -> bool:
        floors = [(await js.consumer_info("AMV_CLOCK", f"{s}-clock")).ack_floor.stream_seq for s in SERVICES]
        return all(floor >= fired[1].seq for floor in floors)

    await eventually(handled, 30, "every service to handle the days the schedule started")
    assert await current_day(ops) == today(datetime.now(UTC))  # the day it was stored, in Europe/Amsterdam


async def test_the_stack_plays_cases_and_recovers_from_a_killed_service_delivering_every_task_once(stack):
    connections, background = [], []
    clock = time.monotonic()
    try:
        reading_logins = asyncio.create_task(asyncio.to_thread(logins, stack))  # meanwhile
        background.append(reading_logins)
        await ready(stack, SERVICES)
        stack.times["ready"] = time.monotonic() - clock
        login = await reading_logins
        # The healthcheck logs in as the service: run it in the others while the play goes on.
        others = tuple(s for s in SERVICES if s != KILLED)
        checking_others = asyncio.create_task(healthchecks(stack, others))
        background.append(checking_others)

        async def connect(user: str):
            nc = await nats.connect(stack.nats_url, connect_timeout=5, max_reconnect_attempts=3, **login[user])
            connections.append(nc)
            return nc

        nidos, municipality, ops = await asyncio.gather(connect("nidos"), connect(MUNICIPALITY), connect("ops"))
        received: list[dict] = []  # tasks as the municipality receives them, as a partner subscribes

        async def on_task(msg) -> None:
            received.append(json.loads(msg.data))

        await municipality.subscribe(f"amv.tasks.{MUNICIPALITY}.>", cb=on_task)
        await municipality.flush()

        async def arrived(case_id: str, at_least: int) -> bool:
            return len({t["data"]["kind"] for t in received if t["subject"] == case_id}) >= at_least

        first, while_down, after = new_case_id(), new_case_id(), new_case_id()
        await report_a_case(nidos, first)
        await eventually(lambda: arrived(first, 1), TASK_TIMEOUT_S, f"{MUNICIPALITY}'s first task for {first}")

        # A task is out: kill notify now, perhaps before it acknowledged what made it, or sent the other.
        restarts_before = int(await asyncio.to_thread(stack.inspect, KILLED, "{{.RestartCount}}"))
        by_policy = await crash(stack, KILLED)
        killed = time.monotonic()
        await report_a_case(nidos, while_down)
        if not by_policy:
            await asyncio.to_thread(stack.compose, "start", KILLED)

        async def back() -> bool:
            state = await asyncio.to_thread(stack.inspect, KILLED, "{{.RestartCount}} {{.State.Running}}")
            count, running = state.split()
            return running == "true" and int(count) > restarts_before

        if by_policy:
            await eventually(back, 30, f"the restart policy to start {KILLED} again")
        await ready(stack, (KILLED,))
        stack.times["recovered"] = time.monotonic() - killed
        await report_a_case(nidos, after)
        cases = [first, while_down, after]
        kinds = sum(1 for owner, _ in EXPECTED_PER_CASE if owner == MUNICIPALITY)
        for case_id in cases:
            await eventually(lambda c=case_id: arrived(c, kinds), TASK_TIMEOUT_S, f"{MUNICIPALITY}'s tasks for {case_id}")
        await wait_until_idle(ops, timeout_s=30)

        assert await stored_tasks(ops, cases) == expected(cases)  # each once in AMV_TASKS
        # The municipality got each of its tasks, with one CloudEvent id: one sent again after the
        # crash (the contract is at least once, README "Task delivery") carries the same id.
        ids: dict[tuple[str, str], set[str]] = {}
        for task in received:
            if task["subject"] in cases:
                ids.setdefault((task["subject"], task["data"]["kind"]), set()).add(task["id"])
        assert {key: len(v) for key, v in ids.items()} == {
            (case, kind): 1 for (case, owner, kind) in expected(cases) if owner == MUNICIPALITY
        }

        await the_clock_runs_by_itself(stack, ops)

        # nothing else needed help: only the killed service restarted, once
        restarts = {s: int(await asyncio.to_thread(stack.inspect, s, "{{.RestartCount}}")) for s in SERVICES}
        assert restarts == {s: (restarts_before + by_policy if s == KILLED else 0) for s in SERVICES}
        answers = await checking_others | await healthchecks(stack, (KILLED,))
        assert all(answer.startswith("healthy:") for answer in answers.values()), answers
    except BaseException:
        print(stack.logs())
        raise
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        for nc in connections:
            await nc.close()
