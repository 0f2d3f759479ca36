"""Outbound port implementations: send rendered replies through Telegram or Zalo, mapping failures
to temporary (retry later) or permanent (give up) delivery errors for the outbox worker."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.channels.base import PermanentDeliveryError, TemporaryDeliveryError
from bot.channels.telegram import render as tg_render
from bot.channels.zalo import render as zalo_render
from bot.channels.zalo.client import (
    ZaloBadRequest,
    ZaloClient,
    ZaloError,
    ZaloForbidden,
    ZaloNotFound,
    ZaloRateLimited,
)
from bot.core.models import Reply
from bot.core.ports import OutgoingMessage

log = logging.getLogger(__name__)


def reply_payload(reply: Reply) -> dict[str, Any]:
    """The outbox payload of a reply: kind, text, buttons, citations, ticket_id, urgent."""
    payload = reply.to_dict()
    payload["buttons"] = [{"label": b.label, "action": b.action.value} for b in reply.buttons]
    return payload


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type becomes timedelta in v23
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


class TelegramOutbound:
    """Sends replies as HTML messages with the inline keyboard under the last part."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: OutgoingMessage) -> None:
        await self.send_payload(message.chat_id, reply_payload(message.reply))

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

    async def send_payload(self, chat_id: str, payload: dict[str, Any]) -> None:
        try:
            for part in tg_render.render(payload):
                await self._send_one(chat_id, part)
        except RetryAfter as exc:
            raise TemporaryDeliveryError("telegram: rate limited", _retry_after(exc)) from None
        except (Forbidden, ChatMigrated, BadRequest) as exc:
            raise PermanentDeliveryError(self._describe(exc)) from None
        except TelegramError as exc:  # NetworkError, TimedOut, InvalidToken (fixable config) ...
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

    def __init__(self, client: ZaloClient, *, max_retries: int = 1) -> None:
        self.client = client
        # few in-call retries: the outbox worker owns the long backoff and must not stall on one chat
        self.max_retries = max_retries

    async def send(self, message: OutgoingMessage) -> None:
        await self.send_payload(message.chat_id, reply_payload(message.reply))

    async def send_payload(self, chat_id: str, payload: dict[str, Any]) -> None:
        try:
            for part in zalo_render.render(payload):
                await self.client.send_message(chat_id, part, max_retries=self.max_retries)
        except ZaloRateLimited as exc:
            raise TemporaryDeliveryError(f"zalo: {exc.description}", exc.retry_after) from None
        except (ZaloBadRequest, ZaloForbidden, ZaloNotFound) as exc:
            raise PermanentDeliveryError(f"zalo: {exc.description}") from None
        except ZaloError as exc:  # 5xx, network, 401 (token can be fixed while we wait) ...
            raise TemporaryDeliveryError(f"zalo: {exc.description}") from None

    async def typing(self, chat_id: str) -> None:
        try:
            await self.client.send_chat_action(chat_id, "typing")
        except ZaloError as exc:
            log.debug("zalo typing failed: %s", type(exc).__name__)
