"""The one HTTP server stack of the project: an ASGI application (Starlette, or FastAPI on top of it)
served by uvicorn inside the process's running event loop.

Every service's /healthz, /readyz and /metrics (observability.py) and the handoff desk
(services/desk) are served this way. The process (FastStream) owns the signals, not uvicorn.
"""

import asyncio
import contextlib
import socket
from typing import Any

import uvicorn


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside the caller's event loop: it neither installs nor captures signal handlers."""

    def capture_signals(self):  # type: ignore[override]
        return contextlib.nullcontext()


class HttpServer:
    """Serves `app` on `host:port` until `stop()`; `start()` raises OSError when the port cannot be had."""

    def __init__(self, app: Any, host: str, port: int, name: str) -> None:
        self.app = app
        self.host, self.port, self.name = host, port, name
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="off", server_header=False)
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name=self.name)
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise RuntimeError(f"{self.name}: the HTTP server stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.gather(self._task, return_exceptions=True)
        self._server, self._task = None, None
