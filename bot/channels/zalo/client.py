"""Thin async httpx client for the Zalo Bot Platform (`<base>/bot<TOKEN>/<method>`), with retries.

The token is part of every URL, so nothing here logs a URL or an httpx request: only method names.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bot.channels.split import split_text

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
MAX_TEXT_LENGTH = 2000


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
    """Timeout or connection failure before an answer arrived; retry later."""

    retryable = True


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

    Retries 429, 5xx, timeouts and connection errors with exponential backoff and jitter
    (`max_retries` extra attempts); other errors raise the matching `ZaloError` subclass at once.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        token = token.strip()
        if not token or any(c.isspace() or c in "/?#" for c in token):
            raise ZaloUnauthorized("the Zalo bot token is empty or malformed", 401)
        self._token = token
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
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

    def backoff(self, attempt: int, floor: float | None = None) -> float:
        """Delay before retry number `attempt` (0-based): exponential with jitter, at least `floor`."""
        delay = min(self.backoff_max, self.backoff_base * 2**attempt)
        delay *= 0.5 + random.random() / 2  # jitter: many bots backing off must not retry in step
        return max(delay, floor or 0.0)

    async def _call_once(self, method: str, params: dict[str, Any], timeout: float) -> Any:
        url = f"{self._base}/bot{self._token}/{method}"
        try:
            response = await self._http.post(url, json=params, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise ZaloNetworkError(f"{method}: timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise ZaloNetworkError(f"{method}: connection failed ({type(exc).__name__})") from None
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
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Any:
        """Call one Bot API method; return its `result` or raise a `ZaloError`."""
        retries = self.max_retries if max_retries is None else max_retries
        attempt = 0
        while True:
            try:
                log.debug("zalo %s", method)
                return await self._call_once(method, params or {}, timeout or self._timeout)
            except ZaloError as exc:
                if not exc.retryable or attempt >= retries:
                    raise
                floor = exc.retry_after if isinstance(exc, ZaloRateLimited) else None
                delay = self.backoff(attempt, floor)
                log.warning(
                    "zalo %s failed (%s); retry %d in %.1fs",
                    method,
                    exc.description,
                    attempt + 1,
                    delay,
                )
                await self._sleep(delay)
                attempt += 1

    # The Bot API methods we use ------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        """The bot's own account; raises ZaloUnauthorized for a bad token (checked at startup)."""
        return dict(await self.call("getMe", max_retries=2) or {})

    async def get_updates(self, timeout: int = 30) -> list[dict[str, Any]]:
        """Long-poll for the next update: a list of at most one update; [] when the poll timed out (408)."""
        try:
            result = await self.call(
                "getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10.0, max_retries=0
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

    async def send_message(
        self, chat_id: str, text: str, *, max_retries: int | None = None
    ) -> list[dict[str, Any]]:
        """Send `text`; longer than 2,000 characters it goes out as several messages, cut on
        article/paragraph boundaries. Returns the result of each message sent."""
        parts = split_text(text, MAX_TEXT_LENGTH)
        if not parts:
            raise ValueError("Zalo messages need 1-2000 characters of text")
        results = []
        for part in parts:
            result = await self.call(
                "sendMessage", {"chat_id": chat_id, "text": part}, max_retries=max_retries
            )
            results.append(result if isinstance(result, dict) else {})
        return results

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        return await self.call(
            "sendChatAction", {"chat_id": chat_id, "action": action}, max_retries=0
        )
