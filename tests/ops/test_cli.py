"""`overdracht`, run as an operator runs it (its own process) against the four services on a real
NATS server: every command's output and exit code, bad arguments, an unreachable server."""

import asyncio
import json
import os
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import nats
import pytest
from typer.testing import CliRunner

import ops.cli.cases
from ops.cli import app
from contracts.clock import AMSTERDAM
from ops.cli.common import EXIT_CODES, Code
from services.runtime.clock import provision_schedule
from services.runtime.directory import Directory, load_directory
from tests.ops.support import ServicesWithEndpoints, closed_port, overdracht, settle
from tests.support.partner import case_events, envelope, new_case_id, publish, publish_raw, rejection_of, start_day, tasks_of_case

pytestmark = pytest.mark.integration
d = date.fromisoformat

WEBHOOK_ORG = "gm0518"  # its webhook points at a closed port: every task for it is dead-lettered
WEBHOOK_SECRET_ENV = "WO_TEST_OPS_WEBHOOK_SECRET"
GAP_PERMIT = {"date_of_birth": "2008-09-10", "municipality": "GM0344", "permit_date": "2026-01-20"}


def directory_with_a_broken_webhook() -> Directory:
    base = load_directory().model_dump(mode="json")
    base["channels"] = {WEBHOOK_ORG: [{"type": "webhook", "url": f"http://127.0.0.1:{closed_port()}/hook",
                                       "secret_env": WEBHOOK_SECRET_ENV}]}
    return Directory.model_validate(base)


@pytest.fixture(scope="module")
async def system(broker_url):
    os.environ[WEBHOOK_SECRET_ENV] = "whsec_" + "c2VjcmV0" * 4  # a Standard Webhooks secret (24 bytes)
    running = await ServicesWithEndpoints(
        broker_url, directory_with_a_broken_webhook(), webhook_max_attempts=1, webhook_backoff_s=0.1
    ).start()
    yield running
    await running.stop()
    os.environ.pop(WEBHOOK_SECRET_ENV, None)


@pytest.fixture
async def nc(broker_url):
    client = await nats.connect(broker_url)
    yield client
    await client.close()


@pytest.fixture
def cli(system, broker_url):
    async def run(*args: str):
        return await overdracht(*args, nats_url=broker_url, metrics_port=system.endpoints.base)

    return run


async def report(nc, org, event_type, case_id, data) -> None:
    await publish(nc, org, event_type, case_id, data)
    await settle(nc)


async def days(nc, *dates: str) -> None:
    for when in dates:
        await start_day(nc, d(when))
        await settle(nc)


@pytest.fixture(scope="module")
async def gap_case(system, broker_url) -> str:
    """A case whose 18+ transition nobody accepted: at 18 the support gap opened (rule 8)."""
    client = await nats.connect(broker_url)
    case_id = new_case_id()
    await report(client, "nidos", "ResidencePermitGranted", case_id, GAP_PERMIT)
    await report(client, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-01"})
    await days(client, "2026-03-10", "2026-09-10", "2026-09-11")
    assert [e for e in await case_events(client, case_id) if e["type"].endswith("SupportGapDetected.v1")]
    await client.close()
    return case_id


# --- help ----------------------------------------------------------------------------------------

COMMANDS = [
    ["status"], ["timeline"], ["tasks"], ["publish"], ["day"], ["replay"], ["erase"],
    ["agenda"], ["journey"], ["demo"], ["runbook"],
    ["rejected"], ["rejected", "list"], ["rejected", "resubmit"],
    ["dead-letters"], ["dead-letters", "list"], ["dead-letters", "redrive"],
    ["parked"], ["parked", "list"], ["parked", "retry"],
]
PRINTING_DATA = [c for c in COMMANDS if c not in (["rejected"], ["dead-letters"], ["parked"], ["runbook"])]


def test_every_command_explains_itself_with_help() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for name in ("status", "timeline", "tasks", "publish", "day", "rejected", "dead-letters", "replay", "erase",
                 "agenda", "journey", "demo"):
        assert name in top.output
    assert "--nats-url" in top.output and "NATS_URL" in top.output
    shown = " ".join(top.output.split())
    assert "Exit codes" in shown
    for code in Code:  # the epilog lists every exit code with its meaning
        assert f"{int(code)}: {' '.join(EXIT_CODES[code].split()[:4])}" in shown, code
    for command in COMMANDS:
        shown = runner.invoke(app, [*command, "--help"])
        assert shown.exit_code == 0, command
        assert f"Usage: overdracht {' '.join(command)}" in " ".join(shown.output.split()), command
        description = shown.output.split("Usage:", 1)[1].split("╭", 1)[0]
        assert len(description.split()) > 8, f"{command}: the help says too little: {description!r}"
        if command in PRINTING_DATA:
            assert "--json" in shown.output, f"{command} prints data but has no --json"


def test_docs_cli_lists_every_command_and_the_exit_codes() -> None:
    from typer.main import get_command

    doc = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    for code, meaning in EXIT_CODES.items():
        assert f"| {int(code)} | {meaning} |" in doc, code
    cli = get_command(app)
    for name, command in cli.commands.items():
        for sub in getattr(command, "commands", None) or [None]:
            assert f"`overdracht {name}{f' {sub}' if sub else ''}" in doc, (name, sub)


def test_bad_arguments_exit_2() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["no-such-command"]).exit_code == Code.USAGE
    assert runner.invoke(app, ["journey", "--municipality", "GM0855", "--quarter", "2026Q9"]).exit_code == Code.USAGE
    assert runner.invoke(app, ["demo", "--days", "0"]).exit_code == Code.USAGE


