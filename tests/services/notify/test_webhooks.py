"""The pure parts of webhook delivery: signing (checked with the standardwebhooks package a
receiver uses), the secrets, the backoff schedule, which webhooks an organisation has, and the
subjects of the AMV_WEBHOOKS stream."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from services.notify.webhooks import (
    CONTENT_TYPE,
    WebhookConfigError,
    attempts_subject,
    delivery_headers,
    delivery_token,
    is_delivered,
    new_secret,
    owner_and_type,
    redrive_subject,
    resolve_targets,
    retry_delay_s,
    signature,
    signing_key,
    webhooks_of,
)
from services.runtime.directory import Directory
from tests.support.domain import DIRECTORY

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the example secret of the Standard Webhooks specification
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))
OLD_SECRET = "whsec_" + base64.b64encode(b"the previous key, 32 bytes long").decode()
BODY = b'{"id":"task-1"}'
SIGNED_AT = 1767258000  # for the signature's form; what a receiver verifies is signed at now()


def now() -> int:
    """Unix seconds now: receivers refuse a delivery signed more than five minutes away from it."""
    return int(datetime.now(UTC).timestamp())


def directory_with(channels: dict) -> Directory:
    return Directory.model_validate({**DIRECTORY.model_dump(mode="json"), "channels": channels})


def webhook(name: str = "webhook", **extra) -> dict:
    return {"type": "webhook", "name": name, "url": "https://hooks.example/tasks", "secret_env": "HOOK_SECRET", **extra}


# --- signing ------------------------------------------------------------------------------------


def test_the_signature_is_standard_webhooks_v1_over_id_timestamp_and_body() -> None:
    # Computed independently, as the specification describes it: base64 HMAC-SHA256 over "<id>.<timestamp>.<body>".
    expected = base64.b64encode(hmac.new(KEY, f"task-1.{SIGNED_AT}.".encode() + BODY, hashlib.sha256).digest()).decode()
    assert signature((KEY,), "task-1", SIGNED_AT, BODY) == f"v1,{expected}"


def test_the_headers_carry_the_delivery_id_timestamp_signature_and_content_type() -> None:
    headers = delivery_headers("task-1", BODY, (KEY,), SIGNED_AT, attempt=3)
    assert headers == {
        "Content-Type": CONTENT_TYPE,
        "webhook-id": "task-1",
        "webhook-timestamp": str(SIGNED_AT),
        "webhook-signature": signature((KEY,), "task-1", SIGNED_AT, BODY),
        "Wo-Attempt": "3",
    }
    assert CONTENT_TYPE.startswith("application/cloudevents+json")


def test_the_authorization_header_is_sent_only_when_the_subscription_has_one() -> None:
    assert "Authorization" not in delivery_headers("task-1", BODY, (KEY,), SIGNED_AT, 1)
    assert delivery_headers("task-1", BODY, (KEY,), SIGNED_AT, 1, "Bearer abc")["Authorization"] == "Bearer abc"


def test_a_receiver_verifies_a_delivery_with_the_standardwebhooks_package() -> None:
    headers = delivery_headers("task-1", BODY, (KEY,), now(), 1)
    assert Webhook(SECRET).verify(BODY, headers) == {"id": "task-1"}


@pytest.mark.parametrize(
    ("body", "changed"),
    [
        (b'{"id":"task-2"}', lambda signed_at: {}),  # another body
        (BODY, lambda signed_at: {"webhook-id": "task-2"}),  # the delivery id is signed too
        (BODY, lambda signed_at: {"webhook-timestamp": str(signed_at + 1)}),  # the timestamp too
        (BODY, lambda signed_at: {"webhook-signature": "v1," + base64.b64encode(bytes(32)).decode()}),
    ],
)
def test_a_delivery_that_was_tampered_with_does_not_verify(body, changed) -> None:
    signed_at = now()
    headers = {**delivery_headers("task-1", BODY, (KEY,), signed_at, 1), **changed(signed_at)}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(SECRET).verify(body, headers)


@pytest.mark.parametrize(("away_s", "reason"), [(-330, "too old"), (330, "too new")])
def test_a_delivery_signed_more_than_five_minutes_from_now_does_not_verify(away_s, reason) -> None:
    with pytest.raises(WebhookVerificationError, match=reason):
        Webhook(SECRET).verify(BODY, delivery_headers("task-1", BODY, (KEY,), now() + away_s, 1))


def test_a_receiver_with_another_secret_cannot_verify() -> None:
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, delivery_headers("task-1", BODY, (KEY,), now(), 1))


def test_during_a_rotation_both_secrets_sign_and_a_receiver_with_either_verifies() -> None:
    headers = delivery_headers("task-1", BODY, (KEY, signing_key(OLD_SECRET)), now(), 1)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert all(part.startswith("v1,") for part in headers["webhook-signature"].split(" "))
    for secret in (SECRET, OLD_SECRET):
        assert Webhook(secret).verify(BODY, headers) == {"id": "task-1"}


# --- secrets ------------------------------------------------------------------------------------


def test_a_new_secret_is_a_standard_webhooks_secret_of_32_random_bytes() -> None:
    fresh = new_secret()
    assert fresh.startswith("whsec_") and len(signing_key(fresh)) == 32 and fresh != new_secret()
    assert Webhook(fresh).verify(BODY, delivery_headers("t", BODY, (signing_key(fresh),), now(), 1)) == {"id": "task-1"}


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("s" * 40, "does not start with whsec_"),
        ("whsec_not base64!", "is not whsec_ followed by base64"),
        ("whsec_" + base64.b64encode(bytes(16)).decode(), "holds 16 bytes after whsec_, not 24 to 64"),
        ("whsec_" + base64.b64encode(bytes(65)).decode(), "holds 65 bytes"),
    ],
)
def test_a_secret_that_is_not_a_standard_webhooks_secret_is_refused_without_its_value(secret, message) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        signing_key(secret)
    assert secret not in str(refused.value)


def test_an_unpadded_secret_reads_as_the_package_reads_it() -> None:
    padded = "whsec_" + base64.b64encode(bytes(range(25))).decode()
    assert padded.endswith("=") and signing_key(padded.rstrip("=")) == bytes(range(25))


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
    [target] = resolve_targets(directory, {"HOOK_SECRET": SECRET, "HOOK_AUTH": "Bearer abc"})["gm0855"]
    assert (target.org, target.name, target.url) == ("gm0855", "webhook", "https://hooks.example/tasks")
    assert (target.keys, target.authorization) == ((KEY,), "Bearer abc")


def test_during_a_rotation_the_current_key_comes_first_then_the_previous() -> None:
    directory = directory_with({"gm0855": [webhook(previous_secret_env="HOOK_OLD_SECRET")]})
    [target] = resolve_targets(directory, {"HOOK_SECRET": SECRET, "HOOK_OLD_SECRET": OLD_SECRET})["gm0855"]
    assert target.keys == (KEY, signing_key(OLD_SECRET))


def test_the_previous_secret_is_another_variable() -> None:
    with pytest.raises(ValueError, match="previous_secret_env must name another variable"):
        directory_with({"gm0855": [webhook(previous_secret_env="HOOK_SECRET")]})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HOOK_AUTH": "Bearer abc", "HOOK_OLD": OLD_SECRET}, "channels.gm0855.webhook: the secret variable HOOK_SECRET is not set"),
        ({"HOOK_SECRET": "s" * 40, "HOOK_AUTH": "Bearer abc", "HOOK_OLD": OLD_SECRET}, "HOOK_SECRET does not start with whsec_"),
        ({"HOOK_SECRET": SECRET, "HOOK_OLD": OLD_SECRET}, "the authorization variable HOOK_AUTH is not set"),
        ({"HOOK_SECRET": SECRET, "HOOK_AUTH": "Bearer abc"}, "the secret variable HOOK_OLD is not set"),
    ],
)
def test_a_missing_secret_is_named_with_its_organisation_webhook_and_variable(environ, message) -> None:
    directory = directory_with({"gm0855": [webhook(authorization_env="HOOK_AUTH", previous_secret_env="HOOK_OLD")]})
    with pytest.raises(WebhookConfigError, match=message) as refused:
        resolve_targets(directory, environ)
    assert "s" * 40 not in str(refused.value)


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


# --- the partner's snippet in docs/webhooks.md ---------------------------------------------------------


def the_docs_receiver(monkeypatch, secret: str) -> dict:
    """What the first Python block of docs/webhooks.md defines (`receive`, `seen`), run as written."""
    text = (Path(__file__).resolve().parents[3] / "docs" / "webhooks.md").read_text()
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("WO_WEBHOOK_SECRET", secret)
    namespace: dict = {}
    exec(compile(snippet, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


def test_the_docs_snippet_takes_a_delivery_once_and_refuses_a_forgery(monkeypatch) -> None:
    receiver = the_docs_receiver(monkeypatch, SECRET)
    receive = receiver["receive"]
    headers = delivery_headers("task-1", BODY, (KEY,), now(), 1)
    assert receive(BODY, headers) == 200
    assert receive(BODY, delivery_headers("task-1", BODY, (KEY,), now() + 5, 2)) == 200  # a retry: a duplicate
    assert receive(b'{"id":"task-9"}', headers) == 401
    assert receive(BODY, delivery_headers("task-1", BODY, (signing_key(new_secret()),), now(), 1)) == 401
    assert receiver["seen"] == {"task-1"}


def test_the_docs_snippet_verifies_with_either_secret_during_a_rotation(monkeypatch) -> None:
    headers = delivery_headers("task-1", BODY, (KEY, signing_key(OLD_SECRET)), now(), 1)
    for secret in (SECRET, OLD_SECRET):
        assert the_docs_receiver(monkeypatch, secret)["receive"](BODY, headers) == 200
