"""The agenda of a municipality's integral meeting, from every event in the store
(`overdracht agenda`, ops/cli/meeting.py).

Reads AMV_EVENTS once by batch direct get, groups the events per case and computes the agenda as
of the date with the pure functions of services/monitoring/agenda.py.
"""

from datetime import date, datetime

from nats.aio.client import Client as NATS

from contracts.clock import AMSTERDAM
from services.monitoring.agenda import Agenda, agenda
from services.monitoring.store import load_histories
from services.runtime.directory import Directory


async def agenda_from_store(
    nc: NATS, municipality: str, as_of: date, directory: Directory, since: date | None = None
) -> Agenda:
    return agenda(await load_histories(nc), municipality, as_of, directory, since)


def today() -> date:
    """Today where the chain partners meet. Only this tool's default: no rule reads the clock."""
    return datetime.now(AMSTERDAM).date()
