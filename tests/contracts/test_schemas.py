"""The JSON Schemas partners read are exactly what the models accept."""

from contracts.export import differences, rendered_schemas
from contracts.events import EVENT_TYPES


def test_committed_schemas_match_the_models() -> None:
    assert differences() == [], "run `make contracts` and commit contracts/schemas/"


def test_every_event_type_has_a_versioned_schema() -> None:
    names = set(rendered_schemas())
    assert "CloudEvent.json" in names
    for event_type, cls in EVENT_TYPES.items():
        assert f"{event_type}.v{cls.version}.json" in names


def test_earlier_versions_still_read_keep_their_schema_marked_deprecated() -> None:
    import json

    from contracts.versions import PREVIOUS_VERSIONS

    for event_type, version in PREVIOUS_VERSIONS:
        schema = json.loads(rendered_schemas()[f"{event_type}.v{version}.json"])
        assert schema["deprecated"] is True
        assert schema["x-cloudevents-type"] == f"nl.warmeoverdracht.{event_type}.v{version}"
        assert schema["x-superseded-by"] == EVENT_TYPES[event_type].type_name()


def test_event_schemas_forbid_unknown_fields() -> None:
    import json

    for name, text in rendered_schemas().items():
        assert json.loads(text)["additionalProperties"] is False, name


def test_differences_notices_a_changed_file(tmp_path) -> None:
    for name, text in rendered_schemas().items():
        (tmp_path / name).write_text(text)
    assert differences(tmp_path) == []
    (tmp_path / "ApplicationFiled.v1.json").write_text("{}")
    (tmp_path / "Extra.v1.json").write_text("{}")
    assert differences(tmp_path) == [
        "stale file: Extra.v1.json",
        "differs from the model: ApplicationFiled.v1.json",
    ]
