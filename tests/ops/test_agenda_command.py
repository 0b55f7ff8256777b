"""`overdracht agenda` as an operator runs it (a process of its own) against a real nats-server."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta

import nats
import pytest

from ops.agenda import today
from ops.quiesce import wait_until_idle
from tests.support.partner import new_case_id, publish
from tests.support.system import RunningSystem

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def system(broker_url):
    running = await RunningSystem(broker_url, ack_wait_s=2.0).start()
    yield running
    await running.stop()


def overdracht(*args: str, nats_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NATS_URL": nats_url}
    env.pop("NATS_USER", None)
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], env=env, capture_output=True, text=True, timeout=120)


async def test_the_agenda_of_a_municipality_has_its_case_and_not_the_others(system, broker_url) -> None:
    nc = await nats.connect(broker_url)
    tilburg, utrecht = new_case_id(), new_case_id()
    filed_on = (today() - timedelta(days=250)).isoformat()  # longer than usual: stuck
    for case_id, code in ((tilburg, "GM0855"), (utrecht, "GM0344")):
        await publish(nc, "nidos", "ResidencePermitGranted", case_id,
                      {"date_of_birth": "2012-04-04", "municipality": code, "permit_date": filed_on})
        await wait_until_idle(nc)
        await publish(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": filed_on})
    await wait_until_idle(nc)
    await nc.close()

    shown = await asyncio.to_thread(overdracht, "agenda", "--municipality", "GM0855", "--format", "json", nats_url=broker_url)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    [item] = [i for s in data["sections"] if s["key"] == "reunification" for i in s["items"] if i["case_id"] == tilburg]
    assert (item["facts"]["phase"], item["facts"]["stuck"], item["owner"]) == ("filed", True, "nidos")
    assert utrecht not in shown.stdout

    as_markdown = await asyncio.to_thread(overdracht, "agenda", "--municipality", "GM0855", nats_url=broker_url)
    assert as_markdown.returncode == 0 and as_markdown.stdout.startswith("# Integral meeting Tilburg (GM0855)")


async def test_bad_arguments_exit_2_and_no_server_exits_3(system, broker_url) -> None:
    unknown = await asyncio.to_thread(overdracht, "agenda", "--municipality", "GM9999", nats_url=broker_url)
    assert unknown.returncode == 2 and "GM9999" in unknown.stderr
    reversed_dates = await asyncio.to_thread(
        overdracht, "agenda", "--municipality", "GM0855", "--date", "2026-09-01", "--since", "2026-09-15", nats_url=broker_url
    )
    assert reversed_dates.returncode == 2 and "--since" in reversed_dates.stderr
    unreachable = await asyncio.to_thread(overdracht, "agenda", "--municipality", "GM0855", nats_url="nats://127.0.0.1:1")
    assert unreachable.returncode == 3 and "cannot reach NATS" in unreachable.stderr
