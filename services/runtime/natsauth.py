"""NATS authentication and authorization: who may connect, and what each may publish and subscribe.

`render_config` is a pure function from the organisation directory (plus a list of schools) and
the users' bcrypt hashes to the text of a nats-server configuration; `ensure_dev_credentials` is
what `make run` (and docker-compose's one-shot `nats-auth`) calls: it keeps one random password per
user in `<data dir>/credentials.json` (created when missing, never committed), writes each user's
password alone into `<data dir>/passwords/<user>` (for NATS_PASSWORD_FILE) and
`<data dir>/nats-auth.conf` for the server.

Who is who:

- every partner organisation (nidos, ind, coa, per municipality the municipality, coordinator,
  district team, VWN and RMC, and each configured school) is a user named after its organisation
  id, alone in its own account `partner-<org>`. That account sees exactly three things of the
  system: it may send to `amv.inbox.<org>.>` and it receives `amv.rejected.<org>.>` and
  `amv.tasks.<org>.>`. Its user may publish only the first and subscribe only the other two and
  its own reply inbox `_INBOX_<org>.>` (connect with `inbox_prefix="_INBOX_<org>"` for requests,
  e.g. a JetStream publish that waits for its acknowledgement; a plain publish needs nothing).
  There is no JetStream in a partner account, so no `$JS.API` of any kind.
- each service (intake, guardianship, housing, notify) is a user in the system's account
  `warme-overdracht`, where JetStream lives. It may write only its own events
  (`amv.events.<service>.>`), the rejections of the reports it owns, its own dead letters, and for
  notify the tasks; on the JetStream API only what it uses: create/update/info of the streams
  (every service provisions them at start-up), its own durable consumers (create, info, next,
  ack), the ordered consumer of its projection, and direct gets of the event store.
- `ops`, the operator (the demo, waiting until idle, re-submitting a rejection): publishes reports
  into any inbox and days on `amv.clock.day`, reads and manages streams, but may not write the
  event store, tasks or rejections, nor delete or purge streams or messages.

Why a partner has an account of its own and not only a user with permissions: subject
permissions do not cover the *reply* subject of a message. A partner allowed only
`amv.inbox.nidos.>` can still publish there with reply subject `amv.events.intake.<case>.X`, and
JetStream then publishes its acknowledgement to that subject, where the event store would keep
it (measured on nats-server 2.15.1: a partner wrote into another stream this way). Across an
account boundary (a service import) the server rewrites the reply to a private `_R_` subject and
routes the acknowledgement back into the partner's own account, where it can harm nobody.
No user needs `allow_responses`: nobody here answers requests except JetStream itself.
"""

import argparse
import json
import os
import secrets
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from contracts import subjects
from contracts.events import event_class, inbox_types
from contracts.ids import organisation_kind
from services.runtime.directory import Directory, load_directory
from services.runtime.eventstore import EVENTS_STREAM
from services.runtime.privacy import KEYS_STREAM, KEYS_SUBJECT_PREFIX, PERSONAL_EVENT_TYPES
from services.runtime.parking import PARKED_STREAM, PARKED_SUBJECT_PREFIX
from services.runtime.provision import CLOCK_STREAM, WEBHOOKS_PREFIX, consumers, stream_configs
from services.runtime.settings import Settings

SYSTEM_ACCOUNT = "warme-overdracht"
SERVICES = ("intake", "guardianship", "housing", "notify")
OPS_USER = "ops"
CONFIG_FILE = "nats-auth.conf"
CREDENTIALS_FILE = "credentials.json"
PASSWORDS_DIR = "passwords"  # one file per user, holding only its password (NATS_PASSWORD_FILE)
DEV_BCRYPT_ROUNDS = 11  # what `nats server passwd` uses


def inbox_prefix(user: str) -> str:
    """The reply-inbox prefix a user connects with (nats-py: `nats.connect(..., inbox_prefix=...)`)."""
    return f"_INBOX_{user}"


def partner_account(org: str) -> str:
    return f"partner-{org}"


@dataclass(frozen=True)
class Permissions:
    publish_allow: tuple[str, ...]
    subscribe_allow: tuple[str, ...]
    publish_deny: tuple[str, ...] = ()
    subscribe_deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class NatsUser:
    name: str
    account: str
    role: str  # "partner", "service" or "ops"
    permissions: Permissions

    @property
    def inbox_prefix(self) -> str:
        return inbox_prefix(self.name)


# --- who may do what --------------------------------------------------------------------------


