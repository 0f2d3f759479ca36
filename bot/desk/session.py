"""Staff session cookie: an HMAC-signed random session id (and when it was issued), nothing else.

Who is logged in lives server-side (bot.storage.staff_sessions), looked up on every request, so
logout, a password change or a deactivation ends a session at once on every worker, and idle and
absolute expiry follow the settings. The signature only keeps forged ids from reaching the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE_NAME = "lawbot_staff"
ANONYMOUS_MAX_AGE = 2 * 3600  # the pre-login session that only carries the login form's CSRF token
MAX_COOKIE_AGE = 7 * 24 * 3600  # no session lasts longer (settings cap session_max_hours at a week)


def derive_key(secret: str, purpose: str) -> bytes:
    """A separate key per purpose, so a CSRF token can never pass as a session signature."""
    return hmac.new(secret.encode("utf-8"), f"lawbot-desk:{purpose}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class DeskSession:
    sid: str  # random; a new one at every login and logout (no session fixation)
    logged_in: bool  # the sid names a server-side session (checked there on every request)
    issued: int  # epoch seconds


def new_session(sid: str | None = None, *, now: float | None = None) -> DeskSession:
    """An anonymous session (no sid given), or the cookie of the server-side session `sid`."""
    t = int(now if now is not None else time.time())
    if sid is None:
        return DeskSession(secrets.token_urlsafe(24), False, t)
    return DeskSession(sid, True, t)


class SessionSigner:
    """Encodes sessions into cookie values and back, refusing forged, altered or stale ones."""

    def __init__(self, secret: str) -> None:
        self._key = derive_key(secret, "session")

    def dumps(self, session: DeskSession) -> str:
        body = json.dumps(
            [session.sid, int(session.logged_in), session.issued], separators=(",", ":")
        ).encode("utf-8")
        payload = _b64(body)
        return f"{payload}.{_b64(self._sign(payload))}"

    def loads(self, value: str | None, now: float | None = None) -> DeskSession | None:
        if not value or len(value) > 1024 or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        try:
            if not hmac.compare_digest(_unb64(signature), self._sign(payload)):
                return None
            sid, logged_in, issued = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return None
        if not (isinstance(sid, str) and 16 <= len(sid) <= 128 and isinstance(issued, int)):
            return None
        if logged_in not in (0, 1):
            return None
        t = int(now if now is not None else time.time())
        max_age = MAX_COOKIE_AGE if logged_in else ANONYMOUS_MAX_AGE
        if t - issued > max_age or t < issued - 60:
            return None
        return DeskSession(sid, bool(logged_in), issued)

    def _sign(self, payload: str) -> bytes:
        return hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest()
