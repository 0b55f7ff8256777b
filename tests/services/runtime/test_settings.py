"""NATS_PASSWORD_FILE (services/runtime/settings.py): the password of NATS_USER from a file, as
docker-compose hands it to each service (the `_FILE` convention of docker secrets)."""

import pytest
from pydantic import ValidationError

from services.runtime.settings import Settings

LOGIN_VARIABLES = ("NATS_USER", "NATS_PASSWORD", "NATS_PASSWORD_FILE", "WO_NATS_USER", "WO_NATS_PASSWORD",
                   "WO_NATS_PASSWORD_FILE")


@pytest.fixture(autouse=True)
def no_login_in_the_environment(monkeypatch) -> None:
    for name in LOGIN_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("variable", ["NATS_PASSWORD_FILE", "WO_NATS_PASSWORD_FILE"])
@pytest.mark.parametrize("content", ["s3cret-from-file", "s3cret-from-file\n", "s3cret-from-file\r\n"])
def test_the_password_is_read_from_the_file_without_its_trailing_newline(tmp_path, monkeypatch, variable, content):
    secret = tmp_path / "intake"
    secret.write_text(content)
    monkeypatch.setenv("NATS_USER", "intake")
    monkeypatch.setenv(variable, str(secret))
    settings = Settings()
    assert settings.nats_login() == {"user": "intake", "password": "s3cret-from-file"}
    assert "s3cret" not in repr(settings)


def test_without_the_file_variable_the_password_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("NATS_USER", "intake")
    monkeypatch.setenv("NATS_PASSWORD", "from-env")
    assert Settings().nats_login() == {"user": "intake", "password": "from-env"}
    assert Settings().nats_password_file == ""


def test_an_unreadable_file_is_a_clear_error_naming_the_variable_and_the_path(tmp_path, monkeypatch) -> None:
    missing = tmp_path / "passwords" / "intake"
    monkeypatch.setenv("NATS_USER", "intake")
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(missing))
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert f"NATS_PASSWORD_FILE={missing}: cannot read the NATS password" in str(raised.value)
    assert "No such file" in str(raised.value)


def test_a_directory_or_an_empty_file_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(tmp_path))
    with pytest.raises(ValidationError, match=f"NATS_PASSWORD_FILE={tmp_path}: cannot read"):
        Settings()
    empty = tmp_path / "empty"
    empty.write_text("\n")
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(empty))
    with pytest.raises(ValidationError, match=f"NATS_PASSWORD_FILE={empty}: the file is empty"):
        Settings()


def test_a_password_and_a_password_file_together_are_refused(tmp_path, monkeypatch) -> None:
    secret = tmp_path / "intake"
    secret.write_text("s3cret")
    monkeypatch.setenv("NATS_PASSWORD", "other")
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(secret))
    with pytest.raises(ValidationError, match="NATS_PASSWORD and NATS_PASSWORD_FILE are both set"):
        Settings()
