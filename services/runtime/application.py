"""The FastStream application around a service's runtime (or the handoff desk): it connects with
the service's own NATS login and reply inbox, starts the runtime after the connection, and stops
it cleanly; `python -m services.<name>` runs it.

Never alive but deaf: the client reconnects for ever after the server went away, but a connection
the client closes for good (nats-py does so on any error the server sends but a permissions one,
e.g. a payload over the server's limit or an authorization violation at a reconnect) ends the
process with EXIT_CONNECTION_LOST, so that whoever runs it (`make run`'s supervisor, docker's
restart policy) starts it again with a fresh connection.
"""

from typing import Any, Protocol

import nats.errors
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


EXIT_CONNECTION_LOST = 75  # EX_TEMPFAIL: the NATS connection was closed for good; start the service again


class ServiceApp(FastStream):
    """FastStream with the code the process exits with (0 after a stop asked for)."""

    exit_code: int = 0

    async def run(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().run(*args, **kwargs)
        except nats.errors.ConnectionClosedError:
            if not self.exit_code:
                raise
            # leaving because the connection was closed for good: stopping the broker cannot drain it


def build_app(runtime: Runnable) -> ServiceApp:
    """The FastStream application of a service (or the desk): connects, starts it, stops it cleanly,
    and exits when its connection is closed for good."""
    settings = runtime.settings
    configure_logging(settings.log_level)
    log = structlog.get_logger()
    stopping = False

    async def connection_closed() -> None:
        if stopping:
            return  # our own shutdown closed it
        try:
            error = broker.connection.last_error
        except Exception:  # noqa: BLE001 - no connection object: nothing to say about it
            error = None
        log.error("NATS connection closed for good; exiting so that the service is started again",
                  service=runtime.name, error=repr(error)[:300], exit_code=EXIT_CONNECTION_LOST)
        app.exit_code = EXIT_CONNECTION_LOST
        app.exit()

    broker = NatsBroker(
        settings.nats_url.split(","),
        logger=structlog.get_logger("faststream"),
        security=nats_security(settings),
        # its own reply inbox: with authentication on, a service may subscribe to no other (natsauth.py)
        inbox_prefix=inbox_prefix(settings.nats_user or runtime.name),
        # Never give up on the server: a service that stopped reconnecting would sit idle and look alive.
        max_reconnect_attempts=-1,
        closed_cb=connection_closed,
    )
    app = ServiceApp(broker, logger=structlog.get_logger("faststream"))

    @app.after_startup
    async def start_runtime() -> None:
        await runtime.start(broker.connection)

    @app.on_shutdown
    async def stop_runtime() -> None:
        nonlocal stopping
        stopping = True
        try:
            await runtime.stop()
        except Exception as exc:  # noqa: BLE001 - leaving because the connection is gone: unsubscribing fails too
            if not app.exit_code:
                raise
            log.warning("stopped without a connection", service=runtime.name, error=repr(exc)[:300])

    return app

