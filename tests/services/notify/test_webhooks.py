"""The pure parts of webhook delivery: signing and verifying, the backoff schedule, which webhooks
an organisation has, and the subjects of the AMV_WEBHOOKS stream."""

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.webhooks import (
    CONTENT_TYPE,
    SignatureRejected,
    WebhookConfigError,
    attempts_subject,
    delivery_headers,
    delivery_token,
    is_delivered,
    owner_and_type,
    redrive_subject,
    resolve_targets,
    retry_delay_s,
    signature,
    verify,
    webhooks_of,
)
from services.runtime.directory import Directory
from tests.support.domain import DIRECTORY

SECRET = b"test-secret-0123456789abcdef01234567"
BODY = b'{"id":"task-1"}'
NOW = 1767258000
LONG_ENOUGH = "s" * 32


def directory_with(channels: dict) -> Directory:
    return Directory.model_validate({**DIRECTORY.model_dump(mode="json"), "channels": channels})


def webhook(name: str = "webhook", **extra) -> dict:
    return {"type": "webhook", "name": name, "url": "https://hooks.example/tasks", "secret_env": "HOOK_SECRET", **extra}


# --- signing ------------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    # Computed independently: printf '1767258000.{"id":"task-1"}' | openssl dgst -sha256 -hmac '<SECRET>'
    assert signature(SECRET, NOW, BODY) == "v1=43c20de897875449a94d534c3c24199555d40faf5192d38652eee7252fb2499f"
    assert signature(SECRET, NOW, BODY) == "v1=" + hmac.new(SECRET, f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()


def test_the_headers_carry_the_delivery_id_timestamp_signature_and_content_type() -> None:
    headers = delivery_headers("task-1", BODY, SECRET, NOW, attempt=3)
    assert headers == {
        "Content-Type": CONTENT_TYPE,
        "Wo-Delivery-Id": "task-1",
        "Wo-Timestamp": str(NOW),
        "Wo-Signature": signature(SECRET, NOW, BODY),
        "Wo-Attempt": "3",
    }
    assert CONTENT_TYPE.startswith("application/cloudevents+json")


def test_the_authorization_header_is_sent_only_when_the_subscription_has_one() -> None:
    assert "Authorization" not in delivery_headers("task-1", BODY, SECRET, NOW, 1)
    assert delivery_headers("task-1", BODY, SECRET, NOW, 1, "Bearer abc")["Authorization"] == "Bearer abc"


def test_a_fresh_delivery_verifies() -> None:
    headers = delivery_headers("task-1", BODY, SECRET, NOW, 1)
    assert verify(SECRET, BODY, headers["Wo-Timestamp"], headers["Wo-Signature"], now=NOW + 10) == NOW


@pytest.mark.parametrize(
    ("body", "secret", "timestamp", "sig", "now", "reason"),
    [
        (b'{"id":"task-2"}', SECRET, str(NOW), signature(SECRET, NOW, BODY), NOW, "does not match"),
        (BODY, b"another-secret-0123456789abcdef0123", str(NOW), signature(SECRET, NOW, BODY), NOW, "does not match"),
        (BODY, SECRET, str(NOW + 1), signature(SECRET, NOW, BODY), NOW, "does not match"),  # timestamp swapped
        (BODY, SECRET, str(NOW), signature(SECRET, NOW, BODY), NOW + 301, "away from now"),  # replayed later
        (BODY, SECRET, str(NOW), signature(SECRET, NOW, BODY), NOW - 301, "away from now"),  # from the future
        (BODY, SECRET, None, signature(SECRET, NOW, BODY), NOW, "Wo-Timestamp is missing"),
        (BODY, SECRET, "yesterday", signature(SECRET, NOW, BODY), NOW, "not Unix seconds"),
        (BODY, SECRET, str(NOW), None, NOW, "Wo-Signature is missing"),
        (BODY, SECRET, str(NOW), "v1=" + "0" * 64, NOW, "does not match"),
    ],
)
def test_a_delivery_that_does_not_verify_is_refused_with_the_reason(body, secret, timestamp, sig, now, reason) -> None:
    with pytest.raises(SignatureRejected, match=reason):
        verify(secret, body, timestamp, sig, now=now)


def test_during_secret_rotation_any_offered_v1_signature_may_match() -> None:
    old_secret = b"old-secret-0123456789abcdef0123456"
    offered = f"{signature(old_secret, NOW, BODY)}, {signature(SECRET, NOW, BODY)}"
    assert verify(SECRET, BODY, str(NOW), offered, now=NOW) == NOW


# --- retries ------------------------------------------------------------------------------------


def test_the_backoff_doubles_per_attempt_up_to_the_cap() -> None:
    without_jitter = [retry_delay_s(attempt, base_s=5, max_s=3600, jitter=0.0) for attempt in range(1, 12)]
    assert without_jitter == [2.5, 5, 10, 20, 40, 80, 160, 320, 640, 1280, 1800]
    assert retry_delay_s(1, base_s=5, max_s=3600, jitter=0.999999) == pytest.approx(5, abs=1e-4)
    assert retry_delay_s(500, base_s=5, max_s=3600, jitter=0.5) == 2700


@given(attempt=st.integers(1, 200), base=st.floats(0.01, 60), cap=st.floats(0.01, 86400), jitter=st.floats(0, 0.9999))
def test_a_delay_is_between_half_and_all_of_its_ceiling(attempt, base, cap, jitter) -> None:
    ceiling = min(base * 2 ** (attempt - 1), cap)
    assert ceiling / 2 <= retry_delay_s(attempt, base, cap, jitter) <= ceiling


@pytest.mark.parametrize(("attempt", "jitter"), [(0, 0.5), (1, 1.0), (1, -0.1)])
def test_a_nonsensical_attempt_or_jitter_is_refused(attempt, jitter) -> None:
    with pytest.raises(ValueError):
        retry_delay_s(attempt, 1, 10, jitter)


@pytest.mark.parametrize(("status", "delivered"), [(200, True), (202, True), (204, True), (299, True), (301, False),
                                                   (302, False), (400, False), (410, False), (500, False), (503, False)])
def test_only_a_2xx_answer_delivers(status, delivered) -> None:
    assert is_delivered(status) is delivered


# --- which webhooks, with which secrets -------------------------------------------------------------


def test_an_organisation_without_channels_has_no_webhooks() -> None:
    assert webhooks_of(DIRECTORY, "gm0855") == ()


def test_the_webhooks_of_an_organisation_are_those_the_directory_lists() -> None:
    directory = directory_with({"gm0855": [webhook("primary"), webhook("backup")]})
    assert [w.name for w in webhooks_of(directory, "gm0855")] == ["primary", "backup"]
    assert webhooks_of(directory, "gm0518") == ()


def test_secrets_are_read_from_the_named_variables() -> None:
    directory = directory_with({"gm0855": [webhook(authorization_env="HOOK_AUTH")]})
    [target] = resolve_targets(directory, {"HOOK_SECRET": LONG_ENOUGH, "HOOK_AUTH": "Bearer abc"})["gm0855"]
    assert (target.org, target.name, target.url) == ("gm0855", "webhook", "https://hooks.example/tasks")
    assert (target.secret, target.authorization) == (LONG_ENOUGH.encode(), "Bearer abc")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "channels.gm0855.webhook: the secret variable HOOK_SECRET is not set"),
        ({"HOOK_SECRET": "short"}, "HOOK_SECRET is shorter than 32 characters"),
        ({"HOOK_SECRET": LONG_ENOUGH}, "the authorization variable HOOK_AUTH is not set"),
    ],
)
def test_a_missing_secret_is_named_with_its_organisation_webhook_and_variable(environ, message) -> None:
    directory = directory_with({"gm0855": [webhook(authorization_env="HOOK_AUTH")]})
    with pytest.raises(WebhookConfigError, match=message):
        resolve_targets(directory, environ)


