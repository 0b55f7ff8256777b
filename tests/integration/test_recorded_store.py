"""A store written by the first round's code (commit in the fixture) is read by today's code into
the same read models.

tests/fixtures/store-326cdad.json.gz holds the demo's four cases as that code stored them, with
the read models that code folded from them (tests/fixtures/record_store.py). Restored into NATS,
each service's read model (Projection.of its Decider) must hold the same facts. One difference is
by design: a read model now consumes only what its decider reads (services/runtime/decider.py), so
its set of seen event ids is the recorded one restricted to those events. Another: a decider that
folds more since (`FOLDED_SINCE`, e.g. to know who has a role in a case) holds fields the
recording lacks; the recorded fields must be as recorded, and the new ones what a fresh replay of
the case's stored events gives.
"""

import base64
import gzip
import json
from pathlib import Path

import pytest

from contracts import subjects
from services.guardianship.decider import decider as guardianship
from services.housing.decider import decider as housing
from services.intake.decider import decider as intake
from services.notify.decider import decider as notify
from services.runtime import provision
from services.runtime.eventstore import decode_loading_key
from services.runtime.observability import canonical
from services.runtime.privacy import KEYS_BUCKET
from services.runtime.projection import Projection
from tests.support.fixtures import nc  # noqa: F401

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).parents[1] / "fixtures" / "store-326cdad.json.gz"
SEEN_IDS = {"intake": "event_ids", "guardianship": "event_ids", "housing": "event_ids", "notify": "handled"}
# Event types a decider folds since the recording (issue 14, point 3: who has a role in a case).
FOLDED_SINCE = {"intake": {"HousingAssigned", "FamilyRelocated"}, "housing": {"ApplicationDecided"}}


@pytest.fixture(scope="module")
def recorded():
    with gzip.open(FIXTURE, "rt") as f:
        return json.load(f)


async def restore(nc, recorded) -> None:
    """The recorded events and case keys, appended to this NATS's store as they were stored."""
    js = nc.jetstream(timeout=10)
    await provision.provision_streams(js)
    kv = await js.key_value(KEYS_BUCKET)
    for case_id, key in recorded["case_keys"].items():
        await kv.put(case_id, base64.b64decode(key))
    for message in recorded["messages"]:
        assert subjects.parse_event(message["subject"]) is not None
        await js.publish(message["subject"], base64.b64decode(message["data"]),
                         headers={"Nats-Msg-Id": message["headers"]["Nats-Msg-Id"]})


def seen_ids(events, decider) -> set[str]:
    """The ids a service's read model records as seen: those of the events it reads (notify also
    records what caused them, to recognise a report it has answered)."""
    ids = set()
    for event in events:
        if event.event_type in decider.reads:
            ids.add(event.id)
            if decider.service == "notify" and event.causationid:
                ids.add(event.causationid)
    return ids


EMPTY = (None, False, [], (), {})


def without_new_defaults(live, recorded):
    """`live` without the keys the recorded read model does not have whose value is empty: a field
    added since (an optional one of a contract, e.g. HandoffRequested.escalation_step, or of a
    state, e.g. notify's Task.overdue), at its default, is not a difference."""
    if isinstance(live, dict) and isinstance(recorded, dict):
        return {
            key: without_new_defaults(value, recorded.get(key))
            for key, value in live.items()
            if key in recorded or value not in EMPTY
        }
    if isinstance(live, list) and isinstance(recorded, list) and len(live) == len(recorded):
        return [without_new_defaults(a, b) for a, b in zip(live, recorded, strict=True)]
    return live


@pytest.mark.parametrize("decider", [intake, guardianship, housing, notify], ids=lambda d: d.service)
async def test_the_first_rounds_store_replays_to_the_same_read_models(nc, recorded, decider):  # noqa: F811
    await restore(nc, recorded)
    events = [await decode_loading_key(nc, base64.b64decode(m["data"])) for m in recorded["messages"]]
    projection = Projection.of(nc, decider)
    await projection.start()
    try:
        expected_models = recorded["read_models"][decider.service]
        assert set(expected_models) <= set(projection.cases)
        id_field = SEEN_IDS[decider.service]
        for case_id, expected in expected_models.items():
            live = canonical(projection.cases[case_id])
            case_events = [e for e in events if e.subject == case_id]
            assert set(live.pop(id_field)) == seen_ids(case_events, decider)
            recorded_reads = [e for e in case_events if e.event_type not in FOLDED_SINCE.get(decider.service, ())]
            assert set(expected.pop(id_field)) >= seen_ids(recorded_reads, decider)
            added = {name: live.pop(name) for name in set(live) - set(expected)}
            assert without_new_defaults(live, expected) == expected, f"{decider.service} reads {case_id} differently"
            replayed = canonical(decider.replay(case_id, case_events))
            assert added == {name: replayed[name] for name in added}, f"{decider.service}'s new fields of {case_id}"
    finally:
        await projection.stop()
