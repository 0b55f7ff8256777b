"""notify's wiring: handoff requests from the store become tasks on amv.tasks.<owner>.…, every
change of a task is told to its owner and requester on amv.tasks.<org>.…, the owners' answers
from their inboxes are recorded, and overdue tasks are escalated when a day starts.
The handoff desk, where organisations see and answer their tasks, is services/desk."""

from nats.aio.client import Client as NATS

from contracts import subjects
from contracts.envelope import CloudEvent
from services.notify.decider import decider
from services.notify.messages import task_messages
from services.notify.state import NotifyCase
from services.notify.delivery import WebhookDelivery
from services.runtime.eventstore import encode
from services.runtime.application import build_app
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings


class NotifyService(ServiceRuntime):
    decider = decider
    webhooks: WebhookDelivery | None = None

    async def start(self, nc: NATS) -> None:
        """The service, plus webhook delivery of every task (services/notify/delivery.py); a webhook
        whose secret is not in the environment stops start-up before anything is consumed."""
        webhooks = WebhookDelivery(nc, self.directory, self.settings)
        await super().start(nc)
        self.webhooks = webhooks
        await webhooks.start()

    async def stop(self) -> None:
        if self.webhooks is not None:
            await self.webhooks.stop()
        await super().stop()

    async def before_append(self, events: list[CloudEvent], case: NotifyCase) -> None:
        """Deliver every change of a task to its owner and its requester before recording it (at
        least once): the task of a HandoffNotified, a notice of every other change (messages.py)."""
        for recipient, message in task_messages(case, events):
            await self.deliver_task(recipient, message)

    async def deliver_task(self, recipient: str, message: CloudEvent) -> None:
        await self.js.publish(
            subjects.tasks(recipient, message.event_type),
            encode(message),
            headers={"Nats-Msg-Id": message.id},
            timeout=self.settings.publish_ack_timeout_s,
        )


def create_app(settings: Settings | None = None):
    return build_app(NotifyService(settings or Settings()))
