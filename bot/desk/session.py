"""Staff session cookie: an HMAC-signed token (session id, staff id, times) with absolute and idle expiry.

Stateless on purpose: any worker behind the proxy can check it with the shared secret. It is bound to
the account's password hash, so a password change ends every session of that account, and the middleware
reloads the account on each request, so deactivating an account ends its sessions at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, replace

COOKIE_NAME = "lawbot_staff"
MAX_AGE = 12 * 3600  # a working day: staff log in again every morning
IDLE_TIMEOUT = 2 * 3600  # a desk left open over lunch asks for the password again
ANONYMOUS_MAX_AGE = 2 * 3600  # the pre-login session that only carries the login form's CSRF token
REFRESH_AFTER = 300  # re-sign the cookie (moving the idle deadline) at most every 5 minutes


def derive_key(secret: str, purpose: str) -> bytes:
    """A separate key per purpose, so a CSRF token can never pass as a session signature."""
    return hmac.new(secret.encode("utf-8"), f"lawbot-desk:{purpose}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class DeskSession:
    sid: str  # random; a new one at every login (no session fixation)
    staff_id: int | None  # None: not logged in yet
    issued: int  # epoch seconds
    seen: int  # last refresh, for the idle timeout
    binding: str = ""  # fingerprint of the account's password hash

    @property
    def authenticated(self) -> bool:
        return self.staff_id is not None


def new_session(staff_id: int | None = None, binding: str = "", now: float | None = None) -> DeskSession:
    t = int(now if now is not None else time.time())
    return DeskSession(secrets.token_urlsafe(24), staff_id, t, t, binding)


def account_binding(key: bytes, password_hash: str) -> str:
    return hmac.new(key, password_hash.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


class SessionSigner:
    """Encodes sessions into cookie values and back, refusing forged, altered or expired ones."""

    def __init__(self, secret: str) -> None:
        self._key = derive_key(secret, "session")
        self._binding_key = derive_key(secret, "binding")

    def binding(self, password_hash: str) -> str:
        return account_binding(self._binding_key, password_hash)

    def dumps(self, session: DeskSession) -> str:
        body = json.dumps(
            [session.sid, session.staff_id, session.issued, session.seen, session.binding],
            separators=(",", ":"),
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
            sid, staff_id, issued, seen, binding = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return None
        if not (isinstance(sid, str) and isinstance(issued, int) and isinstance(seen, int)):
            return None
        if staff_id is not None and not isinstance(staff_id, int):
            return None
        t = int(now if now is not None else time.time())
        max_age = MAX_AGE if staff_id is not None else ANONYMOUS_MAX_AGE
        if t - issued > max_age or t < issued - 60:
            return None
        if staff_id is not None and t - seen > IDLE_TIMEOUT:
            return None
        return DeskSession(sid, staff_id, issued, seen, str(binding))

    def _sign(self, payload: str) -> bytes:
        return hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest()


def touched(session: DeskSession, now: float | None = None) -> DeskSession | None:
    """The session with a fresh idle deadline, or None when it is recent enough to keep as is."""
    t = int(now if now is not None else time.time())
    if t - session.seen < REFRESH_AFTER:
        return None
    return replace(session, seen=t)
