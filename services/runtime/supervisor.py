"""`make run`: the whole system on one machine.

Starts the embedded nats-server (unless NATS_URL names one), provisions the streams, starts the
clock (services/runtime/clock.py: the one midnight schedule, and the days missed while the system
was down, published in order), runs the four services and the handoff desk (services/desk, unless
WO_HTTP_PORT=0) as child processes, prints where everything is, and on Ctrl-C (or SIGTERM) stops
them, then NATS, leaving no process behind.
A process that dies is restarted with backoff, the embedded nats-server too (same port, same
store), and each death and restart is logged on stderr (services/runtime/restarts.py). A service
whose NATS connection is closed for good exits by itself to be restarted (services/runtime/application.py).

Authentication is on by default: the embedded server runs with the accounts and users that
services/runtime/natsauth.py generates into the data directory (nats-auth.conf), and each service
logs in as its own user with its password from credentials.json there (the desk as notify, whose
user may publish the organisations' answers to tasks). WO_NATS_AUTH=off starts it
without. With NATS_URL set, the services log in with NATS_USER/NATS_PASSWORD from the environment,
or each as itself from the credentials file WO_NATS_CREDENTIALS names.
"""

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path

import nats
import nats.errors

from services.runtime import clock, natsauth, provision
from services.runtime.devtokens import DevTokensError, ensure_dev_tokens
from services.runtime.directory import load_directory
from services.runtime.natsserver import EmbeddedNats
from services.runtime.restarts import Restarts
from services.runtime.settings import Settings

SERVICES = ("intake", "guardianship", "housing", "notify")
DESK = "desk"  # the handoff desk, a process of its own (python -m services.desk)
DESK_NATS_USER = "notify"  # the desk answers tasks with notify's NATS permissions
NATS_SERVER = "nats-server"  # the embedded one, in the restart log
TEND_EVERY_S = 0.2  # how often the supervisor looks at its processes
METRICS_BASE_PORT = 9100  # intake's /healthz, /readyz, /metrics; the other services use the next ports


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _metrics_ports() -> dict[str, int]:
    """Each service's WO_METRICS_PORT: intake on WO_METRICS_PORT (default 9100), guardianship,
    housing and notify on the next three; 0 switches the endpoints off. When the default ports are
    taken (another system on this machine), the next free block of ten is used; a port set
    explicitly that is taken stops `make run` with a clear message."""
    configured = os.environ.get("WO_METRICS_PORT")
    base = int(configured) if configured else METRICS_BASE_PORT
    if base == 0:
        return dict.fromkeys(SERVICES, 0)
    ports = range(base, base + len(SERVICES))
    while configured is None and not all(_port_free(p) for p in ports) and base < METRICS_BASE_PORT + 100:
        base += 10
        ports = range(base, base + len(SERVICES))
    busy = [port for port in ports if not _port_free(port)]
    if busy:
        raise SystemExit(f"WO_METRICS_PORT: port(s) {busy} are in use; set WO_METRICS_PORT to another first port, "
                         "or to 0 to switch the health and metrics endpoints off")
    return dict(zip(SERVICES, ports, strict=True))


def _metrics_banner(url: str, ports: dict[str, int]) -> str:
    if not ports["intake"]:
        return "Health and metrics endpoints: off (WO_METRICS_PORT=0)\n"
    listed = "\n".join(f"    {name:<13} http://127.0.0.1:{port}/healthz  /readyz  /metrics" for name, port in ports.items())
    return f"""Health, readiness and Prometheus metrics, per service:
{listed}
Operate it (docs/operations.md):  NATS_URL={url} WO_METRICS_PORT={ports['intake']} .venv/bin/overdracht status
"""


