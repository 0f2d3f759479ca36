"""Zalo Bot Platform update (webhook body or getUpdates result, wrapped or flat) -> event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.channels.events import (
    Event,
    IgnoredEvent,
    Notice,
    NoticeEvent,
    TextEvent,
    UpdateError,
)
from bot.core.models import Channel, IncomingMessage

TEXT = "message.text.received"
UNSUPPORTED = "message.unsupported.received"  # the sender is in a protected group (e.g. a child)
NOT_TEXT = frozenset(
    {
        "message.image.received",
        "message.sticker.received",
        "message.audio.received",
        "message.video.received",
        "message.file.received",
        "message.location.received",
        "message.link.received",
        "message.gif.received",
    }
)


def unwrap(payload: Any) -> dict[str, Any]:
    """Accept `{"ok": true, "result": {...}}` as well as the flat update; check the shape."""
    if not isinstance(payload, dict):
        raise UpdateError("a Zalo update must be a JSON object")
    if "event_name" not in payload and isinstance(payload.get("result"), dict):
        if payload.get("ok") is False:
            raise UpdateError("the wrapped Zalo update has ok=false")
        payload = payload["result"]
    event_name = payload.get("event_name")
    if not isinstance(event_name, str) or not event_name:
        raise UpdateError("a Zalo update needs a string 'event_name'")
    message = payload.get("message")
    if not isinstance(message, dict):
        raise UpdateError("a Zalo update needs a 'message' object")
    _id(message, "message_id", "message.message_id")
    for key in ("from", "chat"):
        part = message.get(key)
        if not isinstance(part, dict):
            raise UpdateError(f"a Zalo update needs a 'message.{key}' object")
        _id(part, "id", f"message.{key}.id")
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        raise UpdateError("'message.text' must be a string")
    date = message.get("date")
    if date is not None and (isinstance(date, bool) or not isinstance(date, int | float | str)):
        raise UpdateError("'message.date' must be a number of milliseconds")
    return payload


MAX_ID = 128  # the inbox's key columns; a longer id could never be stored (503 on every retry)


def _id(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise UpdateError(f"a Zalo update needs a non-empty '{where}' (string or integer)")
    text = str(value) if isinstance(value, str) or abs(value) < 10**MAX_ID else ""
    if not text or len(text) > MAX_ID or not text.isprintable():
        # PostgreSQL text refuses NUL; control characters are no part of a platform id
        raise UpdateError(f"'{where}' must be at most {MAX_ID} printable characters")
    return text


def update_key(payload: Any) -> str:
    """De-duplication key: Zalo updates have no update_id, so the message_id."""
    return _id(unwrap(payload)["message"], "message_id", "message.message_id")


def _time(raw: Any) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(float(raw) / 1000.0, tz=dt.UTC)  # Zalo dates are in ms
    except (TypeError, ValueError, OverflowError, OSError):
        return dt.datetime.now(dt.UTC)


def parse_update(payload: Any) -> Event:
    """Turn one Zalo update into the event the inbox worker handles; raises UpdateError if malformed."""
    update = unwrap(payload)
    event_name: str = update["event_name"]
    message = update["message"]
    sender, chat = message["from"], message["chat"]
    user_id, chat_id = str(sender["id"]), str(chat["id"])
    if sender.get("is_bot") is True:
        return IgnoredEvent("message from a bot")
    chat_type = chat.get("chat_type")
    if isinstance(chat_type, str) and chat_type.upper() != "PRIVATE":
        # a group: citizens' problems (and the bot's answers about them) are not for the whole group
        return IgnoredEvent(f"{chat_type.lower()} chat")
    if event_name == UNSUPPORTED:
        return NoticeEvent(Channel.ZALO, user_id, chat_id, Notice.PROTECTED_USER)
    if event_name in NOT_TEXT:
        return NoticeEvent(Channel.ZALO, user_id, chat_id, Notice.NOT_TEXT)
    if event_name != TEXT:
        return IgnoredEvent(f"event {event_name!r} is not handled")
    text = (message.get("text") or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL
    if not text:
        return NoticeEvent(Channel.ZALO, user_id, chat_id, Notice.NOT_TEXT)
    name = sender.get("display_name")
    return TextEvent(
        IncomingMessage(
            channel=Channel.ZALO,
            user_id=user_id,
            chat_id=chat_id,
            text=text,
            message_id=str(message["message_id"]),
            time=_time(message.get("date")),
            display_name=name if isinstance(name, str) else None,
        )
    )
