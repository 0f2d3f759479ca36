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
CALLBACK_PREFIX = "lb:"  # callback_data = "lb:<action>[:<ref>]", within Telegram's 64-byte limit
CALLBACK_LIMIT = 64


def callback_data(action: ButtonAction, ref: str = "") -> str:
    data = f"{CALLBACK_PREFIX}{action.value}"
    assert len(data.encode()) <= CALLBACK_LIMIT, "Telegram callback_data is limited to 64 bytes"
    with_ref = f"{data}:{ref}"
    # a reference that does not fit is left out: the press is then read against the current state
    return with_ref if ref and len(with_ref.encode()) <= CALLBACK_LIMIT else data


def _callback_parts(data: str | None) -> tuple[str, str | None] | None:
    """(action, ref) of a callback_data of ours; None for anything else."""
    if not data or not data.startswith(CALLBACK_PREFIX):
        return None
    action, _, ref = data[len(CALLBACK_PREFIX) :].partition(":")
    return action, ref or None


def button_action(data: str | None) -> ButtonAction | None:
    """The action of a callback_data we produced; None for anything else (old or forged buttons)."""
    parts = _callback_parts(data)
    try:
        return ButtonAction(parts[0]) if parts else None
    except ValueError:
        return None


def button_ref(data: str | None) -> str | None:
    """The reference a callback_data of ours carries (a quiz question, an offered FAQ entry), if any."""
    parts = _callback_parts(data)
    return parts[1] if parts else None


_INT64 = 2**63  # Telegram ids are 64-bit integers; a longer one could not even be stored


def _int(obj: dict[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not -_INT64 <= value < _INT64:
        raise UpdateError(f"a Telegram update needs a 64-bit integer '{where}'")
    return value


def _object(obj: dict[str, Any], key: str, where: str, *, required: bool = True) -> dict[str, Any]:
    value = obj.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise UpdateError(f"'{where}' must be an object")
    return value


def _check_message(message: dict[str, Any], where: str) -> None:
    """The fields we read; PTB's de_json would otherwise build a Message without a chat."""
    _int(message, "message_id", f"{where}.message_id")
    chat = _object(message, "chat", f"{where}.chat")
    _int(chat, "id", f"{where}.chat.id")
    if not isinstance(chat.get("type"), str):
        raise UpdateError(f"'{where}.chat.type' must be a string")
    sender = _object(message, "from", f"{where}.from", required=False)
    if sender:
        _int(sender, "id", f"{where}.from.id")
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        raise UpdateError(f"'{where}.text' must be a string")


def update_key(payload: Any) -> str:
    """De-duplication key: Telegram retries a webhook with the same update_id."""
    if not isinstance(payload, dict):
        raise UpdateError("a Telegram update must be a JSON object")
    return str(_int(payload, "update_id", "update_id"))


def load_update(payload: Any) -> Update:
    """Validate and deserialize; raises UpdateError with a clear message for wrong shapes or types."""
    update_key(payload)
    for key, value in payload.items():
        if key != "update_id" and not isinstance(value, dict):
            raise UpdateError(f"'{key}' must be an object")
    if "message" in payload:
        _check_message(payload["message"], "message")
    if "callback_query" in payload:
        query = payload["callback_query"]
        _int(_object(query, "from", "callback_query.from"), "id", "callback_query.from.id")
        if query.get("message") is not None:
            _check_message(
                _object(query, "message", "callback_query.message"), "callback_query.message"
            )
    try:
        return Update.de_json(payload, None)
    except Exception as exc:  # any field of any other kind PTB reads: a 400, never a crash
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
        if query.message.chat.type != ChatType.PRIVATE:
            return IgnoredEvent("button outside a private chat")
        return ButtonEvent(
            Channel.TELEGRAM,
            user_id=str(query.from_user.id),
            chat_id=str(query.message.chat.id),
            action=button_action(query.data),
            callback_id=str(query.id),
            ref=button_ref(query.data),
        )
    message = update.message
    if message is None:
        return IgnoredEvent("update kind is not handled")
    if message.chat.type != ChatType.PRIVATE:
        # The bot talks to citizens one to one (groups, supergroups and channels are never answered:
        # a citizen's problem is not for the whole group); it may sit in the staff group to notify.
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
