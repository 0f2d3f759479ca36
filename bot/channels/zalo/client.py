"""Thin async httpx client for the Zalo Bot Platform (`<base>/bot<TOKEN>/<method>`): one attempt per call.

The token is part of every URL, so nothing here logs a URL or an httpx request: only method names.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
MAX_TEXT_LENGTH = 2000
# Long enough for a slow platform (20 s answers were seen under load): a timeout that fires before
# Zalo answers makes the outcome unknown, and a retry of an unknown send may duplicate it.
DEFAULT_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0  # no connection: nothing was sent, safe to retry


class ZaloError(Exception):
    """The Zalo Bot API answered `ok: false` (or not at all)."""

    retryable = False

    def __init__(self, description: str, error_code: int | None = None) -> None:
        super().__init__(f"{description} (error_code={error_code})" if error_code else description)
        self.description = description
        self.error_code = error_code


class ZaloBadRequest(ZaloError):
    """400: the request is wrong (e.g. unknown chat, text too long); retrying does not help."""


class ZaloUnauthorized(ZaloError):
    """401: the bot token is invalid or expired."""


class ZaloForbidden(ZaloError):
    """403: the bot may not do this (e.g. the user blocked it)."""


class ZaloNotFound(ZaloError):
    """404: unknown method or resource."""


class ZaloPollTimeout(ZaloError):
    """408: a long poll ended without an update (not an error for callers of get_updates)."""


class ZaloRateLimited(ZaloError):
    """429: quota exceeded; back off and retry."""

    retryable = True

    def __init__(
        self, description: str, error_code: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(description, error_code)
        self.retry_after = retry_after


class ZaloServerError(ZaloError):
    """5xx: the platform is having trouble; retry later."""

    retryable = True


class ZaloNetworkError(ZaloError):
    """No connection could be made: the request never reached Zalo; retry later."""

    retryable = True


class ZaloUnknownOutcome(ZaloNetworkError):
    """The request was sent but no answer came in time (or the connection broke): Zalo may have
    carried it out. For sendMessage, retrying may deliver the message twice."""


_BY_CODE: dict[int, type[ZaloError]] = {
    400: ZaloBadRequest,
    401: ZaloUnauthorized,
    403: ZaloForbidden,
    404: ZaloNotFound,
    408: ZaloPollTimeout,
    429: ZaloRateLimited,
}


def _error_for(code: int | None, description: str, retry_after: float | None) -> ZaloError:
    if code == 429:
        return ZaloRateLimited(description, 429, retry_after)
    if code is not None and code >= 500:
        return ZaloServerError(description, code)
    cls = _BY_CODE.get(code or 0, ZaloError)
    return cls(description, code)


def _retry_after(response: httpx.Response, body: dict[str, Any]) -> float | None:
    params = body.get("parameters")
    raw = params.get("retry_after") if isinstance(params, dict) else None
    raw = raw if raw is not None else response.headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None


class ZaloClient:
    """Calls `<base_url>/bot<token>/<method>` with JSON and returns the `result` of the answer.

    One attempt per call: errors raise the matching `ZaloError` subclass (`retryable` tells which
    are worth another try). Who retries is the caller's business: the outbox worker for messages
    (so that a slow Zalo is not sent the same message again from inside a call), the pollers and
    the startup for the rest.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        token = token.strip()
        if not token or any(c.isspace() or c in "/?#" for c in token):
            raise ZaloUnauthorized("the Zalo bot token is empty or malformed", 401)
        self._token = token
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._connect_timeout = min(connect_timeout, timeout)
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=self._connect_timeout),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    def __repr__(self) -> str:  # never show the token
        return f"ZaloClient(base_url={self._base!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ZaloClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _call_once(self, method: str, params: dict[str, Any], timeout: float) -> Any:
        url = f"{self._base}/bot{self._token}/{method}"
        try:
            response = await self._http.post(
                url,
                json=params,
                timeout=httpx.Timeout(timeout, connect=min(self._connect_timeout, timeout)),
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ZaloNetworkError(f"{method}: connection failed ({type(exc).__name__})") from None
        except httpx.TimeoutException as exc:
            raise ZaloUnknownOutcome(f"{method}: timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise ZaloUnknownOutcome(
                f"{method}: connection broke ({type(exc).__name__})"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            status = response.status_code
            raise _error_for(
                status if status >= 400 else 502, f"{method}: HTTP {status}, no JSON body", None
            )
        if body.get("ok") is True and response.status_code < 400:
            return body.get("result")
        raw_code = body.get("error_code")
        code: int | None = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        if code is None:
            code = response.status_code if response.status_code >= 400 else None
        description = str(body.get("description") or f"HTTP {response.status_code}")
        raise _error_for(code, f"{method}: {description}", _retry_after(response, body))

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """Call one Bot API method once; return its `result` or raise a `ZaloError`."""
        log.debug("zalo %s", method)
        return await self._call_once(method, params or {}, timeout or self._timeout)

    # The Bot API methods we use ------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        """The bot's own account; raises ZaloUnauthorized for a bad token (checked at startup)."""
        return dict(await self.call("getMe") or {})

    async def get_updates(self, timeout: int = 30) -> list[dict[str, Any]]:
        """Long-poll for the next update: a list of at most one update; [] when the poll timed out (408)."""
        try:
            result = await self.call(
                "getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10.0
            )
        except ZaloPollTimeout:
            return []
        if result is None:
            return []
        if isinstance(result, list):
            return [u for u in result if isinstance(u, dict)]
        return [result] if isinstance(result, dict) else []

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        if not url.startswith("https://"):
            raise ValueError("Zalo webhooks need an https URL")
        if not 8 <= len(secret_token) <= 256:
            raise ValueError("the Zalo webhook secret must be 8-256 characters")
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        return dict(await self.call("getWebhookInfo") or {})

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """Send one message of 1-2,000 characters (longer replies are split before, by the
        renderer, so that each part's delivery is recorded). Returns its result."""
        if not text.strip() or len(text) > MAX_TEXT_LENGTH:
            raise ValueError("Zalo messages need 1-2000 characters of text")
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return result if isinstance(result, dict) else {}

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        # short: a typing indicator that comes late is useless, and it must not hold a connection
        return await self.call(
            "sendChatAction", {"chat_id": chat_id, "action": action}, timeout=10.0
        )
