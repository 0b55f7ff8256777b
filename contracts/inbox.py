"""The inbox gate: turns a partner's raw message into a Report, or a Rejection naming the field.

Pure (no I/O), so partners can run the same check before they publish, and every service applies
exactly the same rules. Validation is strict JSON: what the published JSON Schema says is what is
accepted, nothing is coerced ("3" is not a number, "2026-01-10T00:00:00" not a date). Checks that
need a case's history (unknown case, out-of-order facts) are the owning service's rules, not this
gate's; their codes are in `REJECTION_CODES` too, so partners find every code in one place.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from contracts import subjects
from contracts.bounds import DATE_RANGES, event_time_out_of_range, receipt_day
from contracts.envelope import CloudEvent, org_source, type_name
from contracts.events import DomainEvent, event_class
from contracts.events.base import PERSONAL_DATA_ERROR
from contracts.events.versions import PREVIOUS_VERSIONS, upcast
from contracts.ids import organisation_kind
from contracts.rejections import REJECTION_CODES, Rejection  # REJECTION_CODES: re-exported, partners read it here

MAX_MESSAGE_BYTES = 64 * 1024
MAX_DEPTH = 32  # levels of JSON objects and arrays; the envelope is level 1, its data level 2
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_MORE_PROBLEMS_SHOWN = 3


@dataclass(frozen=True)
class Report:
    """A well-formed report from a partner organisation, allowed for its kind.

    `envelope` is what the partner sent (stored as it is, in the version it was sent in);
    `event` is its data as the current version of the event type."""

    org: str
    envelope: CloudEvent
    event: DomainEvent

    @property
    def case_id(self) -> str:
        return self.envelope.subject


def _not_json_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _field_of(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(message)"


def _depth(value: Any) -> int:
    """How deeply objects and arrays nest in a parsed JSON value (a scalar: 0), walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _problem(error: dict, prefix: str) -> tuple[str, str]:
    field = prefix + _field_of(error["loc"])
    if error["type"] == "extra_forbidden":
        return field, f"unknown field '{field}' is not allowed (it may be personal data)"
    if error["type"] == "missing":
        return field, f"field '{field}' is required"
    return field, f"field '{field}': {error['msg']}"


def _invalid(error: ValidationError, prefix: str = "") -> Rejection:
    """The first problem names the field; the reason mentions a few more, so one fix round suffices."""
    problems = [_problem(e, prefix) for e in error.errors(include_url=False)]
    field, reason = problems[0]
    others = [f"'{f}'" for f, _ in problems[1:]]
    if others:
        shown = ", ".join(others[:_MORE_PROBLEMS_SHOWN]) + (", ..." if len(others) > _MORE_PROBLEMS_SHOWN else "")
        reason += f" (and {len(others)} more: {shown})"
    code = "data-invalid" if prefix == "data." else "envelope-invalid"
    if error.errors()[0]["type"] == PERSONAL_DATA_ERROR:
        code = "personal-data"
    return Rejection(code=code, field=field, reason=reason)


def _model_for_version(envelope: CloudEvent, current: type[DomainEvent]) -> type[DomainEvent] | Rejection:
    """The model to validate the data with: the current version, or a previous one while the inbox
    still accepts it (contracts/versions.py, docs/versioning.md)."""
    if envelope.version == current.version:
        return current
    now = type_name(envelope.event_type, current.version)
    previous = PREVIOUS_VERSIONS.get((envelope.event_type, envelope.version))
    if previous is None:
        accepted = [f"v{current.version}"] + [
            f"v{version} (until {p.accepted_until})"
            for (event_type, version), p in sorted(PREVIOUS_VERSIONS.items())
            if event_type == envelope.event_type and p.accepted_until
        ]
        return Rejection(
            "unknown-version",
            f"field 'type': not an accepted version of {envelope.event_type}: send {now} (accepted: {', '.join(accepted)})",
            "type",
        )
    made_on = envelope.time.astimezone(_AMSTERDAM).date()
    if previous.accepted_until is None or made_on > previous.accepted_until:
        until = f" after {previous.accepted_until}" if previous.accepted_until else ""
        return Rejection(
            "version-retired",
            f"field 'type': v{envelope.version} of {envelope.event_type} is no longer accepted{until}: send {now} (docs/versioning.md)",
            "type",
        )
    return previous.model


