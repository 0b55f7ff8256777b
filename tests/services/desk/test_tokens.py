"""Sign-in tokens of the handoff desk: read from WO_ORG_TOKENS or a file, refused when unsafe."""

import json

import pytest

from services.desk.tokens import TokenConfigError, load_tokens

GOOD = {"gm0855": "a" * 16 + "-gm0855", "regie-gm0855": "b" * 16 + "-regie"}


def test_a_token_names_its_organisation_and_nothing_else_does() -> None:
    tokens = load_tokens(json.dumps(GOOD), "")
    assert tokens.org_of(GOOD["gm0855"]) == "gm0855"
    assert tokens.org_of(GOOD["regie-gm0855"]) == "regie-gm0855"
    for presented in (None, "", "a" * 16, GOOD["gm0855"] + "x", GOOD["gm0855"].upper()):
        assert tokens.org_of(presented) is None, presented


def test_the_environment_wins_over_the_file(tmp_path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"nidos": "n" * 20}))
    assert load_tokens("", str(path)).org_of("n" * 20) == "nidos"
    assert load_tokens(json.dumps(GOOD), str(path)).org_of("n" * 20) is None


def test_no_configuration_means_nobody_signs_in() -> None:
    tokens = load_tokens("", "")
    assert len(tokens) == 0 and tokens.org_of("anything-at-all-long") is None


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("{not json", "is not JSON"),
        ('["gm0855"]', "must be a JSON object"),
        (json.dumps({"gemeente-tilburg": "x" * 20}), "'gemeente-tilburg' is not an organisation id"),
        (json.dumps({"gm0855": "short"}), "at least 16 characters"),
        (json.dumps({"gm0855": 1234567890123456789}), "must be a string"),
        (json.dumps({"gm0855": "s" * 20, "nidos": "s" * 20}), "have the same token"),
    ],
)
def test_unsafe_or_broken_configuration_is_refused_with_the_reason(raw: str, says: str) -> None:
    with pytest.raises(TokenConfigError, match=says):
        load_tokens(raw, "")


def test_a_missing_file_is_named(tmp_path) -> None:
    with pytest.raises(TokenConfigError, match="tokens.json cannot be read"):
        load_tokens("", str(tmp_path / "tokens.json"))

