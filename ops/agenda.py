"""The agenda of a municipality's integral meeting, from every event in the store.

    python -m ops.agenda --municipality GM0855 [--date 2026-09-15] [--since 2026-09-01] [--format md|json|html] [--out FILE]

Reads AMV_EVENTS (NATS_URL, default nats://127.0.0.1:4222) once by batch direct get, groups the
events per case and computes the agenda as of the date (default: today in Europe/Amsterdam) with
the pure functions of services/monitoring/agenda.py. School absence counts from --since (default
two weeks before the date: Tilburg meets every two weeks). Only the municipality's own cases, by
pseudonymous case id. Exit code 2 on a bad argument, an unknown municipality or no server.
"""

import argparse
import asyncio
import os
import sys
from datetime import date, datetime
from pathlib import Path

import nats
from nats.aio.client import Client as NATS

from contracts.clock import AMSTERDAM
from contracts.envelope import CloudEvent
from ops.demo import answers
from services.monitoring.agenda import Agenda, agenda
from services.monitoring.casefile import readable
from services.monitoring.render import RENDERERS, render
from services.monitoring.store import load_histories
from services.runtime import natsauth
from services.runtime.directory import Directory, DirectoryError, load_directory
from services.runtime.settings import Settings


async def agenda_from_store(
    nc: NATS, municipality: str, as_of: date, directory: Directory, since: date | None = None
) -> Agenda:
    return agenda(await load_histories(nc), municipality, as_of, directory, since)


def today() -> date:
    """Today where the chain partners meet. Only this tool's default: no rule reads the clock."""
    return datetime.now(AMSTERDAM).date()


async def connect(url: str) -> NATS:
    """Connect as the `ops` user (NATS_USER/NATS_PASSWORD, else `make run`'s dev credentials in
    WO_DATA_DIR, else none), failing fast with a clear error instead of retrying for ever
    (nats-py keeps retrying a refused first connection, so the socket is asked first)."""
    if not answers(url):
        raise ConnectionRefusedError(f"nothing listens at {url}")
    login = natsauth.client_options(
        natsauth.OPS_USER, Path(os.environ.get("WO_DATA_DIR", "var")) / natsauth.CREDENTIALS_FILE
    )
    return await asyncio.wait_for(
        nats.connect(url.split(","), connect_timeout=3, allow_reconnect=False, **login), timeout=15
    )


async def histories_at(url: str) -> dict[str, list[CloudEvent]] | None:
    """Every stored event grouped per case, read once from the store at `url` (connect, read, close);
    None, with the reason on standard error, when the store cannot be reached."""
    try:
        nc = await connect(url)
    except Exception as exc:  # noqa: BLE001 - any connection failure: say where and stop
        print(f"error: cannot connect to NATS at {url}: {exc!r}", file=sys.stderr)
        return None
    try:
        return await load_histories(nc)
    finally:
        await nc.close()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ops.agenda", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--municipality", required=True, help="CBS code, e.g. GM0855 (Tilburg)")
    p.add_argument("--date", type=date.fromisoformat, default=None, help="as of this day (YYYY-MM-DD; default today)")
    p.add_argument("--since", type=date.fromisoformat, default=None,
                   help="the previous meeting: school absence from this day (default: two weeks before --date)")
    p.add_argument("--format", choices=sorted(RENDERERS), default="md", help="md (default), json or html")
    p.add_argument("--out", type=Path, default=None, help="write to this file instead of standard output")
    return p


async def run(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        directory = load_directory(settings.directory or None)
    except DirectoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if directory.of(args.municipality) is None:
        known = ", ".join(sorted(directory.municipalities))
        print(f"error: municipality {args.municipality} is not in the organisation directory (known: {known})", file=sys.stderr)
        return 2
    histories = await histories_at(settings.nats_url)
    if histories is None:
        return 2
    unreadable = sum(not readable(event) for events in histories.values() for event in events)
    if unreadable:
        print(f"warning: {unreadable} stored events do not match their contract and are left out", file=sys.stderr)
    result = agenda(histories, args.municipality, args.date or today(), directory, args.since)
    text = render(result, args.format)
    if args.out:
        args.out.write_text(text)
        print(f"wrote the agenda of {result.name} ({result.cases} cases) to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.date and args.since and args.since > args.date:
        print("error: --since must not be after --date", file=sys.stderr)
        return 2
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
