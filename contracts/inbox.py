"""The inbox gate: turns a partner's raw message into a Report, or a Rejection naming the field.

Pure (no I/O), so partners can run the same check before they publish, and every service applies
exactly the same rules. Checks that need a case's history (unknown case, out-of-order facts) are
the owning service's rules, not this gate's.
"""

import json
from dataclasses import dataclass

from pydantic import ValidationError

from contracts import subjects
from contracts.envelope import CloudEvent, org_source
from contracts.events import DomainEvent, event_class
from contracts.ids import organisation_kind

MAX_MESSAGE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Rejection:
    """Why a report was refused: a stable machine code, the field concerned, and a human reason."""

    code: str
    reason: str
    field: str | None = None
    # True when the missing fact is another service's and may simply not be stored yet: the
    # report is retried for a while before it is finally refused.
    awaits_other_service: bool = False


@dataclass(frozen=True)
class Report:
    """A well-formed report from a partner organisation, allowed for its kind."""

    org: str
    envelope: CloudEvent
    event: DomainEvent

    @property
    def case_id(self) -> str:
        return self.envelope.subject


def _field_of(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(message)"


def _first_error(error: ValidationError, prefix: str = "") -> Rejection:
    first = error.errors()[0]
    field = prefix + _field_of(first["loc"])
    if first["type"] == "extra_forbidden":
        reason = f"unknown field '{field}' is not allowed (it may be personal data)"
    elif first["type"] == "missing":
        reason = f"field '{field}' is required"
    else:
        reason = f"field '{field}': {first['msg']}"
    code = "data-invalid" if prefix == "data." else "envelope-invalid"
    return Rejection(code=code, field=field, reason=reason)


def parse_inbox_message(subject: str, body: bytes, max_bytes: int = MAX_MESSAGE_BYTES) -> Report | Rejection:
    """Validate one message published to amv.inbox.<org>.<EventType>."""
    parsed_subject = subjects.parse_inbox(subject)
    if parsed_subject is None:
        return Rejection("subject-malformed", f"subject '{subject}' is not amv.inbox.<org>.<EventType>", "subject")
    org, event_type = parsed_subject
    kind = organisation_kind(org)
    if kind is None:
        return Rejection("unknown-organisation", f"'{org}' is not a known organisation id", "subject")
    if len(body) > max_bytes:
        return Rejection("too-large", f"message is {len(body)} bytes, the limit is {max_bytes}", "(message)")
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Rejection("not-json", f"message is not JSON: {exc}", "(message)")
    if not isinstance(raw, dict):
        return Rejection("envelope-invalid", "message must be a JSON object (a CloudEvent)", "(message)")
    try:
        envelope = CloudEvent.model_validate(raw)
    except ValidationError as exc:
        return _first_error(exc)
    cls = event_class(envelope.event_type)
    if cls is None or not cls.reporters:
        return Rejection("unknown-event-type", f"'{envelope.event_type}' is not an event partners can report", "type")
    if envelope.event_type != event_type:
        return Rejection(
            "type-mismatch", f"type '{envelope.type}' does not match subject event type '{event_type}'", "type"
        )
    if envelope.version != cls.version:
        return Rejection("unknown-version", f"'{envelope.type}': version {cls.version} is expected", "type")
    if envelope.source != org_source(org):
        return Rejection(
            "source-mismatch", f"source '{envelope.source}' is not the publishing organisation {org_source(org)}", "source"
        )
    if kind not in cls.reporters:
        allowed = ", ".join(sorted(cls.reporters))
        return Rejection("not-authorised", f"a {kind} may not report {event_type} (only: {allowed})", "type")
    try:
        event = cls.model_validate(envelope.data)
    except ValidationError as exc:
        return _first_error(exc, prefix="data.")
    return Report(org=org, envelope=envelope, event=event)
