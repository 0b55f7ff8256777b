"""docs/operations.md against the code: its configuration reference is what Settings reads, and
its offline backup (copy the stopped store, start a server on the copy) gives back every stream,
message and consumer position."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nats
import pytest

from ops import runbook
from services.bootstrap import decider_of
from services.runtime import provision
from services.runtime.natsserver import EmbeddedNats
from services.runtime.settings import Settings
from tests.support.brokers import REPO

DOC = REPO / "docs" / "operations.md"


def test_the_configuration_reference_is_generated_from_settings() -> None:
    text = DOC.read_text()
    block = text.split(runbook.START, 1)[1].split(runbook.END, 1)[0].strip()
    assert runbook.documented_rows(text) == set(runbook.settings_table().splitlines()[2:]), (
        "docs/operations.md is out of date: run overdracht runbook"
    )
    documented = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|", block, re.M))
    for name, field in Settings.model_fields.items():
        variable = runbook.variable_name(name)
        assert variable in documented, variable
        default = field.default.get_secret_value() if hasattr(field.default, "get_secret_value") else field.default
        assert documented[variable] == ("(empty)" if default == "" else f"`{default}`"), variable
    check = subprocess.run([sys.executable, "-m", "ops.cli", "runbook", "--check"], cwd=REPO, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_the_check_notices_a_table_that_differs(tmp_path: Path, monkeypatch) -> None:
    stale = DOC.read_text().replace("| `WO_MAX_DELIVER` | `8` |", "| `WO_MAX_DELIVER` | `5` |")
    copy = tmp_path / "operations.md"
    copy.write_text(stale)
    monkeypatch.setattr(runbook, "RUNBOOK", copy)
    assert runbook.update(check=True) is False
    assert "| `WO_MAX_DELIVER` | `5` |" in copy.read_text()  # a check writes nothing
    assert runbook.update() is False  # it was out of date, and is rewritten
    assert runbook.update(check=True) is True
    monkeypatch.setattr(runbook, "RUNBOOK", stale_copy := tmp_path / "stale.md")
    stale_copy.write_text(stale)
    from typer.testing import CliRunner

    from ops.cli import app

    assert CliRunner().invoke(app, ["runbook", "--check"]).exit_code == 1
    assert CliRunner().invoke(app, ["runbook"]).exit_code == 0
    assert CliRunner().invoke(app, ["runbook", "--check"]).exit_code == 0
    assert "| `WO_MAX_DELIVER` | `8` |" in copy.read_text()


def test_the_runbook_names_only_commands_the_cli_has() -> None:
    from typer.main import get_command

    from ops.cli import app

    cli = get_command(app)
    named = set(re.findall(r"`overdracht ([a-z-]+)", DOC.read_text()))
    assert named and named <= set(cli.commands), named - set(cli.commands)


@pytest.mark.integration
async def test_a_copy_of_the_stopped_store_restores_streams_messages_and_consumer_positions(tmp_path: Path) -> None:
    store, backup = tmp_path / "store", tmp_path / "backup"
    with EmbeddedNats(store) as server:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await provision.provision_streams(js)
        await provision.provision_consumers(js, decider_of("intake"), max_deliver=8, ack_wait_s=30)
        for number in range(3):
            body = json.dumps({"report": number}).encode()
            await js.publish("amv.inbox.nidos.ResidencePermitGranted", body)
        await js.publish("amv.events.intake.case-backup1.ResidencePermitGranted", b"{}", headers={"Nats-Msg-Id": "e1"})
        reader = await js.pull_subscribe_bind(durable="intake-inbox", stream=provision.INBOX_STREAM)
        for msg in await reader.fetch(2, timeout=5):
            await msg.ack_sync()
        before = {c.name: (await js.stream_info(c.name)).state.messages for c in provision.stream_configs()}
        await nc.close()
    shutil.copytree(store, backup)  # the runbook's `tar czf` of the stopped store, unpacked again

    with EmbeddedNats(backup) as restored:
        nc = await nats.connect(restored.url)
        js = nc.jetstream()
        after = {c.name: (await js.stream_info(c.name)).state.messages for c in provision.stream_configs()}
        assert after == before and after[provision.INBOX_STREAM] == 3
        place = await js.consumer_info(provision.INBOX_STREAM, "intake-inbox")
        assert (place.ack_floor.stream_seq, place.num_pending) == (2, 1)  # it continues with the third report
        stored = await js.get_last_msg("AMV_EVENTS", "amv.events.intake.case-backup1.ResidencePermitGranted")
        assert stored.headers["Nats-Msg-Id"] == "e1"
        await nc.close()
