"""Language needs end to end against a real nats-server: a partner reports them, every task delivered
afterwards carries them (flagged while nothing is arranged), and the agenda and the journey figures
read from the store list the case only for its own municipality."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from ops.agenda import agenda_from_store, today
from tests.support.domain import DIRECTORY
from tests.support.fixtures import nc, system  # noqa: F401 - fixtures
from tests.support.partner import new_case_id, report, tasks_of_case

pytestmark = pytest.mark.integration


def days_ago(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


async def test_every_task_carries_the_language_and_the_flag_until_an_interpreter_is_arranged(system, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2012-04-04", "municipality": "GM0855", "permit_date": days_ago(60)})
    await report(nc, "nidos", "LanguageNeedsReported", case_id,
                 {"languages": ["ti", "ar"], "interpreter_needed": True, "key_person_needed": True,
                  "key_person_arranged": True})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": days_ago(30)})

    filed_tasks = await tasks_of_case(nc, "gm0855", case_id)
    assert {t["data"]["kind"] for t in filed_tasks} == {"plan-transition-meeting", "plan-family-housing"}
    for task in filed_tasks:
        assert task["data"]["language"] == {
            "languages": ["ti", "ar"], "interpreter_needed": True, "interpreter_arranged": False,
            "key_person_needed": True, "key_person_arranged": True,
        }
        assert task["data"]["language_support_missing"] is True

    # the agenda read from the store lists the need and flags the open handoffs, for Tilburg only
    tilburg = await agenda_from_store(nc, "GM0855", today(), DIRECTORY)
    language = [i for i in tilburg.section("language").items if i.case_id == case_id]
    assert [i.facts.get("kind") for i in language] == [None, "plan-transition-meeting", "plan-family-housing"]
    assert language[0].next_step == "arrange an interpreter (ti, ar)"
    utrecht = await agenda_from_store(nc, "GM0344", today(), DIRECTORY)
    assert case_id not in utrecht.case_ids

    # the interpreter is arranged: tasks delivered from now on carry it, unflagged
    await report(nc, "vwn-gm0855", "LanguageNeedsReported", case_id,
                 {"languages": ["ti", "ar"], "interpreter_needed": True, "interpreter_arranged": True,
                  "key_person_needed": True, "key_person_arranged": True})
    await report(nc, "ind", "ApplicationDecided", case_id, {"decision": "approved", "decided_on": days_ago(10)})
    await report(nc, "coa", "ParentsArrived", case_id, {"arrival_date": days_ago(2), "municipality": "GM0855"})
    [intake] = await tasks_of_case(nc, "gm0855", case_id, "brede-intake-pip")
    [guidance] = await tasks_of_case(nc, "vwn-gm0855", case_id, "social-guidance-parents")
    for task in (intake, guidance):
        assert task["data"]["language"]["interpreter_arranged"] is True
        assert task["data"]["language_support_missing"] is False
    after = await agenda_from_store(nc, "GM0855", today(), DIRECTORY)
    assert [i.attention for i in after.section("language").items if i.case_id == case_id] == [False]


async def test_a_task_without_reported_needs_carries_none(system, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2012-04-04", "municipality": "GM0344", "permit_date": days_ago(40)})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": days_ago(20)})
    tasks = await tasks_of_case(nc, "gm0344", case_id)
    assert len(tasks) == 2
    assert all(t["data"].get("language") is None and t["data"]["language_support_missing"] is False for t in tasks)


def command(*args: str, nats_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], env={**os.environ, "NATS_URL": nats_url},
                          capture_output=True, text=True, timeout=120)


async def test_the_command_lines_print_the_agenda_and_write_the_figures(system, broker_url, tmp_path) -> None:
    shown = await asyncio.to_thread(command, "ops.cli", "agenda", "--municipality", "GM0855", "--json", nats_url=broker_url)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["municipality"] == "GM0855" and data["as_of"] == today().isoformat()
    assert [s["key"] for s in data["sections"]][0] == "turning-18"

    quarter = f"{today().year}Q{(today().month - 1) // 3 + 1}"
    written = await asyncio.to_thread(
        command, "ops.cli", "journey", "--municipality", "GM0855", "--quarter", quarter, "--out", str(tmp_path), nats_url=broker_url
    )
    assert written.returncode == 0, written.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"journey-GM0855-{quarter}{suffix}" for suffix in (".csv", ".json", "-handoffs.svg", "-milestones.svg"))
    figures = json.loads((tmp_path / f"journey-GM0855-{quarter}.json").read_text())
    assert figures["quarter"] == quarter and all(
        f["suppressed"] or f["cases"] is None or f["cases"] == 0 or f["cases"] >= 5 for f in figures["figures"]
    )

    refused = await asyncio.to_thread(command, "ops.cli", "agenda", "--municipality", "GM9999", nats_url=broker_url)
    assert refused.returncode == 2 and "GM9999" in refused.stderr
    assert date.fromisoformat(data["since"]) == today() - timedelta(days=14)
