"""The container healthcheck (deploy/docker/healthcheck.py) logs in to NATS as its service does.
Its run against real containers under authentication is in test_compose_e2e.py."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "docker" / "healthcheck.py"


@pytest.fixture
def healthcheck(monkeypatch):
    for name in ("NATS_URL", "NATS_USER", "NATS_PASSWORD", "NATS_PASSWORD_FILE", "WO_NATS_USER", "WO_NATS_PASSWORD",
                 "WO_NATS_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    spec = importlib.util.spec_from_file_location("healthcheck", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_logs_in_with_the_services_user_password_file_and_reply_inbox(healthcheck, tmp_path, monkeypatch) -> None:
    (tmp_path / "notify").write_text("s3cret\n")
    monkeypatch.setenv("NATS_URL", "nats://nats-1:4222,nats://nats-2:4222")
    monkeypatch.setenv("NATS_USER", "notify")
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(tmp_path / "notify"))
    assert healthcheck.nats_login("notify") == (
        ["nats://nats-1:4222", "nats://nats-2:4222"],
        {"user": "notify", "password": "s3cret", "inbox_prefix": "_INBOX_notify"},
    )


def test_without_a_login_it_connects_without_one(healthcheck) -> None:
    assert healthcheck.nats_login("intake") == (["nats://127.0.0.1:4222"], {"inbox_prefix": "_INBOX_intake"})


async def test_an_unreadable_password_file_is_the_unhealthy_answer(healthcheck, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NATS_USER", "intake")
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(tmp_path / "missing"))
    problem = await healthcheck.check("intake")
    assert problem.startswith("no NATS login:") and f"NATS_PASSWORD_FILE={tmp_path / 'missing'}" in problem


async def test_the_desk_is_asked_itself_and_is_unhealthy_when_it_does_not_answer(healthcheck, monkeypatch) -> None:
    from services.runtime.natsserver import free_port

    port = free_port()  # nothing listens there
    monkeypatch.setenv("WO_HTTP_PORT", str(port))
    problem = await healthcheck.check_desk()
    assert problem.startswith(f"no answer from the handoff desk at http://127.0.0.1:{port}/healthz")
