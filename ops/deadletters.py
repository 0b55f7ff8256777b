"""Webhook dead letters: tasks a webhook kept refusing, parked for an operator.

    python -m ops.deadletters list [--json]   every dead letter, and whether it was redriven and delivered since
    python -m ops.deadletters redrive SEQ     re-queue dead letter SEQ: notify tries its webhooks again

A dead letter is the task, untouched, on amv.deadletter.notify.webhooks (stream AMV_REJECTED) with
the failing webhooks, the attempts and the reasons in headers. Redriving publishes it to
amv.webhooks.redrive.<owner>.<EventType>, where notify gives it a fresh series of attempts
(WO_WEBHOOK_MAX_ATTEMPTS), skipping webhooks that already have it. It is never published to
amv.tasks.… again, so partners reading NATS do not see it twice. Redriving the same dead letter
twice within the de-duplication window is recognised and does nothing the second time.
Connects to NATS_URL (default nats://127.0.0.1:4222).
"""

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, dataclass

import nats
import nats.js.errors
from nats.aio.client import Client as NATS

from ops.rejected import connect_as_ops
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
from services.runtime.settings import Settings

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


def _table(letters: list[DeadLetter]) -> str:
    if not letters:
        return "No webhook dead letters."
    lines = [f"{'seq':>6}  {'dead-lettered at':<19}  {'status':<9}  {'owner':<16}  {'attempts':>8}  {'delivery id':<36}  reason"]
    for letter in letters:
        lines.append(
            f"{letter.seq:>6}  {letter.time[:19].replace('T', ' '):<19}  {letter.status:<9}  {letter.owner:<16}  "
            f"{letter.attempts:>8}  {letter.delivery_id:<36}  {letter.reason}"
        )
    return "\n".join(lines)


async def _run(args: argparse.Namespace) -> int:
    url = Settings().nats_url
    nc = await connect_as_ops(Settings())  # with NATS auth on (make run, compose) only ops may read these
    try:
        for stream in (REJECTED_STREAM, WEBHOOKS_STREAM):
            try:
                await nc.jetstream().stream_info(stream)
            except nats.js.errors.NotFoundError:
                print(f"{url} has no stream {stream}: is this the system's NATS (make run starts it)?", file=sys.stderr)
                return 2
        if args.command == "list":
            letters = await dead_letters(nc)
            if args.json:
                print(json.dumps([asdict(letter) | {"status": letter.status} for letter in letters], indent=2))
            else:
                print(_table(letters))
            return 0
        try:
            done = await redrive(nc, args.seq)
        except NotAWebhookDeadLetter as exc:
            print(f"cannot redrive: {exc}", file=sys.stderr)
            return 1
        if done.already:
            print(f"dead letter {done.deadletter_seq} was already redriven (as {done.redrive_seq}); nothing done")
        else:
            print(f"dead letter {done.deadletter_seq} re-queued for delivery (as {done.redrive_seq})")
        return 0
    finally:
        await nc.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.deadletters", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list webhook dead letters")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    again = commands.add_parser("redrive", help="re-queue one dead letter for delivery")
    again.add_argument("seq", type=int, help="the dead letter's sequence, as `list` shows it")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
