"""CSRF protection: every form carries a token derived from the session id; a POST without it is refused.

The token is an HMAC of the session id, so it changes at login together with the session, and a page
of another site can neither read nor guess it. A cross-origin `Origin` header is refused too.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from bot.desk.session import DeskSession, derive_key

FIELD = "csrf_token"
MAX_FIELDS = 200


class CsrfTokens:
    def __init__(self, secret: str) -> None:
        self._key = derive_key(secret, "csrf")

    def token(self, session: DeskSession) -> str:
        return hmac.new(self._key, session.sid.encode("utf-8"), hashlib.sha256).hexdigest()

    def valid(self, session: DeskSession | None, token: object) -> bool:
        if session is None or not isinstance(token, str) or not token:
            return False
        return hmac.compare_digest(token.encode("utf-8"), self.token(session).encode("utf-8"))


def same_origin(request: Request, public_url: str | None = None) -> bool:
    """False when the browser says the request comes from another site (Origin header).

    Behind a proxy the Host header may be rewritten, so the forwarded host and the configured
    public URL count as ours too; the CSRF token remains the real check.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True  # old browsers and same-origin GET-initiated posts may omit it
    if origin == "null":
        return False
    netloc = urlsplit(origin).netloc.lower()
    ours = {
        request.headers.get("host", "").lower(),
        request.headers.get("x-forwarded-host", "").lower(),
        urlsplit(public_url or "").netloc.lower(),
    }
    return bool(netloc) and netloc in ours


async def checked_form(request: Request, *, max_files: int = 0) -> FormData:
    """The POSTed form, after checking its CSRF token against the session (403 otherwise)."""
    desk = request.app.state.desk
    if not same_origin(request, desk.settings.public_url):
        raise HTTPException(403, "cross-origin form")
    try:
        form = await request.form(max_files=max_files, max_fields=MAX_FIELDS)
    except HTTPException:
        raise
    except Exception as exc:  # malformed multipart, too many fields ...
        raise HTTPException(400, "bad form") from exc
    for name, value in form.multi_items():
        if isinstance(value, str) and "\x00" in value:
            # PostgreSQL refuses NUL in text: say "bad form" here, not 500 at the database
            raise HTTPException(400, f"bad form field: {name[:64]}")
    tokens: CsrfTokens = desk.csrf
    session: DeskSession | None = request.scope.get("state", {}).get("desk_session")
    if not tokens.valid(session, form.get(FIELD)):
        raise HTTPException(403, "csrf")
    return form
