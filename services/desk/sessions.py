"""Server-side sessions of the desk's web page: the cookie holds only a random id; signing out or a
restart of the desk ends them. Each session carries the CSRF token of its forms."""

import secrets
import time
from dataclasses import dataclass, field

SESSION_COOKIE = "wo_desk_session"
SESSION_TTL_S = 8 * 3600


@dataclass
class Session:
    org: str
    csrf: str
    expires_at: float
    notices: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) shown once on the next page


class Sessions:
    """Server-side sessions: the cookie holds only a random id; signing out or a restart ends them."""

    def __init__(self, ttl_s: float = SESSION_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._by_id: dict[str, Session] = {}

    def open(self, org: str) -> str:
        now = time.monotonic()
        for expired in [key for key, session in self._by_id.items() if session.expires_at < now]:
            del self._by_id[expired]
        session_id = secrets.token_urlsafe(32)
        self._by_id[session_id] = Session(org, secrets.token_urlsafe(24), time.monotonic() + self._ttl_s)
        return session_id

    def get(self, session_id: str | None) -> Session | None:
        session = self._by_id.get(session_id) if session_id else None
        if session is not None and session.expires_at < time.monotonic():
            self._by_id.pop(session_id, None)
            return None
        return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._by_id.pop(session_id, None)
