"""One case whose decision fails is parked, loudly, and the day goes on for every other case
(services/runtime/parking.py)."""

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from prometheus_client import generate_latest

from contracts.events import ResidencePermitGranted
from contracts.events import report as report_envelope
from ops.quiesce import wait_until_idle
from services.runtime.eventstore import EventStore
from services.runtime.parking import parked_cases
from tests.ops.support import overdracht
from tests.support.fixtures import nc, system  # noqa: F401 - fixtures
from tests.support.partner import case_events, eventually, new_case_id, report, start_day

pytestmark = pytest.mark.integration


async def permit(nc, case_id: str, permit_date: str) -> None:
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2012-03-01", "municipality": "GM0855", "permit_date": permit_date})


async def store_unchecked_permit(nc, case_id: str, permit_date: date) -> None:
    """A permit stored as it was before the inbox bounded dates: straight into the event store."""
    permit = ResidencePermitGranted(date_of_birth=date(2012, 3, 1), municipality="GM0855", permit_date=permit_date)
    await EventStore(nc).append("intake", case_id, [report_envelope(permit, case_id, "nidos", str(uuid.uuid4()), datetime.now(UTC))], 0)
    await wait_until_idle(nc)


async def test_a_case_whose_day_fails_is_parked_and_every_other_case_gets_its_deadline(system, nc, broker_url) -> None:
    poisoned, healthy = new_case_id(), new_case_id()
    # A permit in the year 9999: its filing deadline (permit + 3 months) is past the last date
    # Python knows, so intake's day rule raises for this case, on every day. The inbox refuses
    # such a date now (contracts/bounds.py); a store written before it did may still hold one.
    await store_unchecked_permit(nc, poisoned, date(9999, 12, 1))
    await permit(nc, healthy, "2026-01-05")

    await start_day(nc, date(2026, 4, 6))  # the healthy case's filing deadline has passed
    await wait_until_idle(nc)

    healthy_types = [e["type"].split(".")[2] for e in await case_events(nc, healthy)]
    assert "FilingDeadlineMissed" in healthy_types
    [parked] = [p for p in await parked_cases(nc, "intake") if p.case_id == poisoned]
    assert parked.trigger == "day 2026-04-06"
    assert parked.reason.startswith("ValueError")
    intake, _ = system.running["intake"]
    assert intake.parking.is_parked(poisoned)
    parked_in_intake = len(await parked_cases(nc, "intake"))  # earlier tests' unfoldable events park theirs too
    metrics = generate_latest(intake.metrics.registry).decode()
    assert f'wo_cases_parked{{service="intake"}} {float(parked_in_intake)}' in metrics

    # The operator sees it, and retries before fixing anything: decided again, parked again.
    listed = await overdracht("parked", "list", "--service", "intake", "--check", "--json", nats_url=broker_url)
    assert listed.code == 1, listed.stderr  # --check: something to act on
    [shown] = [p for p in json.loads(listed.stdout) if p["case_id"] == poisoned]
    assert shown["trigger"] == "day 2026-04-06" and shown["reason"].startswith("ValueError")
    retried = await overdracht("parked", "retry", "intake", poisoned, "--json", nats_url=broker_url)
    assert retried.code == 0 and json.loads(retried.stdout)["retried"] is True, retried.stderr
    await eventually(lambda: _retried_and_parked_again(nc, poisoned), 10, "the retried case parked again")
    never = await overdracht("parked", "retry", "intake", new_case_id(), nats_url=broker_url)
    assert never.code == 1 and "nothing to retry" in never.stderr + never.stdout


async def _retried_and_parked_again(nc, case_id: str) -> bool:
    return any(p.case_id == case_id and p.trigger.startswith("retry of day") for p in await parked_cases(nc, "intake"))
