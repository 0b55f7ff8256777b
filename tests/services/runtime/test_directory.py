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