# --- status --------------------------------------------------------------------------------------


async def test_status_shows_services_consumer_lag_streams_and_an_open_gap(cli, gap_case) -> None:
    ran = await cli("status", "--json")
    assert ran.code == 1, ran.stderr  # an open support gap is a business alert an operator must see
    status = json.loads(ran.stdout)
    assert status["healthy"] is True
    assert {s["service"]: (s["alive"], s["ready"], s["pulling"]) for s in status["services"]} == {
        name: (True, True, True) for name in ("intake", "guardianship", "housing", "notify")
    }
    durables = {c["consumer"]: c for c in status["consumers"]}
    assert {"intake-inbox", "inbox-triage", "guardianship-reactions", "notify-reactions", "housing-clock"} <= set(durables)
    assert all(not c["missing"] and c["pending"] == 0 for c in durables.values())  # idle: no lag
    streams = {s["stream"]: s for s in status["streams"]}
    assert streams["AMV_EVENTS"]["messages"] > 10 and streams["AMV_INBOX"]["messages"] >= 2
    assert gap_case in status["open_support_gaps"]
    assert "open support gap(s)" in " ".join(status["problems"])

    table = await cli("status")
    assert table.code == 1
    for text in ("Services", "Consumers (lag = pending)", "Streams", "AMV_EVENTS", "guardianship-reactions",
                 "Open support gaps", gap_case, "PROBLEMS"):
        assert text in table.stdout, text


async def test_status_shows_the_current_day_and_the_next_one_the_schedule_starts(cli, nc) -> None:
    before = json.loads((await cli("status", "--json")).stdout)["clock"]
    assert (before["current_day"], before["schedule"], before["next_day"]) == (None, None, None)
    assert "Clock: current day none started yet; next day no schedule" in (await cli("status")).stdout

    await days(nc, "2026-03-01")
    await provision_schedule(nc.jetstream())  # as `make run` and compose's `clock` step do
    clock = json.loads((await cli("status", "--json")).stdout)["clock"]
    tomorrow = (datetime.now(AMSTERDAM) + timedelta(days=1)).date().isoformat()
    assert (clock["current_day"], clock["next_day"], clock["next_day_refused"]) == ("2026-03-01", tomorrow, None)
    assert (clock["schedule"], clock["time_zone"]) == ("0 0 0 * * *", "Europe/Amsterdam")
    assert clock["next_at"].startswith(f"{tomorrow}T00:00:00+0")
    table = await cli("status")
    assert f"Clock: current day 2026-03-01; next day {tomorrow} at {clock['next_at']} by schedule '0 0 0 * * *'" in table.stdout


# --- timeline, tasks -----------------------------------------------------------------------------


