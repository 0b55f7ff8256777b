"""Refused reports: the original message, untouched, on amv.rejected.<org>.<EventType>.

The code, reason and field travel in headers so the body stays byte-for-byte what the partner
sent; an operator can fix and re-submit it, and the partner can read why on its own subject.
A message refused as too large (or over COPY_MAX) is not copied: its rejection has an empty body and says the size in
Wo-Original-Bytes, so the rejection always fits in a NATS message (the server's max_payload counts
headers and body together; a copy of a 1 MiB report would exceed it and cost the connection).
The reason is one line of at most REASON_MAX characters and names the field, never a value.
"""

from nats.js import JetStreamContext

from contracts import subjects
from contracts.inbox import Rejection

HEADER_CODE = "Wo-Error-Code"
HEADER_REASON = "Wo-Error-Reason"
HEADER_FIELD = "Wo-Error-Field"
HEADER_ORIGINAL_SUBJECT = "Wo-Original-Subject"
HEADER_ORIGINAL_SEQUENCE = "Wo-Original-Sequence"
HEADER_SERVICE = "Wo-Rejected-By"
HEADER_ORIGINAL_BYTES = "Wo-Original-Bytes"
REASON_MAX = 500
NOT_COPIED = frozenset({"too-large"})  # codes whose message is not copied into the rejection
COPY_MAX = 512 * 1024  # nor is any message larger than this, whatever WO_MAX_MESSAGE_BYTES says (NATS: 1 MiB)


def _token(value: str) -> str:
    cleaned = "".join(ch for ch in value if ch.isalnum() or ch in "-_")
    return cleaned or "unknown"


def rejected_subject(inbox_subject: str) -> str:
    """amv.rejected.<org>.<EventType> for an inbox subject, even a malformed one."""
    parts = inbox_subject.split(".")
    org = _token(parts[2]) if len(parts) > 2 else "unknown"
    event_type = _token(parts[3]) if len(parts) > 3 else "unknown"
    return subjects.rejected(org, event_type)


async def publish_rejection(
    js: JetStreamContext,
    inbox_subject: str,
    inbox_sequence: int,
    body: bytes,
    rejection: Rejection,
    service: str,
    timeout_s: float,
) -> None:
    headers = {
        # One rejection per inbox message, however often it is redelivered.
        "Nats-Msg-Id": f"rejected-{inbox_sequence}",
        HEADER_CODE: rejection.code,
        HEADER_REASON: _one_line(rejection.reason)[:REASON_MAX],
        HEADER_FIELD: _one_line(rejection.field or "")[:REASON_MAX],
        HEADER_ORIGINAL_SUBJECT: inbox_subject,
        HEADER_ORIGINAL_SEQUENCE: str(inbox_sequence),
        HEADER_ORIGINAL_BYTES: str(len(body)),
        HEADER_SERVICE: service,
    }
    copy = b"" if rejection.code in NOT_COPIED or len(body) > COPY_MAX else body
    await js.publish(rejected_subject(inbox_subject), copy, headers=headers, timeout=timeout_s)


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")
