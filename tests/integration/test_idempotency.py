"""Idempotency scoped to the sender (issue 14 point 2), tried as partners would: raw reports on
amv.inbox.<org>.<Type> against the running services.

- the same organisation's same id with the same content again: a no-op;
- the same organisation's same id with other content: refused, `id-conflict`;
- another organisation's report with the same id: stored, a report of its own;
- a report whose id is the id a rule will derive later cannot suppress that derived event.
"""

from datetime import date

import pytest

from contracts.envelope import derived_event_id
from ops.quiesce import wait_until_idle
from tests.support.fixtures import nc, system  # noqa: F401 - fixtures
from tests.support.partner import case_events, new_case_id, publish, rejection_of, report, start_day

pytestmark = pytest.mark.integration
PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}


async def stored_ids(nc, case_id: str, event_type: str) -> list[str]:
    return [e["id"] for e in await case_events(nc, case_id) if e["type"].split(".")[2] == event_type]


async def test_the_same_report_again_is_a_no_op_and_other_content_under_the_same_id_is_refused(system, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
    guardian = {"guardian": "nidos", "since": "2025-03-01"}
    await publish(nc, "nidos", "GuardianAssigned", case_id, guardian, event_id="guardian-1")
    await publish(nc, "nidos", "GuardianAssigned", case_id, guardian, event_id="guardian-1")
    await wait_until_idle(nc)
    assert await stored_ids(nc, case_id, "GuardianAssigned") == ["guardian-1"]

    changed = await publish(nc, "nidos", "GuardianAssigned", case_id, {**guardian, "since": "2025-04-01"},
                            event_id="guardian-1")
    refused = await rejection_of(nc, changed)
    assert refused.headers["Wo-Error-Code"] == "id-conflict"
    assert refused.headers["Wo-Error-Field"] == "id"
    assert "2025-04-01" not in refused.headers["Wo-Error-Reason"]
    assert await stored_ids(nc, case_id, "GuardianAssigned") == ["guardian-1"]


async def test_another_organisations_report_with_the_same_id_is_stored(system, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)
    await publish(nc, "nidos", "GuardianAssigned", case_id, {"guardian": "nidos", "since": "2025-03-01"},
                  event_id="shared-id-7")
    await publish(nc, "school-isk-tilburg", "EducationEnrolled", case_id,
                  {"level": "isk", "since": "2026-02-01", "school": "school-isk-tilburg"},
                  event_id="shared-id-7")
    await wait_until_idle(nc)
    events = await case_events(nc, case_id)
    by_id = [(e["source"].rsplit(":", 1)[1], e["type"].split(".")[2]) for e in events if e["id"] == "shared-id-7"]
    assert sorted(by_id) == [("nidos", "GuardianAssigned"), ("school-isk-tilburg", "EducationEnrolled")]


async def test_a_report_cannot_claim_the_id_of_an_event_a_rule_derives_later(system, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2009-03-01", "municipality": "GM0855", "permit_date": "2026-01-10"})
    # The 18+ handoff is requested when a day at 17½ starts; its id is derived from the case alone.
    predicted = derived_event_id(f"{case_id}/", "transition-18-plus")
    await report_with_id(nc, case_id, predicted)
    assert await stored_ids(nc, case_id, "GuardianAssigned") == [predicted]

    await start_day(nc, date(2026, 9, 1))  # after 1 September 2026 the young person is 17½
    await wait_until_idle(nc)
    requested = [e for e in await case_events(nc, case_id)
                 if e["type"].split(".")[2] == "HandoffRequested" and e["data"]["kind"] == "transition-18-plus"]
    assert [e["id"] for e in requested] == [predicted]  # derived, stored, not suppressed by the partner's id


async def report_with_id(nc, case_id: str, event_id: str) -> None:
    await publish(nc, "nidos", "GuardianAssigned", case_id, {"guardian": "nidos", "since": "2025-03-01"},
                  event_id=event_id)
    await wait_until_idle(nc)

