"""A 3-node NATS cluster on loopback ports with R3 streams (WO_STREAM_REPLICAS=3): the node leading
the event store is killed with SIGKILL mid-load, the system keeps appending on the other two, and
once the node is back every stream holds the expected messages on every node (each node's own
/jsz report), with nothing lost or doubled."""

import asyncio
import json
import time
import urllib.request
from pathlib import Path

import pytest

from services.runtime.natsserver import EmbeddedNats, free_port
from tests.faults.harness import assert_nothing_lost_or_doubled, settle, under_load, wait_until

pytestmark = pytest.mark.integration
CASES = 200  # x 5 reports = 1,000 partner events, every stream replicated three times
STREAMS = ("AMV_INBOX", "AMV_EVENTS", "AMV_TASKS", "AMV_REJECTED")


class Node:
    def __init__(self, name: str, root: Path, cluster_ports: dict[str, int]) -> None:
        self.name = name
        store = root / name / "store"
        store.mkdir(parents=True)
        routes = ", ".join(f"nats-route://127.0.0.1:{p}" for n, p in cluster_ports.items() if n != name)
        config = root / name / "server.conf"
        config.write_text(
            f'server_name: "{name}"\n'
            f"cluster {{\n  name: wo-faults\n  listen: 127.0.0.1:{cluster_ports[name]}\n  routes: [{routes}]\n}}\n"
            "jetstream: enabled\n"  # its store_dir is EmbeddedNats' -sd (both at once: 'Duplicate store_dir')
        )
        self.server = EmbeddedNats(store, port=free_port(), monitor_port=free_port(), config_file=config,
                                   log_file=root / name / "server.log")

    def stream_counts(self) -> dict[str, int]:
        """Messages per stream as this node itself stores them (its monitoring endpoint)."""
        url = f"http://127.0.0.1:{self.server.monitor_port}/jsz?streams=true"
        with urllib.request.urlopen(url, timeout=2) as reply:
            report = json.load(reply)
        return {s["name"]: s["state"]["messages"]
                for account in report.get("account_details", []) for s in account.get("stream_detail", [])}


async def jetstream_ready(url: str, timeout_s: float = 60.0) -> None:
    async def answers(nc) -> bool:
        await nc.jetstream().account_info()  # raises while there is no meta leader
        return True

    await wait_until(url, answers, "the cluster elected no JetStream leader", timeout_s, every_s=0.25)


async def stored_events(nc) -> int:
    """Events in the store, as the stream's leader reports them (0 while no leader answers)."""
    try:
        return (await nc.jetstream().stream_info("AMV_EVENTS")).state.messages
    except Exception:  # noqa: BLE001 - a leader election is under way
        return 0


async def test_a_node_killed_mid_load_catches_up_and_nothing_is_missing(tmp_path) -> None:
    cluster_ports = {f"n{i}": free_port() for i in (1, 2, 3)}
    nodes = {name: Node(name, tmp_path, cluster_ports) for name in cluster_ports}
    url = ",".join(node.server.url for node in nodes.values())
    try:
        await asyncio.gather(*(asyncio.to_thread(node.server.start) for node in nodes.values()))
        await jetstream_ready(url)
        async with under_load(url, tmp_path / "logs", CASES, started_within_s=90, WO_STREAM_REPLICAS="3") as trial:
            nc, cases = trial.nc, trial.cases
            info = await nc.jetstream().stream_info("AMV_EVENTS")
            assert info.config.num_replicas == 3 and len(info.cluster.replicas or []) == 2
            work = trial.meanwhile(trial.load.run(nc))

            # mid-load: kill the node that leads the event store, keep going on two
            while await stored_events(nc) < 200:
                await asyncio.sleep(0.1)
            info = await nc.jetstream().stream_info("AMV_EVENTS")
            victim, before_kill = nodes[info.cluster.leader], info.state.messages
            victim.server.kill()
            before = await stored_events(nc) or before_kill
            deadline = time.monotonic() + 20
            while (during := await stored_events(nc)) < before + 200 and time.monotonic() < deadline:
                await asyncio.sleep(0.25)
            assert during > before, "nothing was appended while one node was down"
            await asyncio.to_thread(victim.server.start)

            await asyncio.wait_for(work, 180)
            await settle(nc, cases, timeout_s=90)
            await assert_nothing_lost_or_doubled(nc, cases)

            # every node holds every message of every stream, the restarted one included
            expected = {s: (await nc.jetstream().stream_info(s)).state.messages for s in STREAMS}
            deadline = time.monotonic() + 60
            while True:
                counts = {name: node.stream_counts() for name, node in nodes.items()}
                if all({s: c.get(s) for s in STREAMS} == expected for c in counts.values()):
                    break
                assert time.monotonic() < deadline, f"nodes differ from {expected}: {counts}"
                await asyncio.sleep(0.5)
            # per case two tasks to the municipality, a notice of each to Nidos (their requester), and the
            # accepted one's notice to both (services/notify/messages.py)
            assert (expected["AMV_EVENTS"], expected["AMV_TASKS"], expected["AMV_REJECTED"]) == (9 * len(cases), 6 * len(cases), 0)
    finally:
        for node in nodes.values():
            node.server.stop()
