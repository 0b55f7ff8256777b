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
  notify the tasks; on the JetStream API only what it uses to *bind*: stream info, its own durable
  consumers (info, next, ack; never create, update or delete), the ordered consumers of its
  projection and key-value watches, and direct gets. It waits, not ready, until they exist.
- `provisioner` (services/provisioning.py: compose's `provision` step, `make run`'s supervisor)
  creates and updates the streams, the key-value buckets and every service's durable consumer, by
  name; it may not delete or purge anything, publish a message or read one.
- `ops`, the operator (the demo, waiting until idle, re-submitting a rejection, the `overdracht`
  commands): publishes reports into any inbox and days on `amv.clock.day`, reads every stream, but
  may not write the event store, tasks or rejections, nor create, update, delete or purge a stream,
  delete a message outside the case keys, or create or delete a durable consumer.

What subject permissions cannot express (all inside the system's account, among our own logins):
an ordered consumer with several filters is created on `$JS.API.CONSUMER.CREATE.<stream>`, a
subject that carries no filter, so a service may read any event of the store (it may direct-get
any of them anyway: the append's version check needs it); a key-value put and delete marker are
the same subject, so a service that stores personal fields may overwrite any case's key and `ops`
(erase) any case key and parked record; and the reply subject of a request is not checked, so a
login can make JetStream send an acknowledgement to another's `_INBOX_<user>` (it cannot read it).

Why a partner has an account of its own and not only a user with permissions: subject
permissions do not cover the *reply* subject of a message. A partner allowed only
`amv.inbox.nidos.>` can still publish there with reply subject `amv.events.intake.<case>.X`, and
JetStream then publishes its acknowledgement to that subject, where the event store would keep
it (measured on nats-server 2.15.1: a partner wrote into another stream this way). Across an
account boundary (a service import) the server rewrites the reply to a private `_R_` subject and
routes the acknowledgement back into the partner's own account, where it can harm nobody.
No user needs `allow_responses`: nobody here answers requests except JetStream itself.

The parts: who may do what (services/runtime/natsusers.py) and the server configuration with the
dev credentials (services/runtime/natscredentials.py); everything is importable from here, and
`python -m services.runtime.natsauth` writes them.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from services.runtime.directory import load_directory
from services.runtime.natscredentials import (
    CONFIG_FILE,
    CREDENTIALS_FILE,
    DEV_BCRYPT_ROUNDS,
    PASSWORDS_DIR,
    DevAuth,
    _write_private,
    client_options,
    ensure_dev_credentials,
    hash_password,
    load_credentials,
    new_password,
    render_config,
    schools_from_env,
)
from services.runtime.natsusers import (
    OPS_USER,
    PROVISIONER_USER,
    SERVICES,
    STREAM_ADMIN_VERBS,
    SYSTEM_ACCOUNT,
    NatsUser,
    Permissions,
    inbox_prefix,
    ops_user,
    partner_account,
    partner_organisations,
    partner_user,
    provisioner_user,
    service_user,
    users,
)


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
