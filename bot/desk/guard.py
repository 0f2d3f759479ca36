"""Access control for every desk request: session from the cookie, login required by default, admin areas.

Default deny: only the login page and the static files are public, so a route added later is protected
without anyone remembering to protect it. The middleware also writes the session cookie and the security
headers (CSP with a per-request nonce, no framing, no caching of pages with citizen data).
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.desk.context import Desk
from bot.desk.session import COOKIE_NAME, DeskSession, new_session

PUBLIC_PATHS = frozenset({"/login"})
# The largest form the desk takes (a reply is at most 4,000 characters): the login form is public, so
# an anonymous client must not make the server buffer a huge body.
MAX_BODY = 256 * 1024
STATIC_PREFIX = "/static/"
ADMIN_PREFIX = "/admin"


def route_path(scope: Scope) -> str:
    path: str = scope.get("path", "/")
    mount: str = scope.get("root_path", "")
    if mount and path.startswith(mount):
        path = path[len(mount) :]
    return path or "/"


def session_cookie(value: str, *, path: str, secure: bool, clear: bool = False) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE_NAME] = value
    morsel = cookie[COOKIE_NAME]
    morsel["path"] = path
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    if clear:
        morsel["max-age"] = 0
    return morsel.OutputString()


def issue_session(request: Request, session: DeskSession) -> None:
    """Make `session` the request's session and send it as the cookie (login, logout)."""
    state = request.scope["state"]
    state["desk_session"] = session
    state["desk_session_issue"] = session


class DeskGuard:
    def __init__(self, app: ASGIApp, desk: Desk) -> None:
        self.app = app
        self.desk = desk

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        state = scope.setdefault("state", {})
        nonce = secrets.token_urlsafe(16)
        state["csp_nonce"] = nonce
        is_static = path.startswith(STATIC_PREFIX)
        if not is_static:
            await self._load_session(scope, state)
        send = self._wrap_send(scope, send, nonce, is_static)
        too_large = _body_too_large(scope)
        if too_large:
            await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)
            return
        receive = _limited(receive)
        if not is_static and path not in PUBLIC_PATHS:
            refusal = self._refusal(scope, state, path)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _load_session(self, scope: Scope, state: dict) -> None:
        desk = self.desk
        request = Request(scope)
        now = desk.now().timestamp()
        session = desk.signer.loads(request.cookies.get(COOKIE_NAME), now)
        staff = None
        issue: DeskSession | None = None
        if session is not None and session.logged_in:
            # the server-side session decides: logged out, expired, revoked or deactivated = over
            staff = await desk.run(desk.sessions.resolve, session.sid)
            if staff is None:
                session = None
        if session is None:
            session = new_session(now=now)
            issue = session
        state["desk_session"] = session
        state["desk_session_issue"] = issue
        state["staff"] = staff

    def _refusal(self, scope: Scope, state: dict, path: str) -> Response | None:
        staff = state.get("staff")
        if staff is None:
            method = scope.get("method", "GET")
            if method in ("GET", "HEAD") and not path.startswith("/api/"):
                query = scope.get("query_string", b"").decode("latin-1")
                target = path + (f"?{query}" if query else "")
                login = f"{scope.get('root_path', '')}/login?next={quote(target, safe='')}"
                return RedirectResponse(login, status_code=303)
            return PlainTextResponse("login required", status_code=401)
        if (path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")) and staff.role != "admin":
            return _forbidden(self.desk, scope)
        return None

    def _wrap_send(self, scope: Scope, send: Send, nonce: str, is_static: bool) -> Send:
        state = scope["state"]
        secure = scope.get("scheme") == "https"
        cookie_path = scope.get("root_path", "") or "/"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                issue: DeskSession | None = state.get("desk_session_issue")
                if issue is not None:
                    value = self.desk.signer.dumps(issue)
                    headers.append(
                        "set-cookie", session_cookie(value, path=cookie_path, secure=secure)
                    )
                headers["x-content-type-options"] = "nosniff"
                headers["x-frame-options"] = "DENY"
                headers["referrer-policy"] = "same-origin"
                headers["content-security-policy"] = (
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                    f"script-src 'nonce-{nonce}'; object-src 'none'; base-uri 'none'; "
                    "frame-ancestors 'none'; form-action 'self'"
                )
                if not is_static:
                    headers["cache-control"] = "no-store"
            await send(message)

        return send_with_headers


def _body_too_large(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value) > MAX_BODY
            except ValueError:
                return True
    return False


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, "request body too large")


def _limited(receive: Receive) -> Receive:
    """Counts a body sent without Content-Length (chunked) and stops it past MAX_BODY."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise BodyTooLarge()
        return message

    return counted


def _forbidden(desk: Desk, scope: Scope) -> Response:
    request = Request(scope)
    from bot.desk.errors import error_page

    return error_page(request, 403)
