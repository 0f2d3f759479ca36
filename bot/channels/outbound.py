"""Outbound port implementations: send rendered replies through Telegram or Zalo part by part,
mapping failures to temporary (retry later) or permanent (give up) delivery errors for the outbox
worker, which alone decides about retries (no client retries inside a call)."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.base import PartSent, PermanentDeliveryError, TemporaryDeliveryError
from bot.channels.telegram import render as tg_render
from bot.channels.zalo import render as zalo_render
from bot.channels.zalo.client import (
    ZaloBadRequest,
    ZaloClient,
    ZaloError,
    ZaloForbidden,
    ZaloNotFound,
    ZaloRateLimited,
    ZaloUnknownOutcome,
)
from bot.core.payload import OutboxPayload
from bot.core.ports import OutgoingMessage

log = logging.getLogger(__name__)

P = TypeVar("P")


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type becomes timedelta in v23
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


async def send_parts(
    parts: Sequence[P],
    send_one: Callable[[P], Awaitable[object]],
    *,
    skip: int,
    progress: PartSent | None,
) -> None:
    """Send `parts[skip:]` in order, reporting each accepted part (a retry starts after them)."""
    for number in range(skip, len(parts)):
        await send_one(parts[number])
        if progress is not None:
            await progress(number + 1, len(parts))


class TelegramOutbound:
    """Sends replies as HTML messages with the inline keyboard under the last part."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: OutgoingMessage) -> None:
        await self.send_payload(message.chat_id, OutboxPayload.from_reply(message.reply))

    async def _send_one(self, chat_id: str, part: tg_render.TelegramMessage) -> None:
        try:
            await self.bot.send_message(
                chat_id,
                part.html,
                parse_mode=ParseMode.HTML,
                reply_markup=part.keyboard,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as exc:
            if "parse entities" not in str(exc).lower():
                raise
            # Our escaping should prevent this; if Telegram still rejects the markup, send plain text.
            log.error("telegram rejected our HTML (%s); sending plain text", exc)
            await self.bot.send_message(chat_id, part.plain, reply_markup=part.keyboard)

    async def send_payload(
        self,
        chat_id: str,
        payload: OutboxPayload,
        *,
        skip: int = 0,
        progress: PartSent | None = None,
    ) -> None:
        """Send the parts after the first `skip`; raises a DeliveryError for the outbox worker."""
        parts = tg_render.render(payload)
        try:
            await send_parts(
                parts, lambda part: self._send_one(chat_id, part), skip=skip, progress=progress
            )
        except RetryAfter as exc:
            raise TemporaryDeliveryError("telegram: rate limited", _retry_after(exc)) from None
        except (Forbidden, ChatMigrated, BadRequest) as exc:
            raise PermanentDeliveryError(self._describe(exc)) from None
        except TimedOut as exc:
            # the request may have reached Telegram: the message may or may not be there
            unknown = "pool timeout" not in str(exc).lower()  # never left our connection pool
            raise TemporaryDeliveryError(self._describe(exc), unknown=unknown) from None
        except TelegramError as exc:  # NetworkError, InvalidToken (fixable config) ...
            raise TemporaryDeliveryError(self._describe(exc)) from None

    def _describe(self, exc: Exception) -> str:
        # error texts end up in the outbox table and logs: make sure the token never does
        return f"telegram: {type(exc).__name__}: {exc}".replace(self.bot.token, "<token>")

    async def typing(self, chat_id: str) -> None:
        try:
            await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("telegram typing failed: %s", type(exc).__name__)


class ZaloOutbound:
    """Sends replies as plain text (<= 2,000 characters per message), buttons as typed-command hints."""

    def __init__(self, client: ZaloClient) -> None:
        self.client = client

    async def send(self, message: OutgoingMessage) -> None:
        await self.send_payload(message.chat_id, OutboxPayload.from_reply(message.reply))

    async def send_payload(
        self,
        chat_id: str,
        payload: OutboxPayload,
        *,
        skip: int = 0,
        progress: PartSent | None = None,
    ) -> None:
        """Send the parts after the first `skip`; raises a DeliveryError for the outbox worker."""
        parts = zalo_render.render(payload)
        try:
            await send_parts(
                parts,
                lambda part: self.client.send_message(chat_id, part),
                skip=skip,
                progress=progress,
            )
        except ZaloRateLimited as exc:
            raise TemporaryDeliveryError(f"zalo: {exc.description}", exc.retry_after) from None
        except (ZaloBadRequest, ZaloForbidden, ZaloNotFound) as exc:
            raise PermanentDeliveryError(f"zalo: {exc.description}") from None
        except ZaloUnknownOutcome as exc:
            raise TemporaryDeliveryError(f"zalo: {exc.description}", unknown=True) from None
        except ZaloError as exc:  # 5xx, connection refused, 401 (token can be fixed while we wait) ...
            raise TemporaryDeliveryError(f"zalo: {exc.description}") from None

    async def typing(self, chat_id: str) -> None:
        try:
            await self.client.send_chat_action(chat_id, "typing")
        except ZaloError as exc:
            log.debug("zalo typing failed: %s", type(exc).__name__)
