"""`make run` (python -m services.runtime.supervisor, real processes, its own embedded nats-server)
keeps the system up: a SIGKILLed nats-server is started again on the same port and store, a
SIGKILLed service is started again, each logged; meanwhile /readyz says NATS is away, a report that
waits for its case survives the restart and is decided once the case exists, and a report sent
after both crashes is handled. The endpoints listen on loopback only."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.runtime.eventstore import read_stream
from services.runtime.natsserver import free_port
from services.runtime.supervisor import SERVICES
from tests.faults.harness import connect
from tests.ops.support import Endpoints, free_port_block
from tests.support.brokers import REPO
from tests.support.partner import eventually, new_case_id, publish

pytestmark = pytest.mark.integration
PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}
GUARDIAN = {"guardian": "nidos", "since": "2025-06-01"}
LOOPBACK_HEX = "0100007F"  # 127.0.0.1 in /proc/net/tcp


def port_with_free_monitor() -> int:
    """A free client port whose monitor port (+4000, as `make run` uses it) is free too."""
    for _ in range(100):
        port = free_port()
        if port + 4000 < 65536:
            try:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port + 4000))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port pair")


def children_of(pid: int) -> dict[int, str]:
    """pid -> command line of the processes whose parent is `pid` (read from /proc)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return found


def child_running(pid: int, marker: str) -> int:
    [found] = [child for child, cmdline in children_of(pid).items() if marker in cmdline]
    return found


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp{,6} spell them) something listens on at `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


async def http_status(url: str) -> tuple[int | None, dict]:
    try:
        async with httpx.AsyncClient(timeout=3, trust_env=False) as http:
            response = await http.get(url)
        return response.status_code, response.json()
    except (httpx.HTTPError, ValueError):
        return None, {}


async def all_ready(endpoints: Endpoints, timeout_s: float) -> None:
    for name in SERVICES:
        async def ready(name: str = name) -> bool:
            return (await http_status(f"{endpoints.url(name)}/readyz"))[0] == 200

        await eventually(ready, timeout_s, f"{name}'s /readyz 200")


async def stored(nc, case_id: str, event_type: str) -> list[dict]:
    """The case's stored events of `event_type` (any service)."""
    try:
        found = await read_stream(nc, "AMV_EVENTS", f"amv.events.*.{case_id}.{event_type}")
    except Exception:  # noqa: BLE001 - NATS not back yet
        return []
    return [json.loads(msg.data) for msg in found]


def logged(text: str, *paths: Path):
    """A probe for `eventually`: has any of `paths` logged `text`?"""

    async def probe() -> bool:
        return any(text in path.read_text(errors="replace") for path in paths)

    return probe


async def test_make_run_restarts_a_killed_nats_server_and_a_killed_service(tmp_path) -> None:
    port, endpoints = port_with_free_monitor(), Endpoints(free_port_block())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NATS_", "WO_"))} | {
        "WO_NATS_PORT": str(port), "WO_DATA_DIR": str(tmp_path / "var"), "WO_NATS_AUTH": "off", "WO_HTTP_PORT": "0",
        "WO_METRICS_PORT": str(endpoints.base), "WO_ACK_WAIT_S": "3", "WO_MAX_DELIVER": "12", "LOG_LEVEL": "INFO",
    }
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        supervisor = subprocess.Popen([sys.executable, "-m", "services.runtime.supervisor"], cwd=REPO, env=env,
                                      stdout=out, stderr=err, start_new_session=True)
    known: set[int] = set()
    nc = None
    try:
        await all_ready(endpoints, timeout_s=120)
        known |= set(children_of(supervisor.pid))
        for index, name in enumerate(SERVICES):  # make run's endpoints: on loopback only
            assert listening_addresses(endpoints.base + index) == {LOOPBACK_HEX}, name
        nc = await connect(f"nats://127.0.0.1:{port}")

        # A report that waits for its case: guardianship holds it back (RetryLater) until intake stores the permit.
        waiting_case = new_case_id()
        await publish(nc, "nidos", "GuardianAssigned", waiting_case, GUARDIAN)
        await eventually(logged('"outcome": "waiting"', stdout, stderr), 20, "the report waiting")

        nats_pid = child_running(supervisor.pid, "nats-server")
        os.kill(nats_pid, signal.SIGKILL)
        # NATS is away: every service is alive, not ready, and says why
        for name in SERVICES:
            async def says_nats_away(name: str = name) -> dict:
                status, body = await http_status(f"{endpoints.url(name)}/readyz")
                return body if status == 503 and body["checks"]["nats"] == "not connected" else {}

            await eventually(says_nats_away, 15, f"{name}'s /readyz naming NATS not connected")
        await eventually(logged("nats-server restarted", stderr), 30, "nats-server restarted")
        text = stderr.read_text()
        assert "supervisor: nats-server was killed by SIGKILL after" in text and "restarting in 1.0 s" in text, text
        new_nats = child_running(supervisor.pid, "nats-server")
        assert new_nats != nats_pid and f"-p {port} " in children_of(supervisor.pid)[new_nats]
        known.add(new_nats)
        await all_ready(endpoints, timeout_s=60)

        # The case arrives after the restart: the held-back report is decided, once.
        await publish(nc, "nidos", "ResidencePermitGranted", waiting_case, PERMIT)
        [assigned] = await eventually(lambda: stored(nc, waiting_case, "GuardianAssigned"), 60,
                                      "the held-back GuardianAssigned stored")
        assert assigned["subject"] == waiting_case

        intake = child_running(supervisor.pid, "services.intake")
        os.kill(intake, signal.SIGKILL)
        await eventually(logged("intake restarted", stderr), 30, "intake restarted")
        assert "supervisor: intake was killed by SIGKILL after" in stderr.read_text()
        known.add(child_running(supervisor.pid, "services.intake"))
        await all_ready(endpoints, timeout_s=60)

        later_case = new_case_id()
        await publish(nc, "nidos", "ResidencePermitGranted", later_case, PERMIT)
        await eventually(lambda: stored(nc, later_case, "ResidencePermitGranted"), 30, "a report after both crashes")
        assert supervisor.poll() is None
    finally:
        if nc is not None:
            await nc.close()
        known |= set(children_of(supervisor.pid))
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(60)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.wait()
        left = [pid for pid in known if Path(f"/proc/{pid}").exists() and _not_zombie(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert left == [], "make run left processes behind"
    assert "Warme Overdracht stopped." in stdout.read_text()


def _not_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