def test_every_missing_secret_is_named_at_once() -> None:
    directory = directory_with({"gm0855": [webhook(secret_env="A_SECRET")], "nidos": [webhook(secret_env="B_SECRET")]})
    with pytest.raises(WebhookConfigError, match="A_SECRET.*B_SECRET"):
        resolve_targets(directory, {})


# --- subjects -----------------------------------------------------------------------------------


def test_the_owner_is_read_from_a_task_or_a_redrive_subject() -> None:
    assert owner_and_type("amv.tasks.gm0855.TaskOpened") == ("gm0855", "TaskOpened")
    assert owner_and_type(redrive_subject("gm0855", "TaskOpened")) == ("gm0855", "TaskOpened")
    for other in ("amv.tasks.gm0855", "amv.events.notify.case-1.TaskOpened", "amv.tasks..TaskOpened", "", "amv.webhooks.redrive.x"):
        assert owner_and_type(other) is None, other


def test_a_delivery_id_becomes_exactly_one_subject_token() -> None:
    uuid_like = "0b8e3c1e-7f5a-5d4e-9f3a-2c1b0a9d8e7f"
    assert delivery_token(uuid_like) == uuid_like
    dotted = delivery_token("case.1.task")
    assert "." not in dotted and dotted == delivery_token("case.1.task") != delivery_token("case.1.task2")
    assert attempts_subject("gm0855", uuid_like) == f"amv.webhooks.attempts.gm0855.{uuid_like}"
    assert attempts_subject("gm0855", "case.1.task").count(".") == 4