def _date_out_of_range(event_type: str, data: DomainEvent, received_at: datetime) -> Rejection | None:
    """The first reported date outside its plausible range (contracts/bounds.py), if any."""
    day = receipt_day(received_at)
    for name in type(data).model_fields:
        plausible = DATE_RANGES.get((event_type, name))
        value = getattr(data, name)
        if plausible is None or value is None:
            continue
        broken = plausible.check(value, day)
        if broken:
            return Rejection("out-of-range", f"field 'data.{name}' {broken}", f"data.{name}")
    return None


def parse_inbox_message(
    subject: str, body: bytes, max_bytes: int = MAX_MESSAGE_BYTES, received_at: datetime | None = None
) -> Report | Rejection:
    """Validate one message published to amv.inbox.<org>.<EventType>. Never raises.

    `received_at` is when the inbox received it (the JetStream message's timestamp): the dates of
    the report are judged against it (contracts/bounds.py). Without it, now: a partner checking a
    report before publishing it. A reason names the field and the rule, never the value sent."""
    received_at = received_at or datetime.now(UTC)
    if len(body) > max_bytes:  # first, whatever the subject: its rejection must not carry the body back
        return Rejection("too-large", f"message is {len(body)} bytes, the limit is {max_bytes}", "(message)")
    parsed_subject = subjects.parse_inbox(subject)
    if parsed_subject is None:
        return Rejection("subject-malformed", "field 'subject': the subject is not amv.inbox.<org>.<EventType>", "subject")
    org, event_type = parsed_subject
    kind = organisation_kind(org)
    if kind is None:
        return Rejection("unknown-organisation", "field 'subject': the <org> is not a known organisation id", "subject")
    try:
        raw = json.loads(body, parse_constant=_not_json_constant)
    except UnicodeDecodeError:
        return Rejection("not-json", "message is not JSON: it is not UTF-8 text", "(message)")
    except ValueError as exc:  # JSONDecodeError: its message says where, not what
        return Rejection("not-json", f"message is not JSON: {exc}", "(message)")
    except RecursionError:
        return Rejection("too-deep", f"message nests deeper than {MAX_DEPTH} levels", "(message)")
    if _depth(raw) > MAX_DEPTH:
        return Rejection("too-deep", f"message nests deeper than {MAX_DEPTH} levels", "(message)")
    if not isinstance(raw, dict):
        return Rejection("envelope-invalid", "message must be a JSON object (a CloudEvent)", "(message)")
    try:
        envelope = CloudEvent.model_validate_json(body, strict=True)
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "json_invalid":  # what Python's parser takes and pydantic's does not
            return Rejection("not-json", f"message is not JSON: {exc.errors()[0]['msg']}", "(message)")
        return _invalid(exc)
    cls = event_class(envelope.event_type)
    if cls is None or not cls.reporters:
        return Rejection("unknown-event-type", "field 'type': not an event type partners can report", "type")
    if envelope.event_type != event_type:
        return Rejection(
            "type-mismatch", f"field 'type': does not name the subject's event type {event_type}", "type"
        )
    if envelope.source != org_source(org):
        return Rejection(
            "source-mismatch", f"field 'source': is not the publishing organisation's {org_source(org)}", "source"
        )
    if kind not in cls.reporters:
        allowed = ", ".join(sorted(cls.reporters))
        return Rejection("not-authorised", f"field 'type': a {kind} may not report {event_type} (only: {allowed})", "type")
    if (broken := event_time_out_of_range(envelope.time, received_at)) is not None:
        return Rejection("out-of-range", f"field 'time' {broken}", "time")
    model = _model_for_version(envelope, cls)
    if isinstance(model, Rejection):
        return model
    try:
        data = model.model_validate_json(json.dumps(envelope.data), strict=True)
    except ValidationError as exc:
        return _invalid(exc, prefix="data.")
    if (out_of_range := _date_out_of_range(event_type, data, received_at)) is not None:
        return out_of_range
    if model is not cls:
        data = upcast(envelope.event_type, envelope.version, data.model_dump(mode="json"))
    return Report(org=org, envelope=envelope, event=data)
