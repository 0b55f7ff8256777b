"""Development sign-in tokens of the handoff desk, for `make run` (services/runtime/supervisor.py):
one random token per organisation of the directory, kept in a file readable by its owner only, so
they stay the same across restarts. The desk reads that file as WO_ORG_TOKENS_FILE and checks every
entry (services/desk/tokens.py); here it is only made, or read back for the banner."""

import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path


class DevTokensError(Exception):
    """The development tokens file exists but is not a JSON object of organisation -> token."""


def ensure_dev_tokens(path: Path, orgs: Iterable[str]) -> dict[str, str]:
    """The tokens in the file at `path` if it is there, else a new random token per organisation,
    written readable by the owner only."""
    if path.exists():
        try:
            tokens = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise DevTokensError(f"{path} cannot be read as JSON ({exc}): remove it to get new tokens") from exc
        if not isinstance(tokens, dict) or not all(isinstance(t, str) for t in tokens.values()):
            raise DevTokensError(f'{path} must be a JSON object {{"<org>": "<token>"}}: remove it to get new tokens')
        return tokens
    tokens = {org: secrets.token_urlsafe(24) for org in sorted(orgs)}
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(tokens, file, indent=2)
        file.write("\n")
    return tokens