async def test_timeline_tells_a_case_in_plain_language(cli, gap_case) -> None:
    ran = await cli("timeline", gap_case)
    assert ran.code == 0, ran.stderr
    assert f"Timeline of {gap_case}" in ran.stdout
    assert "residence permit granted on 2026-01-20 (lives in GM0344)" in ran.stdout
    assert "asks gm0344 to arrange the 18+ transition" in ran.stdout
    assert "SUPPORT GAP: support by nidos ended (turned-18) and nobody had taken over" in ran.stdout
    assert "2008-09-10" not in ran.stdout  # the date of birth is not told
    as_json = await cli("timeline", gap_case, "--json")
    assert as_json.code == 0, as_json.stderr
    told = json.loads(as_json.stdout)
    assert told["case_id"] == gap_case and told["events"] >= 1 and told["lines"]
    assert any("SUPPORT GAP" in line for line in told["lines"]) and "2008-09-10" not in as_json.stdout


async def test_timeline_of_an_unknown_or_malformed_case_fails_clearly(cli) -> None:
    unknown = await cli("timeline", new_case_id())
    assert unknown.code == 1
    assert "no events are stored for case" in unknown.stderr
    malformed = await cli("timeline", "123456789")
    assert malformed.code == 2
    assert "is not a case id" in malformed.stderr and "Traceback" not in malformed.stderr


async def test_tasks_of_an_organisation_show_where_each_stands(cli, gap_case, nc) -> None:
    ran = await cli("tasks", "--org", "gm0344", "--json")
    assert ran.code == 0, ran.stderr
    mine = [t for t in json.loads(ran.stdout) if t["case_id"] == gap_case]
    by_kind = {t["kind"]: t for t in mine}
    assert by_kind["transition-18-plus"]["status"] == "requested"
    assert by_kind["transition-18-plus"]["escalated"] is True  # overdue, went to the coordinator
    assert by_kind["transition-18-plus"]["owner"] == "gm0344"

    await report(nc, "gm0344", "TaskAccepted", gap_case, {"task_id": by_kind["transition-18-plus"]["task_id"]})
    accepted = [t for t in json.loads((await cli("tasks", "--org", "gm0344", "--json")).stdout)
                if t["case_id"] == gap_case and t["kind"] == "transition-18-plus"]
    assert [t["status"] for t in accepted] == ["accepted"]

    table = await cli("tasks", "--org", "regie-gm0344")
    assert table.code == 0
    assert "Tasks of regie-gm0344" in table.stdout and "support-gap" in table.stdout and gap_case in table.stdout

    bad = await cli("tasks", "--org", "Not An Org")
    assert bad.code == 2 and "is not an organisation id" in bad.stderr


# --- publish, day --------------------------------------------------------------------------------


async def test_publish_checks_a_file_as_the_services_would_and_publishes_it(cli, nc, tmp_path: Path) -> None:
    case_id = new_case_id()
    good = tmp_path / "permit.json"
    good.write_text(json.dumps(envelope("nidos", "ResidencePermitGranted", case_id, GAP_PERMIT)))
    ran = await cli("publish", str(good))
    assert ran.code == 0, ran.stderr
    assert f"published ResidencePermitGranted of {case_id} by nidos to amv.inbox.nidos.ResidencePermitGranted" in ran.stdout
    assert ran.stdout.rstrip().endswith(": stored")  # it waited for the outcome
    await settle(nc)
    assert [e["type"] for e in await case_events(nc, case_id)] == ["nl.warmeoverdracht.ResidencePermitGranted.v1"]

    inbox_before = (await nc.jetstream().stream_info("AMV_INBOX")).state.last_seq
    wrong_date = tmp_path / "wrong-date.json"
    wrong_date.write_text(json.dumps(envelope("nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-30"})))
    refused = await cli("publish", str(wrong_date))
    assert refused.code == 1
    assert "would be refused (data-invalid, field data.filed_on)" in refused.stderr
    not_allowed = tmp_path / "not-allowed.json"
    not_allowed.write_text(json.dumps(envelope("coa", "ApplicationFiled", case_id, {"filed_on": "2026-02-03"})))
    refused = await cli("publish", str(not_allowed))
    assert refused.code == 1 and "not-authorised" in refused.stderr
    not_json = tmp_path / "not-json.json"
    not_json.write_text("{ this is not json")
    refused = await cli("publish", str(not_json))
    assert refused.code == 1 and "is not JSON" in refused.stderr
    assert (await nc.jetstream().stream_info("AMV_INBOX")).state.last_seq == inbox_before  # nothing was published

    missing = await cli("publish", str(tmp_path / "nowhere.json"))
    assert missing.code == 2 and "does not exist" in missing.stderr


