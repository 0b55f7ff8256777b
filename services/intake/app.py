"""intake's wiring: partner reports about the application in, through the gate and the rules,
into the store; and the triage of inbox messages that no service owns."""

from nats.aio.msg import Msg

from contracts import subjects
from contracts.events import EVENT_TYPES
from contracts.inbox import Rejection, parse_inbox_message
from services.intake.decider import decider
from services.runtime.application import build_app
from services.runtime.service import ServiceRuntime, Subscription, case_of_inbox_message
from services.runtime.settings import Settings


class IntakeService(ServiceRuntime):
    decider = decider

    def subscriptions(self) -> list[Subscription]:
        return [*super().subscriptions(), Subscription("inbox-triage", self.on_any_inbox_message, case_of_inbox_message)]

    async def on_any_inbox_message(self, msg: Msg) -> str:
        """Reject what no service's consumer would ever read: a malformed subject or an unknown type."""
        parsed = subjects.parse_inbox(msg.subject)
        if parsed is None or parsed[1] not in EVENT_TYPES or not EVENT_TYPES[parsed[1]].reporters:
            rejection = parse_inbox_message(
                msg.subject, msg.data, self.settings.max_message_bytes, msg.metadata.timestamp
            )
            if not isinstance(rejection, Rejection):  # cannot happen: the gate knows the same types
                rejection = Rejection("unknown-event-type", f"no service handles {msg.subject}", "subject")
            return await self.reject(msg, rejection)
        return "owned-elsewhere"


def create_app(settings: Settings | None = None):
    return build_app(IntakeService(settings or Settings()))
