"""Refused partner reports: list them, and re-submit one once its cause is fixed
(`overdracht rejected list` and `overdracht rejected resubmit`, ops/cli/rejected.py).

A refused report is kept, byte for byte as the partner sent it, on amv.rejected.<org>.<EventType>
in the stream AMV_REJECTED, with the code, field and reason in headers (docs/partners.md).

`resubmit(SEQ)` publishes rejection SEQ's original message again to the inbox subject it was first
published to, with the header Wo-Resubmitted-From: SEQ; use it when the cause lay outside the
message (a municipality since added to the directory, a fact since reported). `--file` sends a
corrected body instead (what the partner should have sent). Either way the body is first checked
with the inbox's own validation, and nothing is published when it would be refused again.
Re-submitting the same rejection (and body) twice within the de-duplication window publishes once.
The outcome arrives as for any report: stored, or a new rejection.
"""

import hashlib
import json
from dataclasses import dataclass

import nats.js.errors
from nats.aio.client import Client as NATS
from pydantic import TypeAdapter, ValidationError

from contracts import subjects
from contracts.asyncapi import RESUBMITTED_FROM
from contracts.ids import CaseId
from contracts.inbox import Rejection, parse_inbox_message
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
    event_id: str | None = None  # the CloudEvent id of what was sent, to follow its outcome
    case_id: str | None = None


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
        raise CannotResubmit(f"message {seq} is on {stored.subject}, not a rejection (dead letters: overdracht dead-letters)")
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
    return Resubmitted(seq, subject, ack.seq, bool(ack.duplicate), *_ids_of(sent))
