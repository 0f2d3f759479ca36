"""Telegram update JSON -> event (via python-telegram-bot's `Update.de_json`); de-dup key = update_id."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from bot.channels.events import (
    ButtonEvent,
    Event,
    IgnoredEvent,
    Notice,
    NoticeEvent,
    TextEvent,
    UpdateError,
)
from bot.core.models import ButtonAction, Channel, IncomingMessage

_COMMAND_MENTION = re.compile(r"^(/[A-Za-z0-9_]+)@[A-Za-z0-9_]+\b")  # "/canbo@lawbot" -> "/canbo"
CALLBACK_PREFIX = "lb:"  # callback_data = "lb:<action>", far below Telegram's 64-byte limit


def callback_data(action: ButtonAction) -> str:
    data = f"{CALLBACK_PREFIX}{action.value}"
    assert len(data.encode()) <= 64, "Telegram callback_data is limited to 64 bytes"
    return data


def button_action(data: str | None) -> ButtonAction | None:
    """The action of a callback_data we produced; None for anything else (old or forged buttons)."""
    if not data or not data.startswith(CALLBACK_PREFIX):
        return None
    try:
        return ButtonAction(data[len(CALLBACK_PREFIX) :])
    except ValueError:
        return None


def update_key(payload: Any) -> str:
    """De-duplication key: Telegram retries a webhook with the same update_id."""
    if not isinstance(payload, dict):
        raise UpdateError("a Telegram update must be a JSON object")
    update_id = payload.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        raise UpdateError("a Telegram update needs an integer 'update_id'")
    return str(update_id)


def load_update(payload: Any) -> Update:
    """Validate and deserialize; raises UpdateError with a clear message for wrong shapes or types."""
    update_key(payload)
    for key, value in payload.items():
        if key != "update_id" and not isinstance(value, dict):
            raise UpdateError(f"'{key}' must be an object")
    try:
        return Update.de_json(payload, None)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise UpdateError(f"not a valid Telegram update ({type(exc).__name__}: {exc})") from None


def _name(user: Any) -> str | None:
    if user is None:
        return None
    return " ".join(p for p in (user.first_name, user.last_name) if p) or None


def parse_update(payload: Any) -> Event:
    """Turn one Telegram update into the event the inbox worker handles."""
    update = load_update(payload)
    query = update.callback_query
    if query is not None:
        if query.message is None or query.from_user is None:
            return IgnoredEvent("callback query without a chat")
        return ButtonEvent(
            Channel.TELEGRAM,
            user_id=str(query.from_user.id),
            chat_id=str(query.message.chat.id),
            action=button_action(query.data),
            callback_id=str(query.id),
        )
    message = update.message
    if message is None:
        return IgnoredEvent("update kind is not handled")
    if message.chat.type != ChatType.PRIVATE:
        # The bot talks to citizens one to one; it may sit in the staff group for notifications.
        return IgnoredEvent("message outside a private chat")
    user = message.from_user
    if user is None or user.is_bot:
        return IgnoredEvent("message without a human sender")
    text = (message.text or "").replace("\x00", "").strip()  # PostgreSQL text refuses NUL
    if not text:
        return NoticeEvent(Channel.TELEGRAM, str(user.id), str(message.chat.id), Notice.NOT_TEXT)
    text = _COMMAND_MENTION.sub(r"\1", text)
    return TextEvent(
        IncomingMessage(
            channel=Channel.TELEGRAM,
            user_id=str(user.id),
            chat_id=str(message.chat.id),
            text=text,
            message_id=str(message.message_id),
            time=message.date,
            display_name=_name(user),
        )
    )
