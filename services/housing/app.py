"""housing's wiring. For now it follows intake's events and logs what it receives."""

import structlog
from nats.aio.msg import Msg

from services.runtime.eventstore import decode
from services.runtime.service import ServiceRuntime, Subscription, build_app, case_of_event_message
from services.runtime.settings import Settings

log = structlog.get_logger()


class HousingService(ServiceRuntime):
    name = "housing"

    def subscriptions(self) -> list[Subscription]:
        return [Subscription("housing-events", self.on_event, case_of_event_message)]

    async def on_event(self, msg: Msg) -> str:
        event = decode(msg.data)
        structlog.contextvars.bind_contextvars(event_id=event.id, case_id=event.subject, type=event.event_type)
        return "observed"


def create_app(settings: Settings | None = None):
    return build_app(HousingService(settings or Settings()))