def partner_organisations(directory: Directory, schools: Iterable[str] = ()) -> list[str]:
    """Every organisation of the directory, and the schools configured besides it."""
    for school in schools:
        if organisation_kind(school) != "school":
            raise ValueError(f"'{school}' is not a school organisation id (school-<name>)")
    return sorted(directory.organisations() | set(schools))


def partner_user(org: str) -> NatsUser:
    return NatsUser(
        org,
        partner_account(org),
        "partner",
        Permissions(
            publish_allow=(f"{subjects.INBOX_PREFIX}.{org}.>",),
            subscribe_allow=(
                f"{subjects.REJECTED_PREFIX}.{org}.>",
                f"{subjects.TASKS_PREFIX}.{org}.>",
                f"{inbox_prefix(org)}.>",
            ),
        ),
    )


def _streams_provisioning() -> list[str]:
    """Every service provisions every stream at start-up (services/runtime/provision.py)."""
    return [
        f"$JS.API.STREAM.{action}.{config.name}"
        for config in stream_configs()
        for action in ("CREATE", "UPDATE", "INFO")
    ]


def _own_consumers(service: str) -> list[str]:
    granted = []
    for spec in consumers():
        if spec.service != service:
            continue
        granted += [
            f"$JS.API.CONSUMER.CREATE.{spec.stream}.{spec.durable}",
            f"$JS.API.CONSUMER.CREATE.{spec.stream}.{spec.durable}.>",
            f"$JS.API.CONSUMER.INFO.{spec.stream}.{spec.durable}",
            f"$JS.API.CONSUMER.MSG.NEXT.{spec.stream}.{spec.durable}",
            f"$JS.ACK.{spec.stream}.{spec.durable}.>",
        ]
    return granted


def _what_the_service_writes(service: str) -> list[str]:
    writes = [f"{subjects.EVENTS_PREFIX}.{service}.>", f"{subjects.DEAD_LETTER_PREFIX}.{service}.>"]
    if service == "intake":  # its inbox-triage refuses whatever no service owns
        writes.append(f"{subjects.REJECTED_PREFIX}.>")
    else:
        writes += [subjects.rejected("*", event_type) for event_type in inbox_types(service)]
    if service == "notify":  # delivers tasks and records webhook deliveries
        writes += [f"{subjects.TASKS_PREFIX}.>", f"{WEBHOOKS_PREFIX}.>"]
    return writes


def _subjects_overlap(a: str, b: str) -> bool:
    """Can one subject match both patterns? (`*` is one token, `>` all the rest)"""
    left, right = a.split("."), b.split(".")
    for x, y in zip(left, right, strict=False):
        if ">" in (x, y):
            return True
        if "*" not in (x, y) and x != y:
            return False
    return len(left) == len(right)


def _streams_read_back(service: str) -> list[str]:
    """Direct gets of the streams the service writes: the event store, which every case is read
    from, and e.g. notify's records of webhook deliveries."""
    writes = _what_the_service_writes(service)
    return [
        f"$JS.API.DIRECT.GET.{config.name}"
        for config in stream_configs()
        if any(_subjects_overlap(w, s) for w in writes for s in config.subjects)
    ]


def service_user(service: str) -> NatsUser:
    return NatsUser(
        service,
        SYSTEM_ACCOUNT,
        "service",
        Permissions(
            publish_allow=tuple(
                _what_the_service_writes(service)
                + _streams_provisioning()
                + _own_consumers(service)
                + [
                    # the projection: an ordered (ephemeral) consumer of the event store
                    f"$JS.API.CONSUMER.CREATE.{EVENTS_STREAM}",
                    "$JS.API.STREAM.NAMES",  # nats-py looks up the stream of the subject
                    f"$JS.FC.{EVENTS_STREAM}.>",
                ]
                + _streams_read_back(service)
                + _case_keys(service)
                + _parked_cases(service)
                + _handoff_desk(service)
            ),
            subscribe_allow=(f"{inbox_prefix(service)}.>",)
            + tuple(subjects.rejected("*", t) for t in (inbox_types(service) if service == "notify" else ())),
        ),
    )


def _handoff_desk(service: str) -> list[str]:
    """notify's web desk answers tasks on behalf of a signed-in organisation: it publishes the answer
    to that organisation's inbox, watches for its refusal, and reads "today" from the clock."""
    if service != "notify":
        return []
    return [subjects.inbox("*", t) for t in inbox_types(service)] + [
        f"$JS.API.CONSUMER.CREATE.{CLOCK_STREAM}",  # an ordered consumer: no name, so no other's
        f"$JS.FC.{CLOCK_STREAM}.>",
    ]