async def test_a_report_the_system_refuses_exits_1_with_the_reason(cli, nc, tmp_path: Path) -> None:
    unknown_place = tmp_path / "unknown-municipality.json"
    case_id = new_case_id()
    unknown_place.write_text(json.dumps(envelope("nidos", "ResidencePermitGranted", case_id, GAP_PERMIT | {
        "municipality": "GM9999"})))
    refused = await cli("publish", str(unknown_place), "--json")
    assert refused.code == 1, refused.stdout + refused.stderr
    outcome = json.loads(refused.stdout)
    assert (outcome["outcome"], outcome["code"], outcome["field"], outcome["case_id"]) == (
        "refused", "unknown-municipality", "data.municipality", case_id)
    assert outcome["subject"] == "amv.inbox.nidos.ResidencePermitGranted" and outcome["inbox_seq"] > 0
    assert "refused by the system (unknown-municipality, field data.municipality)" in refused.stderr
    assert "GM9999 is not in the organisation directory" in refused.stderr
    not_waiting = await cli("publish", str(unknown_place), "--no-wait", "--json")
    assert not_waiting.code == 0 and json.loads(not_waiting.stdout)["outcome"] == "published"
    await settle(nc)


async def test_day_publishes_day_started(cli, nc) -> None:
    ran = await cli("day", "2026-09-12")
    assert ran.code == 0, ran.stderr
    assert "DayStarted 2026-09-12 published on amv.clock.day" in ran.stdout and "handled by" in ran.stdout
    last = await nc.jetstream().get_last_msg("AMV_CLOCK", "amv.clock.day")
    assert json.loads(last.data) == {"date": "2026-09-12"}
    await settle(nc)
    later = await cli("day", "2026-09-13", "--json")
    assert later.code == 0, later.stderr
    shown = json.loads(later.stdout)
    assert (shown["date"], shown["subject"], shown["not_handled_by"]) == ("2026-09-13", "amv.clock.day", [])
    assert "housing-clock" in shown["handled_by"] and shown["clock_seq"] > last.seq
    assert (shown["last_day"], shown["refused"]) == ("2026-09-12", None)

    # days only move forward: the same day again, or an earlier one, is refused and not published
    for when in ("2026-09-13", "2026-09-01"):
        again = await cli("day", when, "--json")
        assert again.code == 1, again.stderr
        assert json.loads(again.stdout)["clock_seq"] is None
        assert f"refused: day {when} is not after the last day started, 2026-09-13" in again.stderr
    assert (await nc.jetstream().get_last_msg("AMV_CLOCK", "amv.clock.day")).seq == shown["clock_seq"]

    bad = await cli("day", "2026-02-30")
    assert bad.code == 2 and "Traceback" not in bad.stderr


# --- rejected, dead letters ----------------------------------------------------------------------


