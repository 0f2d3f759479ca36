"""Bulk sends are spread out per channel: N a second on each, channels independent, no rate = no wait."""

from __future__ import annotations

import asyncio

from bot.runtime.pacing import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))


async def test_concurrent_bulk_sends_get_consecutive_slots_per_channel() -> None:
    t = FakeTime()
    pacer = Pacer({"zalo": 10.0, "telegram": 20.0}, clock=t.clock, sleep=t.sleep)
    await asyncio.gather(*(pacer.wait("zalo") for _ in range(4)))
    assert t.slept == [0.1, 0.2, 0.3]  # the first goes at once
    t.slept.clear()
    await asyncio.gather(*(pacer.wait("telegram") for _ in range(3)))
    assert t.slept == [0.05, 0.1]
    t.slept.clear()
    t.now += 10  # idle for a while: no debt, no burst credit either
    await pacer.wait("zalo")
    await pacer.wait("zalo")
    assert t.slept == [0.1]


async def test_a_channel_without_a_rate_is_not_paced() -> None:
    t = FakeTime()
    pacer = Pacer({"telegram": 0.0}, clock=t.clock, sleep=t.sleep)
    for channel in ("telegram", "telegram", "zalo", "zalo"):
        await pacer.wait(channel)
    assert t.slept == []
