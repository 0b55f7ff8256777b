"""`make run`: the whole system on one machine.

Starts the embedded nats-server (unless NATS_URL names one), provisions the streams, runs the four
services as child processes, prints where everything is, and on Ctrl-C (or SIGTERM) stops the
services, then NATS, leaving no process behind. A service that dies is restarted.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nats

from services.runtime import provision
from services.runtime.natsserver import EmbeddedNats
from services.runtime.settings import Settings

SERVICES = ("intake", "guardianship", "housing", "notify")


def _banner(url: str, data_dir: Path | None) -> str:
    store = f"JetStream store under {data_dir}" if data_dir else "external NATS server"
    return f"""
Warme Overdracht is running.
  NATS:      {url}  ({store})
  services:  {", ".join(SERVICES)}  (JSON logs below)

Publish a first event as Nidos would (Python, nats-py):
  NATS_URL={url} .venv/bin/python examples/first_case.py

Watch tasks for Tilburg's municipality:   nats sub --server {url} 'amv.tasks.gm0855.>'
Stop with Ctrl-C.
"""


async def _provision(url: str, settings: Settings) -> None:
    nc = await nats.connect(url.split(","), connect_timeout=5, max_reconnect_attempts=3)
    try:
        await provision.provision_streams(nc.jetstream(), duplicate_window_s=settings.duplicate_window_s)
    finally:
        await nc.close()


def _start_service(name: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", f"services.{name}"], env=env, start_new_session=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="warme-overdracht",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Environment: NATS_URL (use that server instead of the embedded one), "
        "WO_NATS_PORT (embedded server port, default 4222), WO_DATA_DIR (default ./var).",
    )
    parser.parse_args(argv)
    settings = Settings()
    embedded: EmbeddedNats | None = None
    data_dir: Path | None = None
    url = os.environ.get("NATS_URL")
    if not url:
        data_dir = Path(os.environ.get("WO_DATA_DIR", "var")).resolve()
        port = int(os.environ.get("WO_NATS_PORT", "4222"))
        embedded = EmbeddedNats(
            data_dir / "nats", port=port, monitor_port=port + 4000, log_file=data_dir / "nats-server.log"
        )
        (data_dir).mkdir(parents=True, exist_ok=True)
        embedded.start()
        url = embedded.url
    env = {**os.environ, "NATS_URL": url}
    children: dict[str, subprocess.Popen] = {}
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        asyncio.run(_provision(url, settings))
        for name in SERVICES:
            children[name] = _start_service(name, env)
        print(_banner(url, data_dir), flush=True)
        while not stopping:
            time.sleep(0.5)
            for name, child in children.items():
                if child.poll() is not None and not stopping:
                    print(f"service {name} exited with {child.returncode}; restarting", file=sys.stderr, flush=True)
                    children[name] = _start_service(name, env)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded is not None:
            embedded.stop()
        print("Warme Overdracht stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
