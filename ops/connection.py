"""How operator tooling reaches NATS: as the `ops` user, failing fast instead of retrying for ever.

nats-py keeps retrying a refused first connection, so the socket is asked first; the client
never reconnects. Credentials: NATS_USER/NATS_PASSWORD from the environment, else the dev
credentials file (WO_NATS_CREDENTIALS, else WO_DATA_DIR/credentials.json, as `make run` writes
it), else none (a server without authentication, such as the test suite's).
"""

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import nats
from nats.aio.client import Client as NATS

from services.runtime import natsauth


class NotANatsUrl(ValueError):
    """A NATS URL that cannot be parsed."""


class Unreachable(ConnectionError):
    """Nothing answers at the NATS URL, or it refused the connection."""


def nats_servers(url: str) -> list[tuple[str, str, int]]:
    """(url, host, port) of each server in a comma-separated NATS URL."""
    servers = []
    for part in (p.strip() for p in url.split(",")):
        parsed = urlparse(part if "://" in part else f"nats://{part}")
        try:
            port = parsed.port or 4222
        except ValueError:
            port = None
        if parsed.scheme not in ("nats", "tls", "ws", "wss") or not parsed.hostname or port is None:
            raise NotANatsUrl(f"'{part}' is not a NATS URL like nats://127.0.0.1:4222")
        servers.append((part, parsed.hostname, port))
    return servers


def accepts_connections(host: str, port: int, timeout_s: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def answers(url: str) -> bool:
    """Does any server of `url` accept TCP connections?"""
    return any(accepts_connections(host, port) for _, host, port in nats_servers(url))


def credentials_file() -> Path:
    """Where `make run` (or WO_NATS_CREDENTIALS) keeps the dev logins; it may not exist."""
    named = os.environ.get("WO_NATS_CREDENTIALS")
    return Path(named) if named else Path(os.environ.get("WO_DATA_DIR", "var")) / natsauth.CREDENTIALS_FILE


def ops_login(credentials: Path | None = None) -> dict[str, str]:
    """nats.connect keywords (user, password, inbox_prefix) of the operator, or {} without auth."""
    return natsauth.client_options(natsauth.OPS_USER, credentials or credentials_file())


async def connect(url: str, login: dict[str, str]) -> NATS:
    """One connection to `url`, or Unreachable with the reason (NotANatsUrl when malformed)."""
    servers = nats_servers(url)
    if not any(accepts_connections(host, port) for _, host, port in servers):
        raise Unreachable(
            f"cannot reach NATS at {url}: nothing accepts connections there. "
            "Is the system running (make run, docker-compose), and is --nats-url / NATS_URL right?"
        )

    async def quiet(exc: Exception) -> None:  # the failure is reported once, by the caller
        pass

    try:
        return await nats.connect(
            [server for server, _, _ in servers], connect_timeout=3, allow_reconnect=False, max_reconnect_attempts=1,
            error_cb=quiet, **login,
        )
    except Exception as exc:  # noqa: BLE001 - any failure to connect is reported the same way
        reason = "the credentials were refused (NATS_USER / NATS_PASSWORD)" if "uthoriz" in repr(exc) else repr(exc)
        raise Unreachable(f"cannot connect to NATS at {url}: {reason}") from exc
