"""The handoff desk as a process of its own: it keeps a read model of notify's cases (folded by
notify's own decider from the store), follows the clock, and serves the web application on
WO_HTTP_HOST:WO_HTTP_PORT. It logs in to NATS as configured (`make run` and the compose files give it
notify's login: it publishes the organisations' answers to notify's inbox subjects and watches their
rejections, which notify's NATS user may). Sign-in tokens: WO_ORG_TOKENS or WO_ORG_TOKENS_FILE."""

import structlog
from faststream import FastStream
from nats.aio.client import Client as NATS

from services.desk.core import Desk
from services.desk.tokens import load_tokens
from services.desk.web import create_web_app
from services.notify.decider import decider as notify
from services.notify.state import NotifyCase
from services.runtime.eventstore import EventStore
from services.runtime.http import HttpServer
from services.runtime.projection import Projection
from services.runtime.application import build_app
from services.runtime.settings import Settings

log = structlog.get_logger()


class DeskProcess:
    """The desk's read model, its `Desk` and its HTTP server, started and stopped together."""

    name = "desk"

    def __init__(self, settings: Settings) -> None:
        if not settings.http_port:
            raise ValueError("WO_HTTP_PORT is 0, which switches the handoff desk off: there is nothing to run")
        self.settings = settings
        self.tokens = load_tokens(settings.org_tokens, settings.org_tokens_file)  # bad config: no start
        self.projection: Projection[NotifyCase] | None = None
        self.desk: Desk | None = None
        self.server: HttpServer | None = None

    async def start(self, nc: NATS) -> None:
        timeout_s = self.settings.publish_ack_timeout_s
        self.projection = Projection.of(nc, notify)  # notify's read model, folded as notify folds it
        await self.projection.start()
        self.desk = Desk(nc, self.projection, EventStore(nc, timeout_s), self.tokens, timeout_s)
        await self.desk.start()
        server = HttpServer(create_web_app(self.desk), self.settings.http_host, self.settings.http_port, "handoff-desk")
        try:
            await server.start()
        except OSError as exc:
            raise RuntimeError(f"the handoff desk cannot listen on {server.url}: {exc}") from exc
        self.server = server
        log.info("handoff desk listening", url=server.url, organisations_with_tokens=len(self.tokens))

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self.desk is not None:
            await self.desk.stop()
            self.desk = None
        if self.projection is not None:
            await self.projection.stop()
            self.projection = None


def create_app(settings: Settings | None = None) -> FastStream:
    return build_app(DeskProcess(settings or Settings()))
