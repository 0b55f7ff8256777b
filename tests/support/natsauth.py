"""A real nats-server running the configuration services/runtime/natsauth.py generates, and
clients logged in as its users, with every permission violation the server sent them
(tests/integration/test_nats_permissions.py, test_nats_privilege.py)."""

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from services.bootstrap import DECIDERS
from services.runtime import natsauth, provision
from services.runtime.directory import load_directory
from services.runtime.natsserver import EmbeddedNats

SCHOOL = "school-isk-tilburg"
FAST_BCRYPT_ROUNDS = 4  # the server checks any cost the same way; make run's 11 only costs time here


@dataclass
class AuthServer:
    server: EmbeddedNats
    auth: natsauth.DevAuth
    log_file: Path

    @property
    def url(self) -> str:
        return self.server.url

    def violations(self) -> list[str]:
        return [line for line in self.log_file.read_text().splitlines() if "Violation" in line]


@contextmanager
def auth_server() -> Iterator[AuthServer]:
    """A fresh nats-server with the generated accounts and users."""
    with tempfile.TemporaryDirectory(prefix="wo-auth-") as tmp:
        auth = natsauth.ensure_dev_credentials(Path(tmp), load_directory(), [SCHOOL], rounds=FAST_BCRYPT_ROUNDS)
        log_file = Path(tmp) / "nats-server.log"
        with EmbeddedNats(Path(tmp) / "store", config_file=auth.config_file, log_file=log_file) as server:
            yield AuthServer(server, auth, log_file)


async def provision_as_provisioner(server: AuthServer, **settings: object) -> None:
    """What compose's `provision` step does: every stream, bucket and durable consumer, created by
    the one login that may (services/provisioning.py)."""
    nc = await nats.connect(server.url, **server.auth.connect_options(natsauth.PROVISIONER_USER))
    try:
        await provision.provision_system(nc.jetstream(), DECIDERS, **settings)
    finally:
        await nc.close()


@dataclass
class Client:
    """A connection as one user, with every error the server sent it."""

    user: str
    nc: NATS
    errors: list[str] = field(default_factory=list)

    def refused(self, verb: str, subject: str) -> bool:
        """Has the server refused `verb` ("publish" or "subscription") on `subject` so far?"""
        expected = f'permissions violation for {verb} to "{subject}"'.lower()
        return any(expected in error for error in self.errors)

    async def denied(self, verb: str, subject: str, timeout_s: float = 3.0) -> bool:
        """Does the server refuse it? Waits for the refusal: a flush is no barrier in nats-py 2.16
        (its PING can overtake a publish still in the client's pending buffer)."""
        await self.nc.flush()
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not self.refused(verb, subject):
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True


async def connect_as(server: AuthServer, user: str, **options) -> Client:
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc).lower())

    login = {**server.auth.connect_options(user), **options}
    nc = await nats.connect(server.url, error_cb=on_error, allow_reconnect=False, **login)
    return Client(user, nc, errors)


class Watcher:
    """`ops` listening on every amv.> subject: what reached the system's account."""

    def __init__(self) -> None:
        self.seen: list[Msg] = []

    async def start(self, server: AuthServer) -> "Watcher":
        self.client = await connect_as(server, natsauth.OPS_USER)
        await self.client.nc.subscribe("amv.>", cb=self._on_msg)
        await self.client.nc.flush()
        return self

    async def _on_msg(self, msg: Msg) -> None:
        self.seen.append(msg)

    def subjects(self, marker: bytes) -> list[str]:
        return [msg.subject for msg in self.seen if msg.data == marker]

    async def stop(self) -> None:
        await self.client.nc.close()


async def stream_state(server: AuthServer, stream: str):
    ops = await connect_as(server, natsauth.OPS_USER)
    info = await ops.nc.jetstream().stream_info(stream)
    await ops.nc.close()
    return info.state
