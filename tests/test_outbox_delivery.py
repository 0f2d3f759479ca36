"""Outbox delivery through the real Telegram and Zalo clients: outages, 429, timeouts, permanent
refusals, several workers on one database, graceful shutdown. Nothing lost, nothing sent twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram.request import HTTPXRequest

from bot.channels.base import ChannelAdapter
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.core.models import Channel
from bot.core.payload import OutboxPayload
from bot.runtime.metrics import Metrics
from bot.runtime.workers import WorkerOptions, Workers
from bot.storage.db import Database
from bot.storage.inbox import Inbox
from bot.storage.outbox import Outbox
from bot.storage.queue import Backoff
from tests.auxil import fake_telegram, fake_zalo
from tests.auxil.fake_telegram import FakeTelegram
from tests.auxil.fake_zalo import FakeZalo
from tests.auxil.waiting import await_until

FAST_BACKOFF = Backoff(base=0.2, cap=1.0)


async def make_channels(tg: FakeTelegram, zalo: FakeZalo) -> dict[Channel, ChannelAdapter]:
    channels: dict[Channel, ChannelAdapter] = {
        Channel.TELEGRAM: TelegramChannel(
            fake_telegram.TOKEN,
            f"{tg.base_url}/bot",
            request=HTTPXRequest(read_timeout=0.5, connect_timeout=0.5),
        ),
        Channel.ZALO: ZaloChannel(ZaloClient(fake_zalo.TOKEN, str(zalo.base_url), timeout=0.5)),
    }
    for channel in channels.values():
        await channel.start(None)
    return channels


@asynccontextmanager
async def workers(
    db: Database,
    tg: FakeTelegram,
    zalo: FakeZalo,
    *,
    backoff: Backoff = FAST_BACKOFF,
    name: str = "w1",
) -> AsyncIterator[tuple[Workers, Outbox]]:
    outbox = Outbox(db, backoff=backoff)
    channels = await make_channels(tg, zalo)
    w = Workers(
        inbox=Inbox(db),
        outbox=outbox,
        channels=channels,
        assistant=lambda: None,  # type: ignore[arg-type,return-value]
        enqueue=lambda *a: None,
        notices={},
        metrics=Metrics(),
        options=WorkerOptions(worker_id=name, idle_poll=0.05, drain_timeout=5.0),
    )
    await w.start()
    try:
        yield w, outbox
    finally:
        await w.stop()
        for channel in channels.values():
            await channel.stop()


def payload(text: str) -> OutboxPayload:
    return OutboxPayload(kind="answer", text=text)


def enqueue_many(outbox: Outbox, n_chats: int, per_chat: int) -> list[tuple[str, str, str]]:
    """(channel, chat, text) for `per_chat` messages to `n_chats` chats on each platform."""
    queued = []
    for i in range(per_chat):
        for chat in range(n_chats):
            for channel, chat_id in (("telegram", str(7000 + chat)), ("zalo", f"z-{7000 + chat}")):
                text = f"Tin {i} cho {chat_id}"
                outbox.enqueue(None, channel, chat_id, payload(text))
                queued.append((channel, chat_id, text))
    return queued


def delivered(tg: FakeTelegram, zalo: FakeZalo) -> list[tuple[str, str, str]]:
    return [("telegram", str(p["chat_id"]), str(p["text"])) for p in tg.sent()] + [
        ("zalo", str(p["chat_id"]), str(p["text"])) for p in zalo.sent()
    ]


async def outage_then_everything_delivered(
    db: Database, tg: FakeTelegram, zalo: FakeZalo, seconds: float, backoff: Backoff
) -> None:
    tg.down_for(seconds)
    zalo.down_for(seconds)
    async with workers(db, tg, zalo, backoff=backoff) as (_, outbox):
        queued = enqueue_many(outbox, n_chats=5, per_chat=3)
        deadline = seconds + 30
        assert await tg.wait_until(
            lambda: len(delivered(tg, zalo)) >= len(queued), timeout=deadline
        )
        await await_until(lambda: outbox.backlog() == 0, "every row marked sent")
        assert outbox.counts()["sent"] == len(queued)
    sent = delivered(tg, zalo)
    assert Counter(sent) == Counter(queued)  # every message, exactly once
    for channel, chat in {(c, ch) for c, ch, _ in queued}:  # in order within each chat
        texts = [t for c, ch, t in sent if (c, ch) == (channel, chat)]
        assert texts == sorted(texts)
    assert len(tg.calls_to("sendMessage", ok_only=False)) > len(tg.sent())  # the outage was real


async def test_platform_outage_loses_nothing(
    db: Database, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    await outage_then_everything_delivered(db, *fakes, seconds=3, backoff=FAST_BACKOFF)


@pytest.mark.slow
async def test_thirty_second_outage_loses_nothing(
    db: Database, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    await outage_then_everything_delivered(
        db, *fakes, seconds=30, backoff=Backoff(base=1.0, cap=8.0)
    )


async def test_rate_limit_waits_as_long_as_the_platform_asks(
    db: Database, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    tg.rate_limit_next(1, retry_after=1.5, methods={"sendMessage"})
    async with workers(db, tg, zalo) as (_, outbox):
        outbox.enqueue(None, "telegram", "7100", payload("Chờ một chút"))
        assert await tg.wait_until(lambda: len(tg.sent("7100")) == 1, timeout=10)
    with tg._lock:
        attempts = [c.at for c in tg.calls if c.method == "sendMessage"]
    assert attempts[-1] - attempts[0] >= 1.4


async def test_timeouts_are_retried_and_delivered_once(
    db: Database, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    zalo.hang_next(3, seconds=1.0, methods={"sendMessage"})
    tg.hang_next(2, seconds=1.0, methods={"sendMessage"})
    async with workers(db, tg, zalo) as (_, outbox):
        outbox.enqueue(None, "zalo", "z-7200", payload("Xin chào"))
        outbox.enqueue(None, "telegram", "7200", payload("Xin chào"))
        assert await tg.wait_until(lambda: zalo.sent("z-7200") and tg.sent("7200"), timeout=15)
        await await_until(lambda: outbox.backlog() == 0, "both rows sent: no retry left to come")
    assert len(zalo.sent("z-7200")) == 1 and len(tg.sent("7200")) == 1


async def test_permanent_refusal_is_not_retried_and_others_still_go(
    db: Database, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    tg.fail_next(1, 403, methods={"sendMessage"})  # this citizen blocked the bot
    async with workers(db, tg, zalo) as (_, outbox):
        blocked = outbox.enqueue(None, "telegram", "7300", payload("Không tới được"))
        await tg.wait_until(lambda: len(tg.calls_to("sendMessage", ok_only=False)) >= 1)
        outbox.enqueue(None, "telegram", "7301", payload("Tới được"))
        assert await tg.wait_until(lambda: len(tg.sent("7301")) == 1)
        await await_until(lambda: outbox.backlog() == 0, "no retry of the refused message pending")
        state = outbox.get(blocked)
    assert state is not None and state["status"] == "failed" and state["attempts"] == 1
    assert tg.sent("7300") == []


async def test_two_workers_on_one_database_send_each_message_once(
    db: Database, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    other = Database(db.url)  # a second process would have its own engine and connections
    try:
        outbox = Outbox(db)
        queued = enqueue_many(outbox, n_chats=20, per_chat=2)
        async with workers(db, tg, zalo, name="w1"), workers(other, tg, zalo, name="w2"):
            assert await tg.wait_until(lambda: len(delivered(tg, zalo)) >= len(queued), timeout=30)
            await await_until(lambda: outbox.backlog() == 0, "every row marked sent")
        assert Counter(delivered(tg, zalo)) == Counter(queued)
    finally:
        other.dispose()


async def test_graceful_stop_drains_what_is_due(
    db: Database, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    outbox = Outbox(db, backoff=FAST_BACKOFF)
    channels = await make_channels(tg, zalo)
    w = Workers(
        inbox=Inbox(db),
        outbox=outbox,
        channels=channels,
        assistant=lambda: None,  # type: ignore[arg-type,return-value]
        enqueue=lambda *a: None,
        notices={},
        metrics=Metrics(),
        options=WorkerOptions(
            idle_poll=5.0, drain_timeout=10.0
        ),  # nobody wakes it: only the drain sends
    )
    await w.start()
    # its first look found nothing; it now idles 5 s, so what follows is sent by the drain alone
    await await_until(lambda: w.outbox_looks >= 1, "the outbox worker's first look")
    queued = enqueue_many(outbox, n_chats=5, per_chat=1)
    await w.stop()
    for channel in channels.values():
        await channel.stop()
    assert Counter(delivered(tg, zalo)) == Counter(queued)
