"""POST /webhooks/telegram and /webhooks/zalo: size limit, secret check, validation, durable store, fast 200.

Status codes tell the platform what to do: 2xx = done (also for a duplicate, and for an update we
ignore, e.g. from a group chat), 401/403 = forged, 400 = not an update we can ever handle (too deep,
a number out of range, a missing field), 413 = too large, 503 = our database is down, so please
deliver again later. An authentic request never gets another 5xx: the platform would redeliver it
for hours and hold back the chat's later messages.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.base import ChannelAdapter
from bot.channels.events import IgnoredEvent, UpdateError
from bot.channels.payload import decode
from bot.core.models import Channel
from bot.runtime.intake import Intake
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

SECRET_HEADERS = {
    Channel.TELEGRAM: "X-Telegram-Bot-Api-Secret-Token",
    Channel.ZALO: "X-Bot-Api-Secret-Token",
}


class _TooLarge(Exception):
    pass


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error": message}, status_code=status, headers=headers or None
    )


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refusing early (Content-Length) or while streaming when it grows over `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _TooLarge
        except ValueError:
            pass  # the server enforces framing; we still count what actually arrives
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _secret_ok(given: str, expected: str) -> bool:
    # constant time: a forger learns nothing from how long the comparison took
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


class WebhookEndpoint:
    """One platform's webhook."""

    def __init__(
        self,
        channel: Channel,
        adapter: ChannelAdapter | None,
        intake: Intake,
        metrics: Metrics,
        max_body_bytes: int,
    ) -> None:
        self.channel = channel
        self.adapter = adapter
        self.intake = intake
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    def _reject(self, reason: str, status: int, message: str, **headers: str) -> JSONResponse:
        self.metrics.webhook_rejected.labels(self.channel.value, reason).inc()
        return _error(status, message, **headers)

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        response = await self._handle(request)
        self.metrics.webhook_seconds.labels(self.channel.value, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response

    async def _handle(self, request: Request) -> Response:
        adapter = self.adapter
        if adapter is None:
            return _error(404, f"the {self.channel.value} channel is not enabled")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return self._reject("too_large", 413, f"body larger than {self.max_body_bytes} bytes")
        secret = adapter.webhook_secret
        if not secret:
            return self._reject("secret", 403, "webhooks are not configured for this channel")
        given = request.headers.get(SECRET_HEADERS[self.channel])
        if given is None:
            return self._reject("secret", 401, f"missing {SECRET_HEADERS[self.channel]} header")
        if not _secret_ok(given, secret):
            return self._reject("secret", 403, "wrong secret token")
        try:
            body = await _read_body(request, self.max_body_bytes)
        except _TooLarge:
            return self._reject("too_large", 413, f"body larger than {self.max_body_bytes} bytes")
        except ClientDisconnect:
            return _error(400, "client disconnected")
        try:
            decoded = decode(body)
            payload: Any = decoded.payload
            key = adapter.update_key(payload)
            # full check now, so that the inbox only ever holds updates the worker can handle
            event = adapter.parse(payload)
        except UpdateError as exc:
            # the reason names a field, never its value; the log handlers mask what slips through
            log.info("%s webhook: rejected an update (%s)", self.channel.value, exc)
            return self._reject("malformed", 400, str(exc))
        except Exception:  # a parser bug: 500 would make the platform redeliver it for hours
            log.exception("%s webhook: update could not be parsed", self.channel.value)
            return self._reject("malformed", 400, "not a valid update")
        if decoded.repaired:
            log.info(
                "%s webhook: update %s had %d string(s) with invalid Unicode, replaced by U+FFFD",
                self.channel.value,
                key,
                decoded.repaired,
            )
        if isinstance(event, IgnoredEvent):
            # nothing to answer (a group chat, an update kind we do not handle): not even stored,
            # so the messages of people who never wrote to the bot are kept nowhere
            log.debug("%s webhook: update %s ignored (%s)", self.channel.value, key, event.reason)
            return JSONResponse({"ok": True, "duplicate": False, "ignored": event.reason})
        try:
            stored = await self.intake.accept(self.channel, key, payload, event)
        except Exception as exc:
            log.warning(
                "%s webhook: inbox unavailable (%s)", self.channel.value, type(exc).__name__
            )
            return self._reject(
                "unavailable", 503, "storage unavailable, retry later", **{"Retry-After": "5"}
            )
        return JSONResponse({"ok": True, "duplicate": not stored})


def webhook_routes(
    channels: Mapping[Channel, ChannelAdapter],
    intake: Intake,
    metrics: Metrics,
    max_body_bytes: int,
) -> list[Route]:
    """Routes for both platforms; a channel that is off answers 404."""
    return [
        Route(
            f"/webhooks/{channel.value}",
            WebhookEndpoint(channel, channels.get(channel), intake, metrics, max_body_bytes).handle,
            methods=["POST"],
            name=f"webhook_{channel.value}",
        )
        for channel in (Channel.TELEGRAM, Channel.ZALO)
    ]
