"""What the web layer and the workers need from a channel, and how sending can fail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.channels.events import Event
from bot.core.models import Channel
from bot.core.payload import OutboxPayload

# (parts accepted so far, parts in all) -> None; awaited after each part the platform accepted
PartSent = Callable[[int, int], Awaitable[None]]


class StartupError(RuntimeError):
    """Misconfiguration found while starting (e.g. an invalid bot token): the server must not start."""


class DeliveryError(Exception):
    """Sending an outbox message failed."""

    permanent = False

    def __init__(
        self, message: str, retry_after: float | None = None, *, unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # the request may have reached the platform (timed out waiting for its answer): the part
        # may have been delivered; retrying it risks one duplicate, not retrying risks a loss
        self.unknown = unknown


class TemporaryDeliveryError(DeliveryError):
    """Platform down, rate limited or timed out: try again later."""


class PermanentDeliveryError(DeliveryError):
    """The platform refuses this message for good (user blocked the bot, unknown chat ...)."""

    permanent = True


# Called by pollers for each update: (update key, raw update) -> stored (False = duplicate).
UpdateSink = Callable[[str, dict[str, Any]], Awaitable[bool]]


class ChannelAdapter(Protocol):
    """One messaging platform, as seen by the webhooks, the workers and the app."""

    channel: Channel
    webhook_secret: str | None
    max_chars: int  # the longest answer the core should write for this channel

    def update_key(self, payload: Any) -> str:
        """De-duplication key of a raw update; raises UpdateError if it is not one."""
        ...

    def parse(self, payload: Any) -> Event: ...

    async def start(self, public_url: str | None) -> None:
        """Check the token (StartupError if invalid); set the webhook, or delete it for polling."""
        ...

    async def stop(self) -> None: ...

    async def poll(self, sink: UpdateSink, stopping: asyncio.Event) -> None:
        """Long-poll updates into `sink` until `stopping` is set (polling mode only)."""
        ...

    async def send(
        self,
        chat_id: str,
        payload: OutboxPayload,
        *,
        skip: int = 0,
        progress: PartSent | None = None,
    ) -> None:
        """Send a rendered reply's parts after the first `skip` (a split reply's parts already
        delivered), awaiting `progress(done, total)` after each; raises DeliveryError."""
        ...

    async def typing(self, chat_id: str) -> None:
        """Best effort 'typing…' indicator."""
        ...

    async def ack_button(self, callback_id: str | None) -> None:
        """Stop the button's loading spinner (Telegram); a no-op elsewhere."""
        ...
