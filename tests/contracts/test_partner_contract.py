"""What partners read (contracts/asyncapi.yaml, docs/partners.md, contracts/schemas/) is generated
from the models, is valid AsyncAPI 3.0, and every worked example in it passes the inbox gate."""

import json
import re
import warnings
from datetime import datetime
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from contracts import asyncapi
from contracts.events import EVENT_TYPES
from contracts.examples import EXAMPLES, example_of, reportable_types
from contracts.export import ASYNCAPI_FILE, PARTNERS_PAGE, all_differences, main
from contracts.inbox import REJECTION_CODES, Report, parse_inbox_message
from contracts.versions import PREVIOUS_VERSIONS
from services.runtime import rejections

with warnings.catch_warnings():  # asyncapi3 0.0.2 names a field "schema" and pydantic warns about it
    warnings.simplefilter("ignore", UserWarning)
    from asyncapi3.models import AsyncAPI3


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load(ASYNCAPI_FILE.read_text())


def test_every_generated_file_matches_the_models() -> None:
    assert all_differences() == [], "run `make contracts` and commit contracts/ and docs/partners.md"
    assert main(["--check"]) == 0


def test_the_document_is_valid_asyncapi_3(document) -> None:
    assert document["asyncapi"] == "3.0.0"
    AsyncAPI3.model_validate(document)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.pop("info"),
        lambda d: d["channels"].update({"inbox ApplicationFiled": d["channels"]["inbox-ApplicationFiled"]}),
        lambda d: d["operations"]["receive-ApplicationFiled"].update(action="publish"),
        lambda d: d["components"]["messages"]["Rejection"].update(contentTipe="text/plain"),
    ],
)
def test_the_validator_refuses_what_asyncapi_3_forbids(document, breakage) -> None:
    broken = json.loads(json.dumps(document))
    breakage(broken)
    with pytest.raises(ValidationError):
        AsyncAPI3.model_validate(broken)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict, ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_reference_resolves_and_operations_use_their_channels_messages(document) -> None:
    refs = _refs(document)
    assert len(refs) > 100
    for ref in refs:
        _resolve(document, ref)
    for name, operation in document["operations"].items():
        channel_ref = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/"), name


def test_every_address_parameter_is_declared(document) -> None:
    for name, channel in document["channels"].items():
        in_address = set(re.findall(r"\{(\w+)\}", channel["address"]))
        assert in_address == set(channel.get("parameters", {})), name


def test_schemas_use_only_what_the_asyncapi_schema_format_knows(document) -> None:
    text = json.dumps(document["components"])
    for keyword in ("$defs", "prefixItems", "unevaluatedProperties", "dependentRequired", "#/$defs"):
        assert keyword not in text, keyword


def test_every_reportable_event_has_an_inbox_channel_with_its_schema_and_reporters(document) -> None:
    channels = document["channels"]
    for event_type in reportable_types():
        cls = EVENT_TYPES[event_type]
        channel = channels[f"inbox-{event_type}"]
        assert channel["address"] == f"amv.inbox.{{org}}.{event_type}"
        assert channel["x-reported-by"] == sorted(cls.reporters)
        message = _resolve(document, channel["messages"][f"{event_type}_v{cls.version}"]["$ref"])
        envelope = _resolve(document, message["payload"]["$ref"])
        assert envelope["properties"]["type"]["const"] == cls.type_name()
        data = _resolve(document, envelope["properties"]["data"]["$ref"])
        assert data["required"] == cls.model_json_schema()["required"]
        assert set(data["properties"]) == set(cls.model_fields)
        assert data["additionalProperties"] is False
        [example] = message["examples"]
        assert example["payload"] == example_of(event_type).envelope(event_type)


def test_the_other_subjects_are_documented(document) -> None:
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {
        "amv.rejected.{org}.{eventType}",
        "amv.tasks.{org}.TaskOpened",
        "amv.events.{service}.{caseId}.{eventType}",
        "amv.clock.day",
        "amv.deadletter.{service}.{consumer}",
    } <= addresses
    stored = document["channels"]["event-store"]["messages"]
    assert {f"{name}_v{cls.version}" for name, cls in EVENT_TYPES.items()} <= set(stored)


def test_the_rejection_message_carries_the_headers_the_services_write(document) -> None:
    headers = document["components"]["messages"]["Rejection"]["headers"]["properties"]
    assert {
        rejections.HEADER_CODE, rejections.HEADER_FIELD, rejections.HEADER_REASON,
        rejections.HEADER_ORIGINAL_SUBJECT, rejections.HEADER_ORIGINAL_SEQUENCE, rejections.HEADER_SERVICE,
        rejections.HEADER_ORIGINAL_BYTES,
    } == set(asyncapi.REJECTION_HEADERS) == set(headers)
    assert headers[rejections.HEADER_CODE]["enum"] == sorted(REJECTION_CODES)


def test_a_previous_version_still_accepted_is_on_its_inbox_channel_marked_deprecated(document) -> None:
    for (event_type, version), previous in PREVIOUS_VERSIONS.items():
        message = _resolve(document, f"#/components/messages/{event_type}_v{version}")
        assert message["x-deprecated"] is True
        assert message["x-superseded-by"] == EVENT_TYPES[event_type].type_name()
        on_inbox = f"{event_type}_v{version}" in document["channels"][f"inbox-{event_type}"]["messages"]
        assert on_inbox == (previous.accepted_until is not None)


def test_there_is_a_worked_example_for_every_reportable_event() -> None:
    assert set(reportable_types()) <= set(EXAMPLES)
    for event_type in set(EXAMPLES) & set(EVENT_TYPES):
        assert EVENT_TYPES[event_type].reporters, f"{event_type} is not reportable: drop its example"


@pytest.mark.parametrize("event_type", reportable_types())
def test_every_worked_example_passes_the_inbox_gate(event_type: str) -> None:
    example = example_of(event_type)
    envelope = example.envelope(event_type)
    body = json.dumps(envelope).encode()
    received_at = datetime.fromisoformat(envelope["time"])  # received when it was made
    result = parse_inbox_message(f"amv.inbox.{example.org}.{event_type}", body, received_at=received_at)
    assert isinstance(result, Report), result
    assert "'" not in body.decode(), "the nats command line quotes the example in single quotes"
    for code, _ in example.rejections:
        assert code in REJECTION_CODES


def test_the_partner_page_shows_every_event_and_every_code() -> None:
    page = PARTNERS_PAGE.read_text()
    for event_type in reportable_types():
        assert f"### {event_type} (v{EVENT_TYPES[event_type].version})" in page
        assert f"amv.inbox.{example_of(event_type).org}.{event_type}" in page
    for code in REJECTION_CODES:
        assert f"| `{code}` |" in page
    assert re.search(r"\b\d{9}\b", page) is None, "nine digits look like a BSN"
