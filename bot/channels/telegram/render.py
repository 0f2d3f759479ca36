"""Rendered reply (outbox payload) -> Telegram HTML messages, with the inline keyboard under the last one."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot.channels.split import split_text, utf16_len
from bot.channels.telegram.parse import callback_data
from bot.core.models import ButtonAction
from bot.core.payload import OutboxPayload

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted after entity parsing


@dataclass(frozen=True)
class TelegramMessage:
    html: str  # parse_mode=HTML
    plain: str  # the same text without markup (fallback if Telegram rejects the HTML)
    keyboard: InlineKeyboardMarkup | None = None


def keyboard(buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """One row of inline buttons; unknown actions are dropped."""
    row = []
    for b in buttons:
        try:
            action = ButtonAction(str(b.get("action")))
        except ValueError:
            continue
        label = str(b.get("label") or action.value)
        row.append(InlineKeyboardButton(label, callback_data=callback_data(action, str(b.get("ref") or ""))))
    return InlineKeyboardMarkup([row]) if row else None


def to_html(text: str, labels: list[str]) -> str:
    """Escape everything (citizen text may contain < & >), then bold the citation labels."""
    out = html.escape(text, quote=False)
    for label in sorted({lb for lb in labels if lb}, key=len, reverse=True):
        escaped = html.escape(label, quote=False)
        # only whole, not-yet-bold occurrences; a shorter label inside a longer one is skipped
        if escaped in out and f"<b>{escaped}</b>" not in out:
            out = out.replace(escaped, f"<b>{escaped}</b>")
    return out


def render(payload: OutboxPayload, limit: int = MAX_TEXT) -> list[TelegramMessage]:
    """Split the reply on article boundaries under Telegram's limit; keyboard under the last part."""
    text = payload.text.strip()
    labels = [str(c.get("label") or "") for c in payload.citations]
    markup = keyboard(payload.buttons)
    parts = split_text(text, limit, measure=utf16_len) if text else []
    if not parts:
        return []
    messages = [TelegramMessage(to_html(p, labels), p) for p in parts]
    last = messages[-1]
    messages[-1] = TelegramMessage(last.html, last.plain, markup)
    return messages
