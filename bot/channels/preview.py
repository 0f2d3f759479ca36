"""A bulletin as each channel will send it, and whether it fits in one message (Telegram 4,096 UTF-16 units, Zalo 2,000)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.split import utf16_len
from bot.channels.telegram import render as tg_render
from bot.channels.zalo import render as zalo_render
from bot.channels.zalo.client import MAX_TEXT_LENGTH as ZALO_LIMIT
from bot.core.payload import OutboxPayload

TELEGRAM_LIMIT = int(tg_render.MAX_TEXT)
LIMITS = {"telegram": TELEGRAM_LIMIT, "zalo": ZALO_LIMIT}


@dataclass(frozen=True)
class Preview:
    channel: str
    text: str  # what the citizen reads (Telegram: the message without its HTML markup)
    length: int  # as the platform counts it
    limit: int

    @property
    def fits(self) -> bool:
        return self.length <= self.limit


def measure(channel: str, text: str) -> int:
    """Length as the platform counts it: UTF-16 code units on Telegram, characters on Zalo."""
    return utf16_len(text) if channel == "telegram" else len(text)


def preview(channel: str, text: str) -> Preview:
    """The message the channel's renderer produces for this text (the renderer the outbox worker uses)."""
    payload = OutboxPayload.info(text)
    if channel == "telegram":
        parts = [m.plain for m in tg_render.render(payload, limit=10 * TELEGRAM_LIMIT)]
    else:
        parts = zalo_render.render(payload, limit=10 * ZALO_LIMIT)
    shown = "\n\n".join(parts)
    return Preview(channel, shown, measure(channel, shown), LIMITS[channel])


def fits(channel: str, text: str) -> tuple[int, int] | None:
    """None when the text goes as one message on `channel`; else (its length, the limit)."""
    p = preview(channel, text)
    return None if p.fits else (p.length, p.limit)
