"""Development tokens of `make run`: made once, private to the owner, kept; the desk signs them in."""

import stat

import pytest

from services.desk.tokens import load_tokens
from services.runtime.devtokens import DevTokensError, ensure_dev_tokens


def test_dev_tokens_are_made_once_private_to_the_owner_and_kept(tmp_path) -> None:
    path = tmp_path / "var" / "org-tokens.json"
    first = ensure_dev_tokens(path, ["gm0855", "nidos"])
    assert set(first) == {"gm0855", "nidos"} and len(set(first.values())) == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_dev_tokens(path, ["gm0855", "nidos", "ind"]) == first  # the file is kept as it is
    assert load_tokens("", str(path)).org_of(first["nidos"]) == "nidos"


def test_a_broken_tokens_file_is_named_and_not_replaced(tmp_path) -> None:
    path = tmp_path / "org-tokens.json"
    path.write_text('["gm0855"]')
    with pytest.raises(DevTokensError, match="org-tokens.json must be a JSON object"):
        ensure_dev_tokens(path, ["gm0855"])
    assert path.read_text() == '["gm0855"]'
