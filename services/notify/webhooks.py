"""Webhook delivery, the pure parts: which webhooks an organisation has, how a delivery is signed
and verified, and when a failed one is tried again. No I/O here; `delivery.py` does the sending.

A task is POSTed as a structured-mode CloudEvent (`application/cloudevents+json`), the exact bytes
that were published on amv.tasks.<owner>.<EventType>, with these headers:

    Wo-Delivery-Id  the task event's id: the same on every retry and redrive, so receivers drop duplicates
    Wo-Timestamp    Unix seconds when this attempt was signed; receivers refuse old ones (replays)
    Wo-Signature    "v1=" + hex HMAC-SHA256 over "<Wo-Timestamp>.<body>" with the organisation's secret
    Wo-Attempt      1, 2, … (information only, not signed)
    Authorization   the subscription's own value, when the directory names one (Open Notificaties style)

The signature covers the body, and the body's `id` is the delivery id, so a receiver that checks
the signature and the timestamp can trust both. The "v1=" prefix leaves room for a next scheme;
a receiver accepts the header when any comma-separated v1 entry matches (secret rotation).
"""

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from contracts import subjects
from services.runtime.directory import Directory, WebhookChannel
from services.runtime.provision import WEBHOOKS_PREFIX

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
HEADER_DELIVERY_ID = "Wo-Delivery-Id"
HEADER_TIMESTAMP = "Wo-Timestamp"
HEADER_SIGNATURE = "Wo-Signature"
HEADER_ATTEMPT = "Wo-Attempt"
SIGNATURE_SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300
MIN_SECRET_LENGTH = 32


class WebhookConfigError(Exception):
    """A webhook in the directory cannot be used as configured (e.g. its secret is not set)."""


class SignatureRejected(Exception):
    """A received delivery does not verify; the message says why (never the secret)."""


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook of an organisation with its secrets resolved from the environment."""

    org: str
    channel: WebhookChannel
    secret: bytes
    authorization: str | None = None

    @property
    def name(self) -> str:
        return self.channel.name

    @property
    def url(self) -> str:
        return str(self.channel.url)


def webhooks_of(directory: Directory, org: str) -> tuple[WebhookChannel, ...]:
    """The webhooks the directory lists for `org` (none: it receives its tasks on NATS only)."""
    return tuple(channel for channel in directory.channels.get(org, ()) if channel.type == "webhook")


def resolve_targets(directory: Directory, environ: Mapping[str, str]) -> dict[str, tuple[WebhookTarget, ...]]:
    """Every organisation's webhooks with their secrets read from `environ`. Refuses, naming each
    organisation, webhook and variable, a secret that is missing or shorter than 32 characters."""
    problems: list[str] = []
    targets: dict[str, tuple[WebhookTarget, ...]] = {}
    for org in directory.channels:
        found = []
        for channel in webhooks_of(directory, org):
            secret = environ.get(channel.secret_env, "")
            if len(secret) < MIN_SECRET_LENGTH:
                state = "is not set" if not secret else f"is shorter than {MIN_SECRET_LENGTH} characters"
                problems.append(f"channels.{org}.{channel.name}: the secret variable {channel.secret_env} {state}")
                continue
            authorization = None
            if channel.authorization_env:
                authorization = environ.get(channel.authorization_env, "")
                if not authorization:
                    problems.append(
                        f"channels.{org}.{channel.name}: the authorization variable {channel.authorization_env} is not set"
                    )
                    continue
            found.append(WebhookTarget(org, channel, secret.encode(), authorization))
        if found:
            targets[org] = tuple(found)
    if problems:
        raise WebhookConfigError("; ".join(problems))
    return targets


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """'v1=<hex HMAC-SHA256 over "<timestamp>.<body>">'."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def delivery_headers(
    delivery_id: str, body: bytes, secret: bytes, timestamp: int, attempt: int, authorization: str | None = None
) -> dict[str, str]:
    """The headers of one delivery attempt of `body`, signed at `timestamp` (Unix seconds)."""
    headers = {
        "Content-Type": CONTENT_TYPE,
        HEADER_DELIVERY_ID: delivery_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signature(secret, timestamp, body),
        HEADER_ATTEMPT: str(attempt),
    }
    if authorization:
        headers["Authorization"] = authorization
    return headers


def verify(
    secret: bytes,
    body: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> int:
    """What a receiver does before trusting a delivery: the timestamp is recent (within
    `tolerance_s` of `now`, either way) and a v1 signature over it and the body matches.
    Returns the timestamp; raises SignatureRejected with the reason otherwise."""
    if not timestamp_header or not timestamp_header.isdigit():
        raise SignatureRejected(f"{HEADER_TIMESTAMP} is missing or not Unix seconds")
    timestamp = int(timestamp_header)
    if abs(now - timestamp) > tolerance_s:
        raise SignatureRejected(f"{HEADER_TIMESTAMP} is {round(now - timestamp)}s away from now (limit {tolerance_s}s)")
    if not signature_header:
        raise SignatureRejected(f"{HEADER_SIGNATURE} is missing")
    expected = signature(secret, timestamp, body)
    offered = [part.strip() for part in signature_header.split(",")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise SignatureRejected(f"{HEADER_SIGNATURE} does not match the body and timestamp")
    return timestamp


def retry_delay_s(attempt: int, base_s: float, max_s: float, jitter: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, …): exponential backoff
    (base, 2·base, 4·base, … capped at `max_s`), as Open Notificaties does, with "equal jitter":
    `jitter` in [0, 1) takes the delay somewhere between half and all of it, so receivers that
    failed together are not all retried in the same instant."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    if not 0 <= jitter < 1:
        raise ValueError("jitter is a fraction in [0, 1)")
    ceiling = min(base_s * 2 ** min(attempt - 1, 62), max_s)
    return ceiling / 2 + ceiling / 2 * jitter


def is_delivered(status_code: int) -> bool:
    """Only a 2xx answer delivers; redirects are not followed (the signed task goes nowhere else)."""
    return 200 <= status_code < 300


# --- subjects of the AMV_WEBHOOKS stream --------------------------------------------------------

_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9_:-]{1,128}$")


def delivery_token(delivery_id: str) -> str:
    """The delivery id as one NATS subject token (event ids may contain '.'; those are hashed)."""
    if _SAFE_TOKEN.match(delivery_id):
        return delivery_id
    return "sha256-" + hashlib.sha256(delivery_id.encode()).hexdigest()[:40]


def attempts_subject(org: str, delivery_id: str) -> str:
    """Where the record of every attempt of one delivery is kept: amv.webhooks.attempts.<org>.<id>."""
    return f"{WEBHOOKS_PREFIX}.attempts.{org}.{delivery_token(delivery_id)}"


def redrive_subject(org: str, event_type: str) -> str:
    """Where an operator re-queues a dead-lettered delivery: amv.webhooks.redrive.<org>.<EventType>."""
    return f"{WEBHOOKS_PREFIX}.redrive.{org}.{event_type}"


def owner_and_type(subject: str) -> tuple[str, str] | None:
    """(owner, event type) of a task subject (amv.tasks.<org>.<Type>) or of a redrive subject
    (amv.webhooks.redrive.<org>.<Type>); None for anything else."""
    parts = subject.split(".")
    if not all(parts):
        return None
    if subject.startswith(subjects.TASKS_PREFIX + ".") and len(parts) == 4:
        return parts[2], parts[3]
    if subject.startswith(f"{WEBHOOKS_PREFIX}.redrive.") and len(parts) == 5:
        return parts[3], parts[4]
    return None