def _banner(url: str, data_dir: Path | None, credentials_file: Path | None = None) -> str:
    store = f"JetStream store under {data_dir}" if data_dir else "external NATS server"
    if credentials_file is None:
        login, credentials, as_gm0855 = "", "  NATS users: none (no authentication)\n", ""
    else:
        login = f"WO_NATS_CREDENTIALS={credentials_file} "
        credentials = (
            f"  NATS users: one per partner organisation, per service and `ops`; dev passwords in\n"
            f"             {credentials_file}\n"
            f"             (one login as variables: .venv/bin/python -m services.runtime.natsauth "
            f"--data-dir {credentials_file.parent} --env gm0855)\n"
        )
        as_gm0855 = " --user gm0855 --password <its password>"
    return f"""
Warme Overdracht is running.
  NATS:      {url}  ({store})
{credentials}  services:  {", ".join(SERVICES)}  (JSON logs below)

Publish a first event as Nidos would (Python, nats-py):
  {login}NATS_URL={url} .venv/bin/python examples/first_case.py

Watch tasks for Tilburg's municipality:   nats sub --server {url}{as_gm0855} 'amv.tasks.gm0855.>'
Stop with Ctrl-C.
"""


async def _provision(url: str, settings: Settings, login: dict[str, str]) -> str:
    """The clock (its one schedule, and the missed days; the streams are provisioned); its banner line."""
    nc = await nats.connect(url.split(","), connect_timeout=5, max_reconnect_attempts=3, **login)
    try:
        try:
            _, caught_up = await clock.start_clock(nc, settings.clock_schedule)
        except (nats.errors.Error, TimeoutError) as exc:  # e.g. a login that may not publish on amv.clock.>
            return (f"Clock: NOT started ({type(exc).__name__}: {exc}); days start only with `overdracht day` "
                    "until `make run` starts it as the operator ops (docs/operations.md, \"The clock\")\n")
    finally:
        await nc.close()
    missed = f"; caught up {', '.join(d.isoformat() for d in caught_up)}" if caught_up else ""
    return f"Clock: a day starts by schedule '{settings.clock_schedule}' (Europe/Amsterdam){missed}\n"


DEV_TOKENS_FILE = "org-tokens.json"


def _handoff_desk(settings: Settings, data_dir: Path) -> tuple[dict[str, str] | None, str]:
    """The handoff desk: the environment it runs with (None: not started) and the banner lines.
    Unless WO_ORG_TOKENS or WO_ORG_TOKENS_FILE is set, every organisation of the directory gets a
    development token, kept in <data dir>/org-tokens.json (readable by its owner only)."""
    if not settings.http_port:
        return None, "Handoff desk: off (WO_HTTP_PORT=0)\n"
    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::") else settings.http_host
    url = f"http://{host}:{settings.http_port}"
    if not _port_free(settings.http_port):
        return None, f"Handoff desk: off, port {settings.http_port} is in use (set WO_HTTP_PORT to another port)\n"
    if settings.org_tokens or settings.org_tokens_file:
        source = "WO_ORG_TOKENS" if settings.org_tokens else f"WO_ORG_TOKENS_FILE ({settings.org_tokens_file})"
        return {}, f"Handoff desk: {url}  (API and its OpenAPI page: {url}/docs; tokens from {source})\n"
    path = data_dir / DEV_TOKENS_FILE
    try:
        tokens = ensure_dev_tokens(path, load_directory(settings.directory or None).organisations())
    except DevTokensError as exc:
        raise SystemExit(f"Handoff desk: {exc}") from exc
    listed = "\n".join(f"    {org:<18} {token}" for org, token in tokens.items())
    return {"WO_ORG_TOKENS_FILE": str(path)}, f"""Handoff desk: {url}  (API and its OpenAPI page: {url}/docs)
  Sign in with your organisation's token (development tokens, kept in {path}):
{listed}
"""


