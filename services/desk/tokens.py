"""Sign-in tokens of the handoff desk: one secret per organisation, from configuration.

`WO_ORG_TOKENS` holds JSON `{"gm0855": "<token>", …}`; otherwise `WO_ORG_TOKENS_FILE` names a JSON
file of the same shape. A caseworker signs in with the organisation's token; the API takes it as a
Bearer token. `make run` writes development tokens for every organisation to var/org-tokens.json
(services/runtime/devtokens.py) and hands the desk that file.
"""

import hmac
import json
from pathlib import Path

from contracts.ids import organisation_kind

MIN_TOKEN_LENGTH = 16


class TokenConfigError(Exception):
    """The token configuration is unreadable or unsafe; the message says which entry and why."""


class OrgTokens:
    """Which organisation a presented token belongs to (compared in constant time)."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self._tokens = dict(tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    def org_of(self, presented: str | None) -> str | None:
        if not presented:
            return None
        found = None
        for org, token in self._tokens.items():  # every entry is compared: no early exit to time
            if hmac.compare_digest(token.encode(), presented.encode()):
                found = org
        return found


def parse_tokens(raw: str, where: str) -> dict[str, str]:
    """`{"org": "token"}` from JSON text, checked: known organisation ids, long unique tokens."""
    try:
        tokens = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TokenConfigError(f"{where} is not JSON: {exc}") from exc
    if not isinstance(tokens, dict):
        raise TokenConfigError(f'{where} must be a JSON object {{"<org>": "<token>"}}')
    seen: dict[str, str] = {}
    for org, token in tokens.items():
        if organisation_kind(org) is None:
            raise TokenConfigError(f"{where}: '{org}' is not an organisation id (see contracts/ids.py)")
        if not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH:
            raise TokenConfigError(f"{where}: the token of '{org}' must be a string of at least {MIN_TOKEN_LENGTH} characters")
        if token in seen:
            raise TokenConfigError(f"{where}: '{org}' and '{seen[token]}' have the same token")
        seen[token] = org
    return tokens


def load_tokens(org_tokens: str, org_tokens_file: str) -> OrgTokens:
    """The tokens from WO_ORG_TOKENS, else from the file WO_ORG_TOKENS_FILE, else none (nobody signs in)."""
    if org_tokens.strip():
        return OrgTokens(parse_tokens(org_tokens, "WO_ORG_TOKENS"))
    if org_tokens_file.strip():
        path = Path(org_tokens_file)
        try:
            text = path.read_text()
        except OSError as exc:
            raise TokenConfigError(f"WO_ORG_TOKENS_FILE {path} cannot be read: {exc.strerror}") from exc
        return OrgTokens(parse_tokens(text, f"WO_ORG_TOKENS_FILE {path}"))
    return OrgTokens({})
