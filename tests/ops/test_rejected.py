"""ops.rejected and `overdracht rejected` against a real nats-server and the running system: list refused reports, and
re-submit one after its cause is fixed, as it was or corrected."""

import json
import os
import subprocess
import sys

import pytest

from ops.rejected import CannotResubmit, list_rejections, resubmit
from services.runtime.eventstore import decode, read_stream
from tests.support.brokers import REPO
from tests.support.fixtures import nc, system  # noqa: F401 - fixtures
from tests.support.partner import envelope, eventually, new_case_id, publish, publish_raw, rejection_of

pytestmark = pytest.mark.integration

PERMIT = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": "2026-01-10"}


async def stored(nc, case_id: str, event_type: str) -> list[dict]:
    """The stored events as the event store reads them (the date of birth is stored encrypted)."""
    stored = await read_stream(nc, "AMV_EVENTS", f"amv.events.*.{case_id}.{event_type}")
    return [decode(m.data).model_dump(mode="json", exclude_none=True) for m in stored]


def cli(broker_url: str, *args: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NATS_URL": broker_url, "WO_DATA_DIR": str(tmp_path)}  # no credentials there: no login
    env.pop("NATS_USER", None)
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "rejected", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


async def test_a_report_refused_for_an_outside_cause_is_resubmitted_as_it_was(system, nc) -> None:
    case_id = new_case_id()
    filed = envelope("nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})
    inbox_seq = await publish_raw(nc, "amv.inbox.nidos.ApplicationFiled", json.dumps(filed).encode())
    rejection = await rejection_of(nc, inbox_seq)

    [listed] = [r for r in await list_rejections(nc, org="nidos") if r.original_sequence == inbox_seq]
    assert (listed.seq, listed.org, listed.event_type, listed.code, listed.field) == (
        rejection.seq, "nidos", "ApplicationFiled", "unknown-case", "subject"
    )
    assert (listed.case_id, listed.event_id, listed.rejected_by) == (case_id, filed["id"], "intake")
    assert listed.resubmission_of is None

    await publish(nc, "nidos", "ResidencePermitGranted", case_id, PERMIT)  # the cause, fixed
    done = await resubmit(nc, rejection.seq)
    assert (done.subject, done.duplicate) == ("amv.inbox.nidos.ApplicationFiled", False)
    [application] = await eventually(lambda: stored(nc, case_id, "ApplicationFiled"), what="the re-submitted report")
    assert application["id"] == filed["id"]

    js = nc.jetstream()
    again = await js.get_msg("AMV_INBOX", done.inbox_seq)
    assert again.data == json.dumps(filed).encode()
    assert again.headers["Wo-Resubmitted-From"] == str(rejection.seq)
    assert (await resubmit(nc, rejection.seq)).duplicate  # twice: published once


async def test_a_report_refused_for_its_content_is_resubmitted_corrected(system, nc) -> None:
    case_id = new_case_id()
    broken = envelope("nidos", "ResidencePermitGranted", case_id, {**PERMIT, "permit_date": "10-01-2026"})
    rejection = await rejection_of(nc, await publish_raw(nc, "amv.inbox.nidos.ResidencePermitGranted",
                                                          json.dumps(broken).encode()))
    with pytest.raises(CannotResubmit, match="data-invalid.*data.permit_date"):
        await resubmit(nc, rejection.seq)  # unchanged, it would be refused again: nothing is sent
    with pytest.raises(CannotResubmit, match="unknown field 'data.name'"):
        await resubmit(nc, rejection.seq, json.dumps({**broken, "data": {**PERMIT, "name": "A"}}).encode())

    fixed = {**broken, "data": PERMIT}
    await resubmit(nc, rejection.seq, json.dumps(fixed).encode())
    [permit] = await eventually(lambda: stored(nc, case_id, "ResidencePermitGranted"), what="the corrected report")
    assert (permit["id"], permit["data"]) == (broken["id"], PERMIT)
    [listed] = [r for r in await list_rejections(nc, code="data-invalid") if r.seq == rejection.seq]
    assert listed.reason == (
        "field 'data.permit_date': Input should be a valid date in the format YYYY-MM-DD, invalid character in year"
    )


async def test_a_refused_resubmission_shows_which_rejection_it_came_from(system, nc) -> None:
    case_id = new_case_id()
    filed = envelope("nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})
    first = await rejection_of(nc, await publish_raw(nc, "amv.inbox.nidos.ApplicationFiled", json.dumps(filed).encode()))
    done = await resubmit(nc, first.seq)  # the permit is still missing: refused again
    second = await rejection_of(nc, done.inbox_seq)
    [listed] = [r for r in await list_rejections(nc, org="nidos") if r.seq == second.seq]
    assert listed.resubmission_of == first.seq


async def test_only_rejections_can_be_resubmitted(system, nc) -> None:
    with pytest.raises(CannotResubmit, match="no message"):
        await resubmit(nc, 10_000_000)


async def test_the_command_lists_as_json_and_resubmits(system, nc, broker_url, tmp_path) -> None:
    case_id = new_case_id()
    body = json.dumps(envelope("coa", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})).encode()
    rejection = await rejection_of(nc, await publish_raw(nc, "amv.inbox.coa.ApplicationFiled", body))

    listing = cli(broker_url, "list", "--org", "coa", "--json", tmp_path=tmp_path)
    assert listing.returncode == 0, listing.stderr
    [mine] = [r for r in json.loads(listing.stdout) if r["seq"] == rejection.seq]
    assert (mine["code"], mine["field"], mine["case_id"]) == ("not-authorised", "type", case_id)
    assert all(r["org"] == "coa" for r in json.loads(listing.stdout))

    table = cli(broker_url, "list", "--code", "not-authorised", tmp_path=tmp_path)
    assert table.returncode == 0 and str(rejection.seq) in table.stdout and "not-authorised" in table.stdout

    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({**json.loads(body), "source": "urn:nld:warmeoverdracht:org:nidos"}))
    refused = cli(broker_url, "resubmit", str(rejection.seq), "--file", str(fixed), tmp_path=tmp_path)
    assert refused.returncode == 1 and "source-mismatch" in refused.stderr  # coa's subject, nidos' source


def test_the_command_explains_itself() -> None:
    for args in (["--help"], ["list", "--help"], ["resubmit", "--help"]):
        shown = subprocess.run([sys.executable, "-m", "ops.cli", "rejected", *args], cwd=REPO, capture_output=True,
                               text=True)
        assert shown.returncode == 0, shown.stderr
    assert "--file" in shown.stdout and "Wo-Resubmitted-From" in shown.stdout