def stop_processes(processes: Iterable[subprocess.Popen], timeout_s: float = 15.0) -> None:
    """SIGTERM every running one at once (each finishes what it holds), then wait for each;
    one still running after `timeout_s` is killed."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start_process(name: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", f"services.{name}"], env=env, start_new_session=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="warme-overdracht",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Environment: NATS_URL (use that server instead of the embedded one), "
        "WO_NATS_PORT (embedded server port, default 4222), WO_DATA_DIR (default ./var), "
        "WO_NATS_AUTH (on or off, default on), WO_NATS_SCHOOLS (school ids that get a NATS user, comma-separated), "
        "WO_NATS_CREDENTIALS (credentials.json of the services' logins on the server NATS_URL names), "
        "WO_METRICS_PORT (intake's health/metrics port, the other services the next three; default 9100, 0: off), "
        "WO_CLOCK_SCHEDULE (when a day starts; default every midnight in Europe/Amsterdam).",
    )
    parser.parse_args(argv)
    settings = Settings()
    metrics_ports = _metrics_ports()
    embedded: EmbeddedNats | None = None
    data_dir: Path | None = None
    restarts = Restarts()
    url = os.environ.get("NATS_URL")
    credentials_file: Path | None = None
    if url and os.environ.get("WO_NATS_CREDENTIALS"):
        credentials_file = Path(os.environ["WO_NATS_CREDENTIALS"]).resolve()
    if not url:
        data_dir = Path(os.environ.get("WO_DATA_DIR", "var")).resolve()
        port = int(os.environ.get("WO_NATS_PORT", "4222"))
        auth_config: Path | None = None
        if os.environ.get("WO_NATS_AUTH", "on").lower() != "off":
            auth = natsauth.ensure_dev_credentials(
                data_dir, load_directory(settings.directory or None), natsauth.schools_from_env()
            )
            auth_config, credentials_file = auth.config_file, auth.credentials_file
        embedded = EmbeddedNats(
            data_dir / "nats",
            port=port,
            monitor_port=port + 4000,
            log_file=data_dir / "nats-server.log",
            config_file=auth_config,
        )
        (data_dir).mkdir(parents=True, exist_ok=True)
        embedded.start()
        restarts.started(NATS_SERVER)
        url = embedded.url
    env = {**os.environ, "NATS_URL": url}
    desk_env, desk_banner = _handoff_desk(settings, data_dir or Path(os.environ.get("WO_DATA_DIR", "var")).resolve())
    passwords = natsauth.load_credentials(credentials_file) if credentials_file else {}

    def service_env(name: str) -> dict[str, str]:
        """Each service logs in as itself when the credentials are known, and serves its endpoints on
        its own port; the desk logs in as notify and serves on WO_HTTP_PORT."""
        if name == DESK:
            own, login = {**env, **(desk_env or {})}, DESK_NATS_USER
        else:
            own, login = {**env, "WO_METRICS_PORT": str(metrics_ports[name])}, name
        if login in passwords:
            return {**own, "NATS_USER": login, "NATS_PASSWORD": passwords[login]}
        return own

    ops_login = (
        {"user": natsauth.OPS_USER, "password": passwords[natsauth.OPS_USER]} if passwords else settings.nats_login()
    )
    if "user" in ops_login:
        ops_login["inbox_prefix"] = natsauth.inbox_prefix(ops_login["user"])
    children: dict[str, subprocess.Popen] = {}

    def start_child(name: str) -> None:
        children[name] = _start_process(name, service_env(name))

    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        provision.run_provisioner(env, passwords)  # streams, buckets, consumers: as the user provisioner
        clock_banner = asyncio.run(_provision(url, settings, ops_login))
        for name in (*SERVICES, DESK) if desk_env is not None else SERVICES:
            start_child(name)
            restarts.started(name)
        print(_banner(url, data_dir, credentials_file), flush=True)
        print(_metrics_banner(url, metrics_ports), flush=True)
        print(desk_banner, flush=True)
        print(clock_banner, flush=True)
        while not stopping:
            time.sleep(TEND_EVERY_S)
            if embedded is not None:
                restarts.tend(NATS_SERVER, embedded.returncode, embedded.start)
            for name, child in list(children.items()):
                if not stopping:
                    restarts.tend(name, child.poll(), partial(start_child, name))
    finally:
        stop_processes(children.values())
        if embedded is not None:
            embedded.stop()
        print("Warme Overdracht stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
