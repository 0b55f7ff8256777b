"""The organisation directory is validated at start-up, with an error that says where and why."""

from pathlib import Path

import pytest

from services.runtime.directory import DirectoryError, load_directory

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
