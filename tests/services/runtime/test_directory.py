"""The organisation directory is validated at start-up, with an error that says where and why."""

from pathlib import Path

import pytest
import yaml

from services.runtime.directory import Directory, DirectoryError, load_directory

GOOD = Path(__file__).resolve().parents[3] / "deploy" / "organisations.yaml"


def test_the_demo_directory_covers_tilburg_den_haag_and_utrecht() -> None:
    directory = load_directory(GOOD)
    assert {"GM0855", "GM0518", "GM0344"} <= set(directory.municipalities)
    tilburg = directory.of("GM0855")
    assert (tilburg.municipality, tilburg.coordinator, tilburg.district_team) == ("gm0855", "regie-gm0855", "wijkteam-gm0855")
    assert directory.of("GM9999") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("national: {}\nmunicipalities: {}\n", "national.nidos is missing"),
        (GOOD.read_text().replace("district_team: wijkteam-gm0855", "district_team: gm0855"), "GM0855.district_team"),
        (GOOD.read_text().replace("GM0344:", "Utrecht:"), "municipalities.Utrecht"),
        (GOOD.read_text().replace("    rmc: rmc-gm0518\n", ""), "municipalities.GM0518.rmc"),
        ("national: [", "not valid YAML"),
    ],
)
def test_a_broken_directory_names_the_entry_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "organisations.yaml"
    path.write_text(text)
    with pytest.raises(DirectoryError, match=message.replace(".", r"\.")):
        load_directory(path)


def test_a_missing_directory_says_which_variable_to_set(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="WO_DIRECTORY"):
        load_directory(tmp_path / "nope.yaml")


# --- channels: how an organisation receives its tasks besides NATS ------------------------------


def _with_channels(tmp_path: Path, channels: str) -> Path:
    path = tmp_path / "organisations.yaml"
    path.write_text(GOOD.read_text().replace("channels: {}", channels))
    return path


def _commented_example() -> str:
    """The commented `channels:` example at the end of deploy/organisations.yaml, uncommented."""
    lines = GOOD.read_text().splitlines()
    start = lines.index("# channels:")
    return "\n".join(line.removeprefix("#").removeprefix(" ") for line in lines[start:] if line.startswith("#"))


def test_the_commented_example_in_the_directory_is_a_valid_webhook() -> None:
    directory = load_directory(GOOD)
    assert directory.channels == {}
    example = _commented_example()
    assert "secret_env:" in example
    with_example = Directory.model_validate({**directory.model_dump(mode="json"), **yaml.safe_load(example)})
    [hook] = with_example.channels["gm0855"]
    assert (hook.type, hook.name, hook.url.scheme) == ("webhook", "zaaksysteem", "https")
    assert (hook.secret_env, hook.authorization_env) == ("WO_WEBHOOK_SECRET_GM0855", "WO_WEBHOOK_AUTH_GM0855")


def test_a_webhook_for_localhost_may_use_http(tmp_path: Path) -> None:
    path = _with_channels(
        tmp_path,
        "channels:\n  nidos:\n    - {type: webhook, url: 'http://127.0.0.1:8080/hook', secret_env: NIDOS_SECRET}\n"
        "    - {type: webhook, name: local, url: 'http://localhost/hook', secret_env: NIDOS_SECRET}\n",
    )
    hooks = load_directory(path).channels["nidos"]
    assert [(h.name, str(h.url)) for h in hooks] == [
        ("webhook", "http://127.0.0.1:8080/hook"),
        ("local", "http://localhost/hook"),
    ]


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ("{type: webhook, url: 'http://hooks.example/x', secret_env: S}", "channels.gm0855.0.url: .*must be https"),
        ("{type: webhook, url: 'https://user:pw@hooks.example/x', secret_env: S}", "channels.gm0855.0.url: .*credentials"),
        ("{type: webhook, url: 'not a url', secret_env: S}", "channels.gm0855.0.url"),
        ("{type: webhook, url: 'ftp://hooks.example/x', secret_env: S}", "channels.gm0855.0.url"),
        ("{type: email, url: 'https://hooks.example/x', secret_env: S}", "channels.gm0855.0.type"),
        ("{url: 'https://hooks.example/x', secret_env: S}", "channels.gm0855.0.type: Field required"),
        ("{type: webhook, url: 'https://hooks.example/x'}", "channels.gm0855.0.secret_env: Field required"),
        ("{type: webhook, url: 'https://hooks.example/x', secret_env: S, secret: hunter2}", "channels.gm0855.0.secret: Extra"),
        ("{type: webhook, url: 'https://hooks.example/x', secret_env: 'my secret'}", "channels.gm0855.0.secret_env"),
        ("{type: webhook, url: 'https://hooks.example/x', secret_env: S, authorization_env: 'Bearer x'}",
         "channels.gm0855.0.authorization_env"),
        ("{type: webhook, name: 'Zaak Systeem', url: 'https://hooks.example/x', secret_env: S}", "channels.gm0855.0.name"),
    ],
)
def test_a_broken_webhook_names_the_organisation_the_entry_and_the_field(tmp_path: Path, channels: str, message: str) -> None:
    path = _with_channels(tmp_path, f"channels:\n  gm0855:\n    - {channels}\n")
    with pytest.raises(DirectoryError, match=message):
        load_directory(path)