async def test_a_refused_report_is_listed_with_its_reason_and_resubmitted_corrected(cli, nc, tmp_path: Path) -> None:
    case_id = new_case_id()
    permit_without_birth_date = {"municipality": "GM0855", "permit_date": "2026-01-10"}
    body = json.dumps(envelope("nidos", "ResidencePermitGranted", case_id, permit_without_birth_date))
    inbox_seq = await publish_raw(nc, "amv.inbox.nidos.ResidencePermitGranted", body.encode())
    rejection = await rejection_of(nc, inbox_seq)

    ran = await cli("rejected", "list", "--org", "nidos", "--limit", "0", "--json")
    assert ran.code == 0, ran.stderr
    [mine] = [r for r in json.loads(ran.stdout) if r["case_id"] == case_id]
    assert (mine["seq"], mine["code"], mine["field"]) == (rejection.seq, "data-invalid", "data.date_of_birth")
    assert "field 'data.date_of_birth' is required" in mine["reason"]
    table = await cli("rejected", "list", "--org", "nidos", "--code", "data-invalid")
    assert table.code == 0 and "data.date_of_birth" in table.stdout
    assert (await cli("rejected", "list", "--org", "NIDOS!")).code == 2

    as_it_was = await cli("rejected", "resubmit", str(rejection.seq))
    assert as_it_was.code == 1 and "would be refused again" in as_it_was.stderr
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(envelope("nidos", "ResidencePermitGranted", case_id, GAP_PERMIT)))
    checked = await cli("rejected", "list", "--org", "nidos", "--check", "--json")
    assert checked.code == 1 and json.loads(checked.stdout)  # a check with refused reports: a business alert
    corrected = await cli("rejected", "resubmit", str(rejection.seq), "--file", str(fixed))
    assert corrected.code == 0, corrected.stderr
    assert f"refused report {rejection.seq} re-submitted to amv.inbox.nidos.ResidencePermitGranted" in corrected.stdout
    assert corrected.stdout.rstrip().endswith(": stored")
    await settle(nc)
    assert [e["type"] for e in await case_events(nc, case_id)] == ["nl.warmeoverdracht.ResidencePermitGranted.v1"]
    assert (await cli("rejected", "resubmit", "0")).code == 2


async def test_a_webhook_dead_letter_is_listed_and_redriven_once(cli, system, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2010-03-01", "municipality": "GM0518", "permit_date": "2026-01-12"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-02-02"})
    [task, *_] = await tasks_of_case(nc, WEBHOOK_ORG, case_id)

    async def dead_letter_of_the_task() -> dict | None:
        listed = json.loads((await cli("dead-letters", "list", "--json")).stdout)
        return next((w for w in listed["webhook"] if w["case_id"] == case_id and w["delivery_id"] == task["id"]), None)

    letter = None
    for _ in range(40):
        letter = await dead_letter_of_the_task()
        if letter:
            break
        await asyncio.sleep(0.25)
    assert letter is not None, "the task for the broken webhook was not dead-lettered"
    assert letter["owner"] == WEBHOOK_ORG and letter["status"] == "dead"
    table = await cli("dead-letters", "list")
    assert "Webhook dead letters" in table.stdout and str(letter["seq"]) in table.stdout
    assert (await cli("dead-letters", "list", "--check", "--json")).code == 1  # a dead letter: a business alert

    first = await cli("dead-letters", "redrive", str(letter["seq"]))
    assert first.code == 0, first.stderr
    assert f"dead letter {letter['seq']} re-queued for delivery" in first.stdout
    again = await cli("dead-letters", "redrive", str(letter["seq"]), "--json")
    assert again.code == 0, again.stderr
    redriven = json.loads(again.stdout)
    assert (redriven["deadletter_seq"], redriven["already"]) == (letter["seq"], True) and redriven["redrive_seq"] > 0
    wrong = await cli("dead-letters", "redrive", "999999999")
    assert wrong.code == 1 and "cannot redrive" in wrong.stderr


async def test_a_consumer_dead_letter_is_listed_with_its_origin_and_reason(cli, system, nc) -> None:
    await start_day(nc, d("2026-09-13"))
    await settle(nc)
    # A clock message housing's consumer failed on every time, parked by the runtime's own dead-letter path.
    pull = await nc.jetstream().pull_subscribe("amv.clock.day", stream="AMV_CLOCK")
    [msg] = await pull.fetch(1, timeout=5)
    await system.runtime("housing").dead_letter(msg, RuntimeError("the directory was unreadable"))
    await pull.unsubscribe()
    ran = await cli("dead-letters", "list", "--json")
    assert ran.code == 0, ran.stderr
    consumer = json.loads(ran.stdout)["consumer"]
    mine = [c for c in consumer if c["original"] == f"AMV_CLOCK #{msg.metadata.sequence.stream}"
            and c["dead_letter_subject"].startswith("amv.deadletter.housing.")]
    assert mine and "the directory was unreadable" in mine[0]["reason"]
    assert mine[0]["original_subject"] == "amv.clock.day"
    assert "Consumer dead letters" in (await cli("dead-letters", "list")).stdout


# --- replay, erase -------------------------------------------------------------------------------