def _case_keys(service: str) -> list[str]:
    """The case keys of personal fields (services/runtime/privacy.py): every service reads them and
    follows the bucket; only the services that store events with personal fields create them."""
    granted = [
        f"$JS.API.DIRECT.GET.{KEYS_STREAM}",
        f"$JS.API.DIRECT.GET.{KEYS_STREAM}.>",
        f"$JS.API.CONSUMER.CREATE.{KEYS_STREAM}",
        f"$JS.FC.{KEYS_STREAM}.>",
    ]
    if any(event_class(event_type).service == service for event_type in PERSONAL_EVENT_TYPES):
        granted.append(f"{KEYS_SUBJECT_PREFIX}>")
    return granted


def _parked_cases(service: str) -> list[str]:
    """The service's own records of parked cases (services/runtime/parking.py): it writes them and
    follows them, so that an operator's retry reaches it."""
    return [
        f"{PARKED_SUBJECT_PREFIX}{service}.>",
        f"$JS.API.DIRECT.GET.{PARKED_STREAM}",
        f"$JS.API.DIRECT.GET.{PARKED_STREAM}.>",
        f"$JS.API.CONSUMER.CREATE.{PARKED_STREAM}",
        f"$JS.API.CONSUMER.INFO.{PARKED_STREAM}.*",  # a KV watch asks its consumer how much is pending
        f"$JS.FC.{PARKED_STREAM}.>",
    ]


def ops_user() -> NatsUser:
    return NatsUser(
        OPS_USER,
        SYSTEM_ACCOUNT,
        "ops",
        Permissions(
            publish_allow=(
                f"{subjects.INBOX_PREFIX}.>",  # the demo's reports; re-submitting a fixed rejection
                subjects.CLOCK_DAY,
                f"{WEBHOOKS_PREFIX}.redrive.>",
                "$JS.API.>",
                "$JS.ACK.>",
                "$JS.FC.>",
                f"{KEYS_SUBJECT_PREFIX}>",  # `overdracht erase`: the delete marker of an erased case's key
                f"{PARKED_SUBJECT_PREFIX}>",  # `overdracht parked retry`: the delete marker of a parked case
            ),
            publish_deny=(
                "$JS.API.STREAM.DELETE.>",
                "$JS.API.STREAM.PURGE.>",
                # deleting messages: of no stream but the case keys (`overdracht erase` overwrites one key)
                *(f"$JS.API.STREAM.MSG.DELETE.{c.name}" for c in stream_configs() if c.name != KEYS_STREAM),
            ),
            # `_INBOX.>` as well: operator tools such as the `nats` CLI use the default reply prefix;
            # no service does (each has its own), so nobody else's replies arrive there.
            subscribe_allow=("amv.>", f"{inbox_prefix(OPS_USER)}.>", "_INBOX.>"),
        ),
    )


def users(directory: Directory, schools: Iterable[str] = ()) -> list[NatsUser]:
    found = [partner_user(org) for org in partner_organisations(directory, schools)]
    found += [service_user(service) for service in SERVICES] + [ops_user()]
    names = [user.name for user in found]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise ValueError(f"two NATS users would be named {clashes[0]!r}")
    return found


# --- the server configuration -----------------------------------------------------------------


def _subject_list(key: str, values: tuple[str, ...], indent: str) -> list[str]:
    if not values:
        return []
    return [f"{indent}{key}: [", *(f"{indent}  {json.dumps(value)}" for value in values), f"{indent}]"]


def _user_block(user: NatsUser, password_hash: str) -> list[str]:
    p = user.permissions
    return [
        f"      {{user: {json.dumps(user.name)}, password: {json.dumps(password_hash)}, permissions: {{",
        "        publish: {",
        *_subject_list("allow", p.publish_allow, "          "),
        *_subject_list("deny", p.publish_deny, "          "),
        "        }",
        "        subscribe: {",
        *_subject_list("allow", p.subscribe_allow, "          "),
        *_subject_list("deny", p.subscribe_deny, "          "),
        "        }",
        "      }}",
    ]


