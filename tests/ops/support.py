"""What the operations tests share: the four services with their HTTP endpoints on ports of their
own, the `overdracht` CLI run as an operator runs it (a process of its own), scraping metrics."""

import asyncio
import os
import random
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import nats
from nats.aio.client import Client as NATS
from prometheus_client.parser import text_string_to_metric_families

from services.provisioning import provision_everything
from services.runtime.directory import Directory
from services.runtime.service import ServiceRuntime
from services.runtime.supervisor import SERVICES
from services.runtime.settings import Settings
from tests.support.brokers import REPO
from tests.support.system import SERVICE_CLASSES


def free_port_block(count: int = len(SERVICES)) -> int:
    """The first of `count` consecutive free loopback ports (the services' HTTP ports), below the
    kernel's ephemeral range: a port from that range can be taken by any outgoing connection
    between choosing it and a (re)started service binding it."""
    ephemeral_from = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    chooser = random.Random()
    for _ in range(200):
        base = chooser.randrange(10_000, ephemeral_from - count)
        try:
            sockets = []
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("0.0.0.0", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports")


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Endpoints:
    base: int

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.base + SERVICES.index(service)}"


class ServicesWithEndpoints:
    """The four services in this process, each serving /healthz, /readyz, /metrics and
    /projection/digest on its own port, as `make run` assigns them (base port + index)."""

    def __init__(self, nats_url: str, directory: Directory | None = None, **settings: object) -> None:
        self.nats_url = nats_url
        self.endpoints = Endpoints(free_port_block())
        self.directory = directory
        # The handoff desk (WO_HTTP_PORT) stays off: tests must not contend for one fixed port.
        self.settings = {"ack_wait_s": 2.0, "http_port": 0, **settings}
        self.running: dict[str, tuple[ServiceRuntime, NATS]] = {}

    def settings_of(self, name: str) -> Settings:
        return Settings(nats_url=self.nats_url, metrics_port=self.endpoints.base + SERVICES.index(name), **self.settings)

    async def start(self, *names: str) -> "ServicesWithEndpoints":
        await provision_everything(self.settings_of(SERVICES[0]))  # as compose's `provision` step
        for name in names or SERVICES:
            runtime = SERVICE_CLASSES[name](self.settings_of(name), self.directory)
            nc = await nats.connect(self.nats_url)
            await runtime.start(nc)
            self.running[name] = (runtime, nc)
        return self

    async def stop(self, *names: str) -> None:
        for name in names or tuple(self.running):
            runtime, nc = self.running.pop(name)
            await runtime.stop()
            await nc.close()

    def runtime(self, name: str) -> ServiceRuntime:
        return self.running[name][0]


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


async def overdracht(*args: str, nats_url: str, metrics_port: int | None = None, timeout_s: float = 60.0) -> Ran:
    """Run `overdracht ARGS` (python -m ops.cli) as its own process, as an operator would."""
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "WO_METRICS_PORT", "NATS_USER", "NATS_PASSWORD")}
    env["NATS_URL"] = nats_url
    if metrics_port is not None:
        env["WO_METRICS_PORT"] = str(metrics_port)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ops.cli", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    return Ran(process.returncode, stdout.decode(), stderr.decode())


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics, parsed with prometheus_client's own parser: {(sample name, labels): value}."""
    async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
        response = await http.get(f"{url}/metrics")
    text = response.text
    assert response.status_code == 200, text
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples: dict, name: str, **labels: str) -> float:
    """Sum of the samples called `name` whose labels include `labels`."""
    return sum(
        value for (sample, sample_labels), value in samples.items()
        if sample == name and labels.items() <= dict(sample_labels).items()
    )


async def get_json(url: str) -> tuple[int, dict]:
    async with httpx.AsyncClient(timeout=10, trust_env=False) as http:
        response = await http.get(url)
    return response.status_code, response.json()


async def settle(nc: NATS, timeout_s: float = 120.0) -> None:
    """Wait until every durable consumer has nothing left to do; on a timeout, say which had work.
    (A day is decided for every case in the session's shared store: allow for a busy machine.)"""
    from ops.quiesce import wait_until_idle
    from services.bootstrap import consumers

    try:
        await wait_until_idle(nc, timeout_s)
    except TimeoutError:
        busy = []
        for spec in consumers():
            info = await nc.jetstream().consumer_info(spec.stream, spec.durable)
            if info.num_pending or info.num_ack_pending:
                busy.append(f"{spec.durable}: pending {info.num_pending}, ack pending {info.num_ack_pending}, "
                            f"redelivered {info.num_redelivered}, waiting pulls {info.num_waiting}")
        raise AssertionError(f"still busy after {timeout_s}s: {busy}") from None