def test_a_channel_for_an_unknown_kind_of_organisation_is_refused(tmp_path: Path) -> None:
    path = _with_channels(
        tmp_path, "channels:\n  bakkerij:\n    - {type: webhook, url: 'https://hooks.example/x', secret_env: S}\n"
    )
    with pytest.raises(DirectoryError, match="channels.bakkerij: 'bakkerij' is not an organisation id of a known kind"):
        load_directory(path)


def test_two_webhooks_of_one_organisation_need_their_own_names(tmp_path: Path) -> None:
    hook = "{type: webhook, url: 'https://hooks.example/x', secret_env: S}"
    path = _with_channels(tmp_path, f"channels:\n  gm0855:\n    - {hook}\n    - {hook}\n")
    with pytest.raises(DirectoryError, match="channels.gm0855: two channels are named 'webhook'"):
        load_directory(path)


# --- §4.2 "VluchtelingenWerk en/of wijkprofessionals", and local-policy settings -----------------


def _raw() -> dict:
    return yaml.safe_load(GOOD.read_text())


@pytest.mark.parametrize("role", ["vwn", "district_team"])
def test_a_municipality_may_lack_vwn_or_the_district_team(role: str) -> None:
    raw = _raw()
    del raw["municipalities"]["GM0518"][role]
    entry = Directory.model_validate(raw).of("GM0518")
    assert entry is not None and len(entry.support) == 1
    assert entry.social_guidance == (entry.vwn or "wijkteam-gm0518")
    assert entry.neighbourhood == (entry.district_team or "vwn-gm0518")


def test_a_municipality_without_both_is_refused_with_the_reason(tmp_path: Path) -> None:
    raw = _raw()
    del raw["municipalities"]["GM0518"]["vwn"], raw["municipalities"]["GM0518"]["district_team"]
    path = tmp_path / "organisations.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DirectoryError, match=r"municipalities\.GM0518.*needs a district_team, a vwn or both"):
        load_directory(path)


def test_settings_default_and_a_municipality_overrides_only_what_it_sets() -> None:
    raw = _raw()
    raw["settings"] = {"gap_due_weeks": 2, "escalation_due_weeks": 3}
    raw["municipalities"]["GM0855"]["settings"] = {"gap_due_weeks": 1, "move_handover_due_weeks": 6}
    directory = Directory.model_validate(raw)
    tilburg, den_haag = directory.settings_for("GM0855"), directory.settings_for("GM0518")
    assert (tilburg.gap_due_weeks, tilburg.escalation_due_weeks, tilburg.move_handover_due_weeks) == (1, 3, 6)
    assert (den_haag.gap_due_weeks, den_haag.escalation_due_weeks, den_haag.move_handover_due_weeks) == (2, 3, 4)
    assert directory.settings_for("GM9999") == directory.settings_for(None) == directory.settings


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"gap_due_weeks": 0}, "settings.gap_due_weeks"),
        ({"gap_due_week": 1}, "settings.gap_due_week"),  # a typo is an error, not a silent default
        ({"transition_18_due_months": 6}, "transition_18_due_months must be fewer"),
        ({"checklist_18_plus": ["digid", "digid"]}, "names an item twice"),
        ({"checklist_18_plus": []}, "settings.checklist_18_plus"),
    ],
)
def test_wrong_settings_stop_the_load_with_where_and_why(tmp_path: Path, settings: dict, message: str) -> None:
    raw = _raw()
    raw["settings"] = settings
    path = tmp_path / "organisations.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DirectoryError, match=message.replace(".", r"\.")):
        load_directory(path)


def test_a_municipalitys_settings_are_checked_merged_over_the_directorys(tmp_path: Path) -> None:
    raw = _raw()
    raw["settings"] = {"transition_18_due_months": 2}
    raw["municipalities"]["GM0855"]["settings"] = {"transition_18_start_months": 3}  # fine over the directory's 2
    assert Directory.model_validate(raw).settings_for("GM0855").transition_18_start_months == 3
    raw["municipalities"]["GM0518"]["settings"] = {"relief_due_weeks": 0}
    path = tmp_path / "organisations.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DirectoryError, match=r"municipalities\.GM0518\.settings\.relief_due_weeks"):
        load_directory(path)
