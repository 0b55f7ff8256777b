"""The FastStream application around a service's runtime (or the handoff desk): it connects with
the service's own NATS login and reply inbox, starts the runtime after the connection, and stops
it cleanly; `python -m services.<name>` runs it."""

from typing import Protocol

import structlog
from faststream import FastStream
from faststream.nats import NatsBroker
from faststream.nats.security import NatsUserPassword
from nats.aio.client import Client as NATS

from services.runtime.logging import configure_logging
from services.runtime.natsauth import inbox_prefix
from services.runtime.settings import Settings


def nats_security(settings: Settings) -> NatsUserPassword | None:
    """The NATS login of the service (NATS_USER/NATS_PASSWORD), None without one."""
    login = settings.nats_login()
    if "user" in login:
        return NatsUserPassword(login["user"], login["password"])
    return None


class Runnable(Protocol):
    """What `build_app` runs: a service's runtime, or the handoff desk (services/desk/app.py)."""

    name: str
    settings: Settings

    async def start(self, nc: NATS) -> None: ...

    async def stop(self) -> None: ...


def build_app(runtime: Runnable) -> FastStream:
    """The FastStream application of a service (or the desk): connects, starts it, stops it cleanly."""
    settings = runtime.settings
    configure_logging(settings.log_level)
    broker = NatsBroker(
        settings.nats_url.split(","),
        logger=structlog.get_logger("faststream"),
        security=nats_security(settings),
        # its own reply inbox: with authentication on, a service may subscribe to no other (natsauth.py)
        inbox_prefix=inbox_prefix(settings.nats_user or runtime.name),
        # Never give up on the server: a service that stopped reconnecting would sit idle and look alive.
        max_reconnect_attempts=-1,
    )
    app = FastStream(broker, logger=structlog.get_logger("faststream"))

    @app.after_startup
    async def start_runtime() -> None:
        await runtime.start(broker.connection)

    @app.on_shutdown
    async def stop_runtime() -> None:
        await runtime.stop()

    return app

