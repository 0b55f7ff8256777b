"""`overdracht erase CASE --yes`, run as an operator runs it (a process of its own), against the
running services: it asks for confirmation, reports what it erased and what it could not reach,
and the services (in this process) read the case as erased at once."""

import json
import subprocess
import sys

import nats
import nats.js.errors
import pytest

from contracts.events import data_of
from services.runtime.privacy import KEYS_BUCKET
from tests.support.brokers import REPO
from tests.support.partner import eventually, new_case_id, publish
from tests.support.system import RunningSystem

pytestmark = pytest.mark.integration

PERMIT = {"date_of_birth": "2010-08-03", "municipality": "GM0855", "permit_date": "2026-01-10"}


def overdracht(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "--nats-url", url, *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
async def system(broker_url):
    running = await RunningSystem(broker_url, ack_wait_s=2.0).start()
    yield running
    await running.stop()


async def test_erase_asks_for_yes_then_erases_reports_and_the_running_services_read_the_case_as_erased(
    system, broker_url
) -> None:
    nc = await nats.connect(broker_url)
    try:
        case_id = new_case_id()
        await publish(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
        guardianship = system.running["guardianship"][0]

        async def readable():
            history = await guardianship.store.load_case("guardianship", case_id)
            return history.events and data_of(history.events[0]).date_of_birth is not None

        await eventually(readable, 15, "the permit stored and readable")  # guardianship now holds the key
        kv = await nc.jetstream().key_value(KEYS_BUCKET)

        unconfirmed = overdracht(broker_url, "erase", case_id)
        assert unconfirmed.returncode == 2 and f"overdracht erase {case_id} --yes" in unconfirmed.stderr
        assert (await kv.get(case_id)).value  # nothing was done

        erased = overdracht(broker_url, "erase", case_id, "--yes", "--json")
        assert erased.returncode == 0, erased.stdout + erased.stderr
        report = json.loads(erased.stdout)
        assert (report["case_id"], report["key_erased"], report["sealed_fields"], report["clear_fields"]) == (
            case_id, True, 1, 0,
        )
        assert report["inbox_copies"] == 1
        with pytest.raises(nats.js.errors.KeyNotFoundError):
            await kv.get(case_id)

        async def erased_in_the_service():  # another process erased it; this one drops its cached key
            history = await guardianship.store.load_case("guardianship", case_id)
            return data_of(history.events[0]).date_of_birth is None

        await eventually(erased_in_the_service, 5, "guardianship reads the case as erased")

        timeline = overdracht(broker_url, "timeline", case_id)
        assert timeline.returncode == 0 and case_id in timeline.stdout, timeline.stdout + timeline.stderr
        again = overdracht(broker_url, "erase", case_id, "--yes")
        assert again.returncode == 0 and "Erased the personal data of" in again.stdout
        assert "not found (nothing encrypted, or erased before)" in again.stdout
        assert "1 partner reports in AMV_INBOX" in again.stdout  # what crypto-shredding cannot reach, said
        for output in (erased.stdout, timeline.stdout, again.stdout):
            assert "2010-08-03" not in output

        unknown = overdracht(broker_url, "erase", new_case_id(), "--yes")
        assert unknown.returncode == 1 and "no events are stored" in unknown.stderr and "nothing was erased" in unknown.stderr
    finally:
        await nc.close()
