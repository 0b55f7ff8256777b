"""Never alive but deaf: a service whose NATS connection is closed for good (nats-py closes it on
any error the server sends but a permissions one, such as a payload over the server's limit) leaves
with EXIT_CONNECTION_LOST so that it is started again, and /healthz says it is not alive meanwhile;
a connection that only went away (the server restarts) is alive and reconnecting, not ready."""

import asyncio
from types import SimpleNamespace

import nats
import pytest

from services.runtime import application
from services.runtime.application import EXIT_CONNECTION_LOST, build_app
from services.runtime.natsserver import EmbeddedNats
from services.runtime.observability import ServiceEndpoints, ServiceMetrics
from services.runtime.settings import Settings

pytestmark = pytest.mark.integration


class Idle:
    """A runtime that only holds its connection (what build_app runs)."""

    name = "intake"

    def __init__(self, url: str) -> None:
        self.settings = Settings(nats_url=url, log_level="WARNING", metrics_port=0, http_port=0)
        self.started = asyncio.Event()
        self.stopped = False

    async def start(self, nc) -> None:
        self.nc = nc
        self.started.set()

    async def stop(self) -> None:
        self.stopped = True


async def test_a_connection_closed_by_the_server_ends_the_service_to_be_restarted(tmp_path, monkeypatch) -> None:
    # structlog's configuration is global and binds the stdout of the moment: leave the session's alone
    monkeypatch.setattr(application, "configure_logging", lambda level: None)
    with EmbeddedNats(tmp_path / "store") as server:
        runtime = Idle(server.url)
        app = build_app(runtime)
        running = asyncio.create_task(app.run())
        await asyncio.wait_for(runtime.started.wait(), 20)
        # what nats-py does with `-ERR 'Maximum Payload Violation'` from the server: close for good
        await runtime.nc._process_err("'Maximum Payload Violation'")
        await asyncio.wait_for(running, 20)
        assert app.exit_code == EXIT_CONNECTION_LOST
        assert runtime.stopped and runtime.nc.is_closed


async def test_healthz_is_alive_while_reconnecting_and_not_once_the_connection_is_closed(tmp_path) -> None:
    with EmbeddedNats(tmp_path / "store") as server:
        nc = await nats.connect(server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        runtime = SimpleNamespace(name="intake", nc=nc, consumer_tasks=lambda: [])
        endpoints = ServiceEndpoints(runtime, ServiceMetrics("intake"), port=0)
        server.kill()
        for _ in range(100):
            if not nc.is_connected:
                break
            await asyncio.sleep(0.05)
        assert nc.is_reconnecting or not nc.is_connected
        assert (await endpoints.healthz(None)).status_code == 200  # reconnecting: alive
        assert (await endpoints.readiness())["nats"] == "not connected"
        await asyncio.to_thread(server.start)
        await nc.close()
        answer = await endpoints.healthz(None)
        assert answer.status_code == 503 and b"connection closed" in answer.body
