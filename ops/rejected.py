"""Refused partner reports: list them, and re-submit one once its cause is fixed.

    python -m ops.rejected list [--org ORG] [--code CODE] [--json]
    python -m ops.rejected resubmit SEQ [--file FIXED.json]

A refused report is kept, byte for byte as the partner sent it, on amv.rejected.<org>.<EventType>
in the stream AMV_REJECTED, with the code, field and reason in headers (docs/partners.md).

`resubmit SEQ` publishes rejection SEQ's original message again to the inbox subject it was first
published to, with the header Wo-Resubmitted-From: SEQ; use it when the cause lay outside the
message (a municipality since added to the directory, a fact since reported). `--file` sends a
corrected body instead (what the partner should have sent). Either way the body is first checked
with the inbox's own validation, and nothing is published when it would be refused again.
Re-submitting the same rejection (and body) twice within the de-duplication window publishes once.
The outcome arrives as for any report: stored, or a new rejection.

Connects to NATS_URL (default nats://127.0.0.1:4222) as the operator (NATS_USER/NATS_PASSWORD, else
the dev credentials of `make run` in WO_DATA_DIR/credentials.json, else without authentication).
"""

import argparse
import asyncio
import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS
from pydantic import TypeAdapter, ValidationError

from contracts import subjects
from contracts.asyncapi import RESUBMITTED_FROM
from contracts.ids import CaseId
from contracts.inbox import Rejection, parse_inbox_message
from services.runtime import natsauth
from services.runtime.eventstore import read_stream
from services.runtime.provision import INBOX_STREAM, REJECTED_STREAM
from services.runtime.rejections import (
    HEADER_CODE,
    HEADER_FIELD,
    HEADER_ORIGINAL_SEQUENCE,
    HEADER_ORIGINAL_SUBJECT,
    HEADER_REASON,
    HEADER_SERVICE,
)
from services.runtime.settings import Settings

_CASE_ID = TypeAdapter(CaseId)


class CannotResubmit(Exception):
    """The sequence names no rejection, or what would be sent would be refused again."""


@dataclass(frozen=True)
class RejectedReport:
    seq: int  # sequence in AMV_REJECTED: what `resubmit` takes
    time: str  # when it was refused
    org: str
    event_type: str
    code: str
    field: str
    reason: str
    original_subject: str
    original_sequence: int | None  # the report's sequence in AMV_INBOX
    rejected_by: str
    event_id: str | None  # the CloudEvent id, when the body had one
    case_id: str | None  # the case, only when it is a well-formed pseudonymous case id (never a BSN)
    resubmission_of: int | None  # the rejection this report re-submitted, if it was a re-submission


@dataclass(frozen=True)
class Resubmitted:
    rejection_seq: int
    subject: str
    inbox_seq: int
    duplicate: bool  # the same re-submission was published before: nothing new was sent


def _ids_of(body: bytes) -> tuple[str | None, str | None]:
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(message, dict):
        return None, None
    event_id = message.get("id") if isinstance(message.get("id"), str) else None
    try:
        case_id = _CASE_ID.validate_python(message.get("subject"))
    except ValidationError:
        case_id = None
    return event_id, case_id


async def _resubmissions(nc: NATS, seqs: set[int]) -> dict[int, int]:
    """Inbox sequence -> the rejection it re-submitted, for the inbox messages `seqs`."""
    found = {}
    js = nc.jetstream()
    for seq in seqs:
        try:
            msg = await js.get_msg(INBOX_STREAM, seq)
        except nats.js.errors.NotFoundError:
            continue
        origin = (msg.headers or {}).get(RESUBMITTED_FROM)
        if origin and origin.isdigit():
            found[seq] = int(origin)
    return found


async def list_rejections(nc: NATS, org: str | None = None, code: str | None = None) -> list[RejectedReport]:
    """Every refused report (of `org`, with `code`, when given), oldest first."""
    filter_subject = subjects.rejected(org, ">") if org else f"{subjects.REJECTED_PREFIX}.>"
    stored = await read_stream(nc, REJECTED_STREAM, filter_subject)
    if code:
        stored = [msg for msg in stored if msg.headers.get(HEADER_CODE) == code]
    inbox_seqs = {int(s) for msg in stored if (s := msg.headers.get(HEADER_ORIGINAL_SEQUENCE, "")).isdigit()}
    resubmissions = await _resubmissions(nc, inbox_seqs)
    found = []
    for msg in stored:
        _, _, rejected_org, event_type = (msg.subject.split(".") + ["unknown", "unknown"])[:4]
        original_sequence = msg.headers.get(HEADER_ORIGINAL_SEQUENCE, "")
        event_id, case_id = _ids_of(msg.data)
        found.append(
            RejectedReport(
                seq=msg.seq,
                time=msg.headers.get("Nats-Time-Stamp", ""),
                org=rejected_org,
                event_type=event_type,
                code=msg.headers.get(HEADER_CODE, ""),
                field=msg.headers.get(HEADER_FIELD, ""),
                reason=msg.headers.get(HEADER_REASON, ""),
                original_subject=msg.headers.get(HEADER_ORIGINAL_SUBJECT, ""),
                original_sequence=int(original_sequence) if original_sequence.isdigit() else None,
                rejected_by=msg.headers.get(HEADER_SERVICE, ""),
                event_id=event_id,
                case_id=case_id,
                resubmission_of=resubmissions.get(int(original_sequence)) if original_sequence.isdigit() else None,
            )
        )
    return found


