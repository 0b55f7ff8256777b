"""notify's wiring: handoff requests from the store become tasks on amv.tasks.<owner>.…;
answers from the owners' inboxes are recorded."""

from nats.aio.msg import Msg

from contracts import subjects
from contracts.envelope import CloudEvent
from contracts.inbox import Rejection, parse_inbox_message
from services.notify import rules, state
from services.runtime.eventstore import decode, encode
from services.runtime.service import (
    ServiceRuntime,
    Subscription,
    build_app,
    case_of_event_message,
    case_of_inbox_message,
)
from services.runtime.settings import Settings


class NotifyService(ServiceRuntime):
    name = "notify"

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription("notify-handoffs", self.on_handoff_requested, case_of_event_message),
            Subscription("notify-inbox", self.on_answer, case_of_inbox_message),
        ]

    async def on_handoff_requested(self, msg: Msg) -> str:
        requested = decode(msg.data)
        task = rules.task_for(requested)

        async def deliver(_: list[CloudEvent]) -> None:
            await self.deliver_task(task)

        outcome = await self.decide_and_append(
            requested.subject, state.fold, lambda case: rules.notify_owner(case, requested), deliver
        )
        return "task-delivered" if outcome else "duplicate"

    async def deliver_task(self, task: CloudEvent) -> None:
        owner = task.data["owner"]
        await self.js.publish(
            subjects.tasks(owner, task.event_type),
            encode(task),
            headers={"Nats-Msg-Id": task.id},
            timeout=self.settings.publish_ack_timeout_s,
        )

    async def on_answer(self, msg: Msg) -> str:
        report = parse_inbox_message(msg.subject, msg.data, self.settings.max_message_bytes)
        if isinstance(report, Rejection):
            return await self.reject(msg, report)
        case_id = report.case_id
        outcome = await self.decide_and_append(case_id, state.fold, lambda case: rules.answer(case, report))
        if isinstance(outcome, Rejection):
            return await self.reject(msg, outcome)
        return "stored" if outcome else "duplicate"


def create_app(settings: Settings | None = None):
    return build_app(NotifyService(settings or Settings()))
