"""Webhook dead letters: tasks a webhook kept refusing, parked for an operator
(`overdracht dead-letters list` and `overdracht dead-letters redrive SEQ`, ops/cli/deadletters.py).

A dead letter is the task, untouched, on amv.deadletter.notify.webhooks (stream AMV_REJECTED) with
the failing webhooks, the attempts and the reasons in headers. Redriving publishes it to
amv.webhooks.redrive.<owner>.<EventType>, where notify gives it a fresh series of attempts
(WO_WEBHOOK_MAX_ATTEMPTS), skipping webhooks that already have it. It is never published to
amv.tasks.… again, so partners reading NATS do not see it twice. Redriving the same dead letter
twice within the de-duplication window is recognised and does nothing the second time.
"""

import json
from dataclasses import dataclass

import nats.js.errors
from nats.aio.client import Client as NATS

from contracts import subjects
from services.notify.delivery import (
    DEAD_LETTER_SUBJECT,
    DELIVERED,
    HEADER_ATTEMPTS,
    HEADER_DELIVERY,
    HEADER_ERROR_REASON,
    HEADER_OWNER,
    HEADER_WEBHOOKS,
)
from services.notify.webhooks import attempts_subject, owner_and_type, redrive_subject
from services.runtime.eventstore import read_stream
from services.runtime.provision import REJECTED_STREAM, WEBHOOKS_PREFIX, WEBHOOKS_STREAM

HEADER_REDRIVE_OF = "Wo-Redrive-Of"


class NotAWebhookDeadLetter(Exception):
    """The sequence names no webhook dead letter."""


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    time: str
    owner: str
    delivery_id: str
    task_type: str
    case_id: str
    attempts: int
    webhooks: tuple[str, ...]
    reason: str
    redriven_as: int | None  # sequence of the re-queued copy in AMV_WEBHOOKS
    delivered: bool  # every failing webhook has answered 2xx since

    @property
    def status(self) -> str:
        return "delivered" if self.delivered else "redriven" if self.redriven_as else "dead"


@dataclass(frozen=True)
class Redriven:
    deadletter_seq: int
    redrive_seq: int
    already: bool  # this dead letter had been redriven before (within the de-duplication window)


async def dead_letters(nc: NATS) -> list[DeadLetter]:
    """Every webhook dead letter, oldest first, with what happened to it since."""
    redrives = {
        msg.headers.get(HEADER_REDRIVE_OF): msg.seq
        for msg in await read_stream(nc, WEBHOOKS_STREAM, f"{WEBHOOKS_PREFIX}.redrive.>")
    }
    found = []
    for msg in await read_stream(nc, REJECTED_STREAM, DEAD_LETTER_SUBJECT):
        try:
            task = json.loads(msg.data)
        except ValueError:
            task = {}
        if not isinstance(task, dict):
            task = {}
        owner = msg.headers.get(HEADER_OWNER, "unknown")
        delivery_id = msg.headers.get(HEADER_DELIVERY, "unknown")
        webhooks = tuple(name for name in msg.headers.get(HEADER_WEBHOOKS, "").split(",") if name)
        found.append(
            DeadLetter(
                seq=msg.seq,
                time=msg.headers.get("Nats-Time-Stamp", ""),
                owner=owner,
                delivery_id=delivery_id,
                task_type=str(task.get("type", "?")),
                case_id=str(task.get("subject", "?")),
                attempts=int(msg.headers.get(HEADER_ATTEMPTS, "0") or 0),
                webhooks=webhooks,
                reason=msg.headers.get(HEADER_ERROR_REASON, ""),
                redriven_as=redrives.get(str(msg.seq)),
                delivered=bool(webhooks) and set(webhooks) <= await _delivered_webhooks(nc, owner, delivery_id),
            )
        )
    return found


async def _delivered_webhooks(nc: NATS, owner: str, delivery_id: str) -> set[str]:
    if owner == "unknown" or delivery_id == "unknown":
        return set()
    records = [json.loads(m.data) for m in await read_stream(nc, WEBHOOKS_STREAM, attempts_subject(owner, delivery_id))]
    return {r["webhook"] for r in records if r.get("outcome") == DELIVERED and r.get("delivery_id") == delivery_id}


async def redrive(nc: NATS, seq: int) -> Redriven:
    """Re-queue webhook dead letter `seq` for delivery."""
    js = nc.jetstream()
    try:
        stored = await js.get_msg(REJECTED_STREAM, seq, direct=True)
    except nats.js.errors.NotFoundError as exc:
        raise NotAWebhookDeadLetter(f"{REJECTED_STREAM} has no message {seq}") from exc
    headers = dict(stored.headers or {})
    if stored.subject != DEAD_LETTER_SUBJECT:
        raise NotAWebhookDeadLetter(f"message {seq} is on {stored.subject}, not a webhook dead letter")
    route = owner_and_type(headers.get("Wo-Original-Subject", ""))
    if route is None:
        raise NotAWebhookDeadLetter(f"dead letter {seq} is not a task (it came from {headers.get('Wo-Original-Subject')})")
    owner, event_type = route
    ack = await js.publish(
        redrive_subject(owner, event_type),
        stored.data,
        headers={
            "Nats-Msg-Id": f"redrive-{seq}",
            HEADER_REDRIVE_OF: str(seq),
            HEADER_DELIVERY: headers.get(HEADER_DELIVERY, ""),
        },
        timeout=5,
    )
    return Redriven(seq, ack.seq, bool(ack.duplicate))


async def consumer_dead_letters(nc: NATS) -> list[dict]:
    """Messages a service's consumer gave up on (amv.deadletter.<service>.<consumer>), besides the
    webhook ones above."""
    rows = []
    for msg in await read_stream(nc, REJECTED_STREAM, f"{subjects.DEAD_LETTER_PREFIX}.>"):
        if msg.subject == DEAD_LETTER_SUBJECT:
            continue
        rows.append({
            "seq": msg.seq,
            "kind": "consumer",
            "dead_letter_subject": msg.subject,
            "original_subject": msg.headers.get("Wo-Original-Subject", ""),
            "original": f"{msg.headers.get('Wo-Original-Stream', '')} #{msg.headers.get('Wo-Original-Sequence', '')}",
            "reason": msg.headers.get(HEADER_ERROR_REASON, ""),
        })
    return rows