async def test_replay_says_whether_the_live_read_model_is_what_the_store_says(cli, system, gap_case, nc) -> None:
    await settle(nc)
    for service in ("notify", "guardianship"):
        ran = await cli("replay", service)
        assert ran.code == 0, ran.stdout + ran.stderr
        rebuilt = ran.stdout.split("rebuilt from the store:")[1].split()[0]
        live = ran.stdout.split(f"live in {service}:")[1].split()[0]
        assert rebuilt == live and len(rebuilt) == 64
        assert "equal" in ran.stdout
    as_json = await cli("replay", "housing", "--json")
    assert as_json.code == 0, as_json.stderr
    compared = json.loads(as_json.stdout)
    assert compared["equal"] is True and compared["rebuilt"]["digest"] == compared["live"]["digest"]
    assert set(compared["rebuilt"]) == {"digest", "cases", "last_seq"}

    live_cases = system.runtime("notify").projection.cases
    lost = live_cases.pop(gap_case)  # the live read model loses a case, as a bug would make it
    try:
        ran = await cli("replay", "notify")
    finally:
        live_cases[gap_case] = lost
    assert ran.code == 1
    rebuilt = ran.stdout.split("rebuilt from the store:")[1].split()[0]
    live = ran.stdout.split("live in notify:")[1].split()[0]
    assert rebuilt != live
    assert "DIFFERENT" in ran.stdout and "Restart notify" in ran.stdout

    bad = await cli("replay", "payroll")
    assert bad.code == 2 and "Traceback" not in bad.stderr
    no_endpoint = await overdracht("--service-url", f"notify=http://127.0.0.1:{closed_port()}", "replay", "notify",
                                   nats_url=system.nats_url, metrics_port=system.endpoints.base)
    assert no_endpoint.code == 3 and "no answer from" in no_endpoint.stderr


def test_erase_without_crypto_shredding_does_nothing_and_says_so(monkeypatch) -> None:
    monkeypatch.setattr(ops.cli.cases, "erase_function", lambda: None)
    ran = CliRunner().invoke(app, ["erase", "case-abc123"])
    assert ran.exit_code == 2
    assert "erasing is not available in this installation" in ran.output and "nothing was done to case-abc123" in ran.output
    assert CliRunner().invoke(app, ["erase", "1234567"]).exit_code == 2  # not a case id


# --- failures ------------------------------------------------------------------------------------

CONNECTING = [
    ["status"], ["timeline", "case-abc123"], ["tasks", "--org", "gm0855"], ["day", "2026-03-01"],
    ["rejected", "list"], ["dead-letters", "list"], ["dead-letters", "redrive", "1"], ["replay", "notify"],
    ["agenda", "--municipality", "GM0855"], ["journey", "--municipality", "GM0855", "--quarter", "2026Q1"],
    ["rejected", "resubmit", "1"], ["erase", "case-abc123", "--yes"],
]


@pytest.mark.parametrize("command", CONNECTING, ids=lambda c: " ".join(c))
async def test_an_unreachable_server_is_a_clear_error_and_exit_3(command) -> None:
    started = time.monotonic()
    url = f"nats://127.0.0.1:{closed_port()}"
    ran = await overdracht(*command, nats_url=url, metrics_port=0 if command[0] != "replay" else closed_port())
    assert ran.code == 3, ran.stdout + ran.stderr
    assert f"cannot reach NATS at {url}" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert time.monotonic() - started < 30  # nats-py alone would keep retrying for minutes


async def test_a_malformed_nats_url_is_a_bad_argument() -> None:
    ran = await overdracht("status", nats_url="nats://127.0.0.1:notaport")
    assert ran.code == 2 and "is not a NATS URL" in ran.stderr


async def test_status_shows_a_stopped_service_as_down(cli, system, nc) -> None:
    await system.stop("housing")
    try:
        ran = await cli("status", "--json")
        assert ran.code == 3  # a service down: the system is unhealthy
        status = json.loads(ran.stdout)
        assert status["healthy"] is False
        housing = next(s for s in status["services"] if s["service"] == "housing")
        assert housing["alive"] is False and housing["pulling"] is False
        assert "service housing is down" in status["problems"]
        assert all(s["alive"] for s in status["services"] if s["service"] != "housing")
    finally:
        await system.start("housing")