async def resubmit(nc: NATS, seq: int, body: bytes | None = None, max_bytes: int | None = None) -> Resubmitted:
    """Publish rejection `seq`'s original message (or the corrected `body`) again to its inbox subject."""
    js = nc.jetstream()
    try:
        stored = await js.get_msg(REJECTED_STREAM, seq, direct=True)
    except nats.js.errors.NotFoundError as exc:
        raise CannotResubmit(f"{REJECTED_STREAM} has no message {seq}") from exc
    headers = dict(stored.headers or {})
    if not (stored.subject or "").startswith(subjects.REJECTED_PREFIX + "."):
        raise CannotResubmit(f"message {seq} is on {stored.subject}, not a rejection (dead letters: ops.deadletters)")
    subject = headers.get(HEADER_ORIGINAL_SUBJECT, "")
    if subjects.parse_inbox(subject) is None:
        raise CannotResubmit(f"rejection {seq} came from '{subject}', which is no inbox subject to publish to")
    sent = stored.data if body is None else body
    verdict = parse_inbox_message(subject, sent, max_bytes or Settings().max_message_bytes)
    if isinstance(verdict, Rejection):
        what = "the original" if body is None else "the corrected message"
        raise CannotResubmit(
            f"{what} would be refused again: {verdict.code} ({verdict.field}): {verdict.reason}"
            + (" — fix it and pass it with --file" if body is None else "")
        )
    msg_id = f"resubmit-{seq}" if body is None else f"resubmit-{seq}-{hashlib.sha256(body).hexdigest()[:16]}"
    ack = await js.publish(subject, sent, headers={"Nats-Msg-Id": msg_id, RESUBMITTED_FROM: str(seq)}, timeout=5)
    return Resubmitted(seq, subject, ack.seq, bool(ack.duplicate))


def table(rejected: list[RejectedReport]) -> str:
    if not rejected:
        return "No refused reports."
    lines = [f"{'seq':>6}  {'refused at':<20}  {'org':<18}  {'event type':<26}  {'code':<20}  {'case':<16}  reason"]
    for r in rejected:
        again = f" [re-submission of {r.resubmission_of}]" if r.resubmission_of else ""
        lines.append(
            f"{r.seq:>6}  {r.time[:19]:<20}  {r.org:<18}  {r.event_type:<26}  {r.code:<20}  {r.case_id or '-':<16}  "
            f"{r.reason}{again}"
        )
    return "\n".join(lines)


async def connect_as_ops(settings: Settings) -> NATS:
    """The operator's connection: the ops login from the environment, else `make run`'s dev credentials."""
    credentials = Path(os.environ.get("WO_DATA_DIR", "var")) / natsauth.CREDENTIALS_FILE
    return await nats.connect(
        settings.nats_url.split(","), connect_timeout=5, max_reconnect_attempts=2,
        **natsauth.client_options(natsauth.OPS_USER, credentials),
    )


async def _run(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        nc = await connect_as_ops(settings)
    except (OSError, nats.errors.Error) as exc:
        print(f"cannot connect to NATS at {settings.nats_url}: {exc!r}", file=sys.stderr)
        return 2
    try:
        try:
            await nc.jetstream().stream_info(REJECTED_STREAM)
        except nats.js.errors.NotFoundError:
            print(f"{settings.nats_url} has no stream {REJECTED_STREAM}: is this the system's NATS?", file=sys.stderr)
            return 2
        if args.command == "list":
            rejected = await list_rejections(nc, args.org, args.code)
            print(json.dumps([asdict(r) for r in rejected], indent=2) if args.json else table(rejected))
            return 0
        body = Path(args.file).read_bytes() if args.file else None
        try:
            done = await resubmit(nc, args.seq, body, settings.max_message_bytes)
        except CannotResubmit as exc:
            print(f"not re-submitted: {exc}", file=sys.stderr)
            return 1
        if done.duplicate:
            print(f"rejection {done.rejection_seq} was re-submitted before (inbox message {done.inbox_seq}): nothing sent")
        else:
            print(f"rejection {done.rejection_seq} re-submitted to {done.subject} as inbox message {done.inbox_seq}; "
                  f"`python -m ops.rejected list` shows it if it is refused again")
        return 0
    finally:
        await nc.close()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m ops.rejected", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="{list,resubmit}")
    listing = commands.add_parser(
        "list", help="list refused reports, oldest first",
        description="List refused reports, oldest first: sequence (for resubmit), organisation, event type, code, "
        "case and the reason naming the field.",
    )
    listing.add_argument("--org", help="only this organisation's, e.g. nidos or gm0855")
    listing.add_argument("--code", help="only with this code, e.g. unknown-municipality (docs/partners.md lists them)")
    listing.add_argument("--json", action="store_true", help="print JSON (one object per rejection) instead of a table")
    again = commands.add_parser(
        "resubmit", help="publish a refused report again, as it was or corrected",
        description="Publish rejection SEQ's original message again to its inbox subject (header "
        f"{RESUBMITTED_FROM}: SEQ), or the corrected message in FIXED.json. Nothing is sent when the inbox "
        "would refuse it again.",
    )
    again.add_argument("seq", type=int, help="the rejection's sequence, as `list` shows it")
    again.add_argument("--file", metavar="FIXED.json", help="send this corrected CloudEvent instead of the original")
    return root


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(_run(parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
