"""Per-channel pacing of bulk sends (bulletins): at most N message starts per second on each channel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping


class Pacer:
    """Spreads bulk sends out in time, per channel, within one process.

    Telegram allows about 30 messages a second overall (python-telegram-bot's AIORateLimiter keeps
    to that for every call); a bulletin is held to a lower rate so that answers to citizens still
    get through. Zalo's Bot API publishes no rate, answers 429 when over its quota: the default is
    conservative. With N server processes the platform sees up to N times the rate.
    """

    def __init__(
        self,
        per_second: Mapping[str, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.per_second = dict(per_second)
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        """Return when the next bulk send on `channel` may start (at once when it has no rate)."""
        rate = self.per_second.get(channel) or 0.0
        if rate <= 0:
            return
        now = self.clock()
        slot = max(now, self._next.get(channel, now))
        # reserved before sleeping: concurrent senders get consecutive slots, never the same one
        self._next[channel] = slot + 1.0 / rate
        if slot > now:
            await self.sleep(slot - now)