def render_config(all_users: list[NatsUser], password_hashes: Mapping[str, str]) -> str:
    """The nats-server configuration (accounts, users, permissions) for `all_users`; each user's
    password is given as its bcrypt hash, so the file holds no secret that logs anyone in."""
    missing = [user.name for user in all_users if not password_hashes.get(user.name, "").startswith("$2")]
    if missing:
        raise ValueError(f"no bcrypt hash for {', '.join(missing)}")
    system = [u for u in all_users if u.account == SYSTEM_ACCOUNT]
    partners = [u for u in all_users if u.role == "partner"]
    lines = [
        "# NATS accounts, users and permissions of Warme Overdracht.",
        "# Generated by services/runtime/natsauth.py from the organisation directory: do not edit,",
        "# regenerate. Passwords are bcrypt hashes; the passwords themselves are in credentials.json.",
        "",
        "accounts {",
        f"  {json.dumps(SYSTEM_ACCOUNT)}: {{",
        "    # JetStream lives here; partners reach it only through the exports below.",
        "    jetstream: enabled",
        "    users: [",
    ]
    for user in system:
        lines += _user_block(user, password_hashes[user.name])
    lines += ["    ]", "    exports: ["]
    for user in partners:
        org, account = user.name, json.dumps(user.account)
        lines += [
            f"      {{service: {json.dumps(f'{subjects.INBOX_PREFIX}.{org}.>')}, accounts: [{account}]}}",
            f"      {{stream: {json.dumps(f'{subjects.REJECTED_PREFIX}.{org}.>')}, accounts: [{account}]}}",
            f"      {{stream: {json.dumps(f'{subjects.TASKS_PREFIX}.{org}.>')}, accounts: [{account}]}}",
        ]
    lines += ["    ]", "  }"]
    for user in partners:
        org, system_account = user.name, json.dumps(SYSTEM_ACCOUNT)
        lines += [
            f"  {json.dumps(user.account)}: {{",
            "    users: [",
            *_user_block(user, password_hashes[user.name]),
            "    ]",
            "    imports: [",
            f"      {{service: {{account: {system_account}, subject: {json.dumps(f'{subjects.INBOX_PREFIX}.{org}.>')}}}}}",
            f"      {{stream: {{account: {system_account}, subject: {json.dumps(f'{subjects.REJECTED_PREFIX}.{org}.>')}}}}}",
            f"      {{stream: {{account: {system_account}, subject: {json.dumps(f'{subjects.TASKS_PREFIX}.{org}.>')}}}}}",
            "    ]",
            "  }",
        ]
    lines += ["}", ""]
    return "\n".join(lines)


def hash_password(password: str, rounds: int = DEV_BCRYPT_ROUNDS) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def new_password() -> str:
    return secrets.token_urlsafe(24)


# --- dev secrets under the data directory ------------------------------------------------------


@dataclass(frozen=True)
class DevAuth:
    config_file: Path  # the nats-server configuration (-c)
    credentials_file: Path  # user -> password, for clients
    passwords: dict[str, str]

    @property
    def passwords_dir(self) -> Path:
        """`<user>` in it holds that user's password, nothing else (NATS_PASSWORD_FILE)."""
        return self.credentials_file.parent / PASSWORDS_DIR

    def connect_options(self, user: str) -> dict[str, str]:
        """Keyword arguments of `nats.connect` that log in as `user`."""
        return {"user": user, "password": self.passwords[user], "inbox_prefix": inbox_prefix(user)}


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    path.chmod(0o600)


