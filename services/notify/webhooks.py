"""Webhook delivery, the pure parts: which webhooks an organisation has and which messages each
subscribed to, how a delivery is signed, and when a failed one is tried again. No I/O here;
`delivery.py` does the sending.

A task or a notice of its change is POSTed as a structured-mode CloudEvent (`application/cloudevents+json`), the exact bytes
that were published on amv.tasks.<owner>.<EventType>, signed per Standard Webhooks
(https://www.standardwebhooks.com/, the `standardwebhooks` package), with these headers:

    webhook-id         the task event's id: the same on every retry and redrive, so receivers drop duplicates
    webhook-timestamp  Unix seconds when this attempt was signed; receivers refuse old ones (replays)
    webhook-signature  "v1,<base64 HMAC-SHA256 over '<webhook-id>.<webhook-timestamp>.<body>'>" with the
                       webhook's secret; during a rotation a second one, space separated, with the previous
    Wo-Attempt         1, 2, … (information only, not signed)
    Authorization      the subscription's own value, when the directory names one (Open Notificaties style)

The signature covers the delivery id, the timestamp and the body, so a receiver that verifies it
(`standardwebhooks.Webhook(secret).verify(body, headers)`, which also refuses a timestamp more than
five minutes away) can trust all three. How a partner verifies and rotates: docs/webhooks.md.
"""

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from contracts import subjects
from contracts.envelope import CloudEvent
from services.runtime.directory import Directory, WebhookChannel
from services.runtime.provision import WEBHOOKS_PREFIX

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
HEADER_ATTEMPT = "Wo-Attempt"
SECRET_PREFIX = "whsec_"
KEY_BYTES = (24, 64)  # what Standard Webhooks asks of a signing key: 192 to 512 random bits


class WebhookConfigError(Exception):
    """A webhook in the directory cannot be used as configured (e.g. its secret is not set)."""


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form: whsec_ + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(secret: str) -> bytes:
    """The key of a secret 'whsec_<base64>', as `standardwebhooks.Webhook(secret)` reads it. Raises
    ValueError saying what is wrong with it, never its value."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"does not start with {SECRET_PREFIX} (a Standard Webhooks secret: {SECRET_PREFIX} + base64)")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError(f"is not {SECRET_PREFIX} followed by base64") from None
    low, high = KEY_BYTES
    if not low <= len(key) <= high:
        raise ValueError(f"holds {len(key)} bytes after {SECRET_PREFIX}, not {low} to {high}")
    return key


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook of an organisation with its secrets resolved from the environment: `keys` holds
    the current signing key, then, while a secret is being rotated, the previous one."""

    org: str
    channel: WebhookChannel
    keys: tuple[bytes, ...]
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


def subscribed(targets: tuple[WebhookTarget, ...], message: CloudEvent, org: str) -> tuple[WebhookTarget, ...]:
    """The webhooks of `org` that subscribed to `message`: to its change (opened, accepted, …) and to
    changes of tasks `org` has that role in (owner, requester), as an abonnement chooses kanalen."""
    roles = {role for role in ("owner", "requester") if message.data.get(role) == org}
    return tuple(target for target in targets if target.channel.wants(message.event_type, roles))


def _read_key(environ: Mapping[str, str], where: str, variable: str, problems: list[str]) -> bytes | None:
    value = environ.get(variable, "")
    try:
        if not value:
            raise ValueError("is not set")
        return signing_key(value)
    except ValueError as exc:
        problems.append(f"{where}: the secret variable {variable} {exc}")
        return None


def resolve_targets(directory: Directory, environ: Mapping[str, str]) -> dict[str, tuple[WebhookTarget, ...]]:
    """Every organisation's webhooks with their secrets read from `environ`. Refuses, naming each
    organisation, webhook and variable, a secret that is missing or not a Standard Webhooks secret."""
    problems: list[str] = []
    targets: dict[str, tuple[WebhookTarget, ...]] = {}
    for org in directory.channels:
        found = []
        for channel in webhooks_of(directory, org):
            where = f"channels.{org}.{channel.name}"
            variables = [channel.secret_env] + ([channel.previous_secret_env] if channel.previous_secret_env else [])
            keys = [_read_key(environ, where, variable, problems) for variable in variables]
            authorization = None
            if channel.authorization_env:
                authorization = environ.get(channel.authorization_env, "")
                if not authorization:
                    problems.append(f"{where}: the authorization variable {channel.authorization_env} is not set")
            if all(keys) and (authorization or not channel.authorization_env):
                found.append(WebhookTarget(org, channel, tuple(key for key in keys if key), authorization))
        if found:
            targets[org] = tuple(found)
    if problems:
        raise WebhookConfigError("; ".join(problems))
    return targets


def signature(keys: tuple[bytes, ...], delivery_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature value: one 'v1,<base64>' per key, space separated (Standard Webhooks)."""
    signed_at = datetime.fromtimestamp(timestamp, UTC)
    return " ".join(Webhook(key).sign(delivery_id, signed_at, body) for key in keys)


def delivery_headers(
    delivery_id: str, body: bytes, keys: tuple[bytes, ...], timestamp: int, attempt: int, authorization: str | None = None
) -> dict[str, str]:
    """The headers of one delivery attempt of `body`, signed at `timestamp` (Unix seconds) with each key."""
    headers = {
        "Content-Type": CONTENT_TYPE,
        HEADER_ID: delivery_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signature(keys, delivery_id, timestamp, body),
        HEADER_ATTEMPT: str(attempt),
    }
    if authorization:
        headers["Authorization"] = authorization
    return headers


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