def _write_password_files(directory: Path, passwords: Mapping[str, str]) -> None:
    """`directory/<user>` with the user's password (no newline), 0600 in a 0700 directory, for
    every user; files of users no longer configured are removed. A file is rewritten only when
    its password changed, so a service reading it never sees it half written."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    for name, password in passwords.items():
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"{name!r} cannot be a password file name")
        path = directory / name
        if not (path.is_file() and path.read_text() == password):
            _write_private(path, password)
    for stale in directory.iterdir():
        if stale.name not in passwords and stale.is_file():
            stale.unlink()


def _complete(entry: dict | None) -> bool:
    return bool(entry and entry.get("password") and entry.get("bcrypt"))


def ensure_dev_credentials(
    data_dir: Path,
    directory: Directory | None = None,
    schools: Iterable[str] = (),
    rounds: int = DEV_BCRYPT_ROUNDS,
) -> DevAuth:
    """Keep a password for every user in `<data_dir>/credentials.json` (new users get a new one,
    existing ones keep theirs; delete a user's entry to rotate it), each alone in
    `<data_dir>/passwords/<user>`, and write the server configuration `<data_dir>/nats-auth.conf`
    for the current directory. Every file is 0600 (readable by the user that runs this only)."""
    data_dir = Path(data_dir)
    all_users = users(directory or load_directory(), schools)
    credentials_file = data_dir / CREDENTIALS_FILE
    stored = json.loads(credentials_file.read_text()).get("users", {}) if credentials_file.exists() else {}
    missing = [u.name for u in all_users if not _complete(stored.get(u.name))]
    new_passwords = {name: new_password() for name in missing}
    # bcrypt is slow on purpose (~0.1 s per user) and releases the GIL: hash the new ones side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        hashes = dict(zip(missing, pool.map(lambda name: hash_password(new_passwords[name], rounds), missing)))
    entries = {}
    for user in all_users:
        if user.name in new_passwords:
            entry = {"password": new_passwords[user.name], "bcrypt": hashes[user.name]}
        else:
            entry = stored[user.name]
        entries[user.name] = {
            "account": user.account,
            "role": user.role,
            "inbox_prefix": user.inbox_prefix,
            "password": entry["password"],
            "bcrypt": entry["bcrypt"],
        }
    document = {
        "about": "NATS credentials of `make run` or docker-compose's nats-auth (services/runtime/natsauth.py). "
        "Never commit. Rotate a user: `python -m services.runtime.natsauth --rotate USER`, then reload nats-server.",
        "users": entries,
    }
    _write_private(credentials_file, json.dumps(document, indent=2) + "\n")
    passwords = {name: e["password"] for name, e in entries.items()}
    _write_password_files(data_dir / PASSWORDS_DIR, passwords)
    config_file = data_dir / CONFIG_FILE
    _write_private(config_file, render_config(all_users, {name: e["bcrypt"] for name, e in entries.items()}))
    return DevAuth(config_file, credentials_file, passwords)


def load_credentials(credentials_file: Path) -> dict[str, str]:
    """user -> password from a credentials.json written by `ensure_dev_credentials`."""
    return {name: e["password"] for name, e in json.loads(Path(credentials_file).read_text())["users"].items()}


def client_options(user: str, credentials_file: Path | None) -> dict[str, str]:
    """How an operator tool or example logs in as `user`: NATS_USER with NATS_PASSWORD or
    NATS_PASSWORD_FILE from the environment when set (read as the services read them), else the
    dev credentials file when it exists, else no authentication (a server without it, such as
    the test suite's)."""
    if os.environ.get("NATS_USER"):
        login = Settings().nats_login()
        return {"user": login["user"], "password": login.get("password", ""), "inbox_prefix": inbox_prefix(login["user"])}
    if credentials_file is not None and Path(credentials_file).exists():
        return {"user": user, "password": load_credentials(credentials_file)[user], "inbox_prefix": inbox_prefix(user)}
    return {}


def schools_from_env() -> list[str]:
    """WO_NATS_SCHOOLS: comma-separated school organisation ids that get a partner user."""
    return [s.strip() for s in os.environ.get("WO_NATS_SCHOOLS", "").split(",") if s.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.runtime.natsauth",
        description="Write the NATS server configuration (nats-auth.conf) and the credentials of every user "
        "(credentials.json, and passwords/<user> with one password each) for the organisation directory, "
        "or print one user's login as environment variables.",
    )
    parser.add_argument("--data-dir", default=os.environ.get("WO_DATA_DIR", "var"),
                        help="where the files live (default: WO_DATA_DIR, else var)")
    parser.add_argument("--directory", default=os.environ.get("WO_DIRECTORY") or None, help="organisation directory YAML")
    parser.add_argument("--rotate", metavar="USER", action="append", default=[], help="give USER a new password")
    parser.add_argument("--env", metavar="USER", help="print NATS_USER/NATS_PASSWORD lines for USER and exit")
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir)
    if args.env:
        try:
            password = load_credentials(data_dir / CREDENTIALS_FILE)[args.env]
        except FileNotFoundError:
            print(f"no {data_dir / CREDENTIALS_FILE}: generate it first (run this without --env)", file=sys.stderr)
            return 1
        except KeyError:
            print(f"no NATS user {args.env!r} in {data_dir / CREDENTIALS_FILE}", file=sys.stderr)
            return 1
        print(f"NATS_USER={args.env}\nNATS_PASSWORD={password}")
        return 0
    credentials_file = data_dir / CREDENTIALS_FILE
    if args.rotate and credentials_file.exists():
        document = json.loads(credentials_file.read_text())
        for name in args.rotate:
            document["users"].pop(name, None)
        _write_private(credentials_file, json.dumps(document, indent=2) + "\n")
    auth = ensure_dev_credentials(data_dir, load_directory(args.directory), schools_from_env())
    print(f"wrote {auth.config_file}, {auth.credentials_file} and {auth.passwords_dir}/ ({len(auth.passwords)} users)")
    if args.rotate:
        print("a running nats-server picks the new passwords up on `nats-server --signal reload` or a restart")
    return 0


if __name__ == "__main__":
    sys.exit(main())
