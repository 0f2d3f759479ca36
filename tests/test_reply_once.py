"""One reply per citizen message, on SQLite and PostgreSQL, through the real app, workers and
channel clients against the fake platforms: a crash right after the answer was recorded, duplicate
updates, two answers racing for one update, a split reply whose second part failed, and a slow
platform."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from telegram.request import HTTPXRequest

from bot.channels.base import ChannelAdapter
from bot.channels.telegram import render as tg_render
from bot.channels.telegram.channel import SEND_TIMEOUT, TelegramChannel, build_bot
from bot.channels.zalo import render as zalo_render
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.core.models import Channel, IncomingMessage, Reply, ReplyKind
from bot.core.payload import OutboxPayload
from bot.runtime.metrics import Metrics
from bot.runtime.workers import WorkerOptions, Workers
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import Database
from bot.storage.inbox import Inbox
from bot.storage.outbox import Outbox
from bot.storage.queue import Backoff
from bot.storage.schema import InboxRecord, Message, OutboxRecord
from tests.auxil import fake_telegram, fake_zalo
from tests.auxil.app_harness import TG_HEADERS, ZALO_HEADERS, make_settings, running
from tests.auxil.fake_telegram import FakeTelegram, private_message
from tests.auxil.fake_zalo import FakeZalo, text_event

QUESTION = "Nghỉ phép hằng năm được mấy ngày?"
FAST = Backoff(base=0.2, cap=1.0)


def count(db: Database, model: type, *where: object) -> int:
    with db.session(readonly=True) as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


# --- storage: the answer and "done" are one transaction ------------------------------------------


def _claimed_update(db: Database, key: str) -> int:
    inbox = Inbox(db)
    assert inbox.accept("telegram", key, {"update_id": int(key)}, chat_key="77", user_key="77")
    [item] = inbox.claim(1, "w1")
    return item.id


def _message(inbox_id: int) -> IncomingMessage:
    return IncomingMessage(Channel.TELEGRAM, "77", "77", QUESTION, "501", inbox_id=inbox_id)


def test_a_second_answer_to_the_same_update_writes_nothing(db: Database) -> None:
    """A worker whose lease ran out finishes the update after another one answered it."""
    store = SqlConversationStore(db)
    inbox_id = _claimed_update(db, "9001")
    state = store.load(Channel.TELEGRAM, "77", "77")
    store.record(_message(inbox_id), Reply(ReplyKind.ANSWER, "Câu trả lời 1"), state)
    with db.session(readonly=True) as s:
        row = s.get(InboxRecord, inbox_id)
        assert row is not None and row.status == "done" and row.payload is None
    store.record(_message(inbox_id), Reply(ReplyKind.ANSWER, "Câu trả lời 2"), state)
    assert count(db, OutboxRecord) == 1
    assert count(db, Message) == 2  # one question, one answer
    [item] = Outbox(db).claim_due(5, "w")
    assert item.payload.text == "Câu trả lời 1"


def test_two_answers_racing_for_one_update_queue_one_reply(db: Database) -> None:
    store = SqlConversationStore(db)
    inbox_id = _claimed_update(db, "9002")
    state = store.load(Channel.TELEGRAM, "77", "77")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def answer(n: int) -> None:
        try:
            barrier.wait()
            store.record(_message(inbox_id), Reply(ReplyKind.ANSWER, f"Trả lời {n}"), state)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(db, OutboxRecord) == 1
    assert count(db, Message, Message.role == "bot") == 1


def test_a_fixed_reply_to_an_update_is_queued_once(db: Database) -> None:
    outbox = Outbox(db)
    inbox_id = _claimed_update(db, "9003")
    notice = OutboxPayload.info("Vui lòng gõ câu hỏi bằng chữ.")
    assert outbox.reply_to_update(inbox_id, "telegram", "77", notice) is True
    assert outbox.reply_to_update(inbox_id, "telegram", "77", notice) is False
    assert count(db, OutboxRecord) == 1
    assert count(db, InboxRecord, InboxRecord.status == "done") == 1


# --- the app: a crash after the answer, duplicate updates -----------------------------------------


class DiesAfterAnswering(Inbox):
    """An inbox whose worker process "dies" once the answer is recorded: it never gets to mark the
    update done or failed itself, and its lease on the update runs out."""

    def done(self, item_id: int) -> bool:
        return False

    def failed(self, item_id: int, error: str, *, retry: bool = True) -> bool | None:
        return None


async def test_crash_between_the_answer_and_inbox_done_gives_no_second_reply_on_restart(
    db: Database, index_dir: Path, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    settings = make_settings(db, index_dir, tg, zalo)
    lease = dt.timedelta(seconds=1)
    users = [6201, 6202, 6203]
    async with running(settings, db, inbox=DiesAfterAnswering(db, lease=lease)) as r:
        for n, user in enumerate(users):
            update = private_message(620_000 + n, QUESTION, user_id=user)
            assert (
                await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
            ).status_code == 200
        update = text_event("zm-6204", QUESTION, user_id="zu-6204")
        assert (
            await r.client.post("/webhooks/zalo", json=update, headers=ZALO_HEADERS)
        ).status_code == 200
        assert await tg.wait_until(
            lambda: all(tg.sent(u) for u in users) and zalo.sent("zu-6204"), 30
        )
    # restarted: the old worker's lease has run out, so anything not marked done is taken again
    inbox = Inbox(db, lease=lease, backoff=FAST)
    async with running(settings, db, inbox=inbox) as r:
        assert await tg.wait_until(lambda: inbox.backlog() == 0 and r.rt.outbox.backlog() == 0, 30)
    assert {u: len(tg.sent(u)) for u in users} == dict.fromkeys(users, 1)
    assert len(zalo.sent("zu-6204")) == 1


async def test_a_duplicate_platform_update_is_answered_once(
    db: Database, index_dir: Path, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    async with running(make_settings(db, index_dir, tg, zalo), db) as r:
        tg_update = private_message(630_001, QUESTION, user_id=6301)
        zalo_update = text_event("zm-6302", QUESTION, user_id="zu-6302")
        for _ in range(3):  # the platform thought our 200 got lost, twice
            assert (
                await r.client.post("/webhooks/telegram", json=tg_update, headers=TG_HEADERS)
            ).status_code == 200
            assert (
                await r.client.post("/webhooks/zalo", json=zalo_update, headers=ZALO_HEADERS)
            ).status_code == 200
        assert await tg.wait_until(lambda: tg.sent(6301) and zalo.sent("zu-6302"), 30)
        # ... and again once it was answered
        assert (
            await r.client.post("/webhooks/telegram", json=tg_update, headers=TG_HEADERS)
        ).status_code == 200
        assert (
            await r.client.post("/webhooks/zalo", json=zalo_update, headers=ZALO_HEADERS)
        ).status_code == 200
        assert await tg.wait_until(lambda: r.rt.inbox.backlog() == 0 and r.rt.outbox.backlog() == 0)
    assert len(tg.sent(6301)) == 1
    assert len(zalo.sent("zu-6302")) == 1


# --- the outbox: split replies and slow platforms ------------------------------------------------


def _channels(tg: FakeTelegram, zalo: FakeZalo, timeout: float) -> dict[Channel, ChannelAdapter]:
    return {
        Channel.TELEGRAM: TelegramChannel(
            fake_telegram.TOKEN,
            f"{tg.base_url}/bot",
            rate_limit=False,
            request=HTTPXRequest(
                connection_pool_size=64,
                read_timeout=timeout,
                write_timeout=timeout,
                connect_timeout=timeout,
            ),
        ),
        Channel.ZALO: ZaloChannel(ZaloClient(fake_zalo.TOKEN, str(zalo.base_url), timeout=timeout)),
    }


@asynccontextmanager
async def outbox_workers(
    db: Database,
    tg: FakeTelegram,
    zalo: FakeZalo,
    *,
    n: int = 1,
    timeout: float = 2.0,
    lease: dt.timedelta = dt.timedelta(seconds=180),
) -> AsyncIterator[Outbox]:
    """`n` outbox workers on one database, like `n` server processes."""
    outbox = Outbox(db, backoff=FAST, lease=lease)
    started: list[tuple[Workers, dict[Channel, ChannelAdapter]]] = []
    try:
        for i in range(n):
            channels = _channels(tg, zalo, timeout)
            for channel in channels.values():
                await channel.start(None)
            w = Workers(
                inbox=Inbox(db),
                outbox=outbox,
                channels=channels,
                assistant=lambda: None,  # type: ignore[arg-type,return-value]
                enqueue=lambda *a: True,
                notices={},
                metrics=Metrics(),
                options=WorkerOptions(worker_id=f"w{i}", idle_poll=0.05, drain_timeout=10.0),
            )
            await w.start()
            started.append((w, channels))
        yield outbox
    finally:
        for w, channels in started:
            await w.stop()
            for channel in channels.values():
                await channel.stop()


def long_reply(tag: str) -> OutboxPayload:
    """Three articles of ~1,500 characters: three parts on Zalo, one or two on Telegram."""
    article = (
        "Điều {n}. Nghỉ hằng năm ({tag})\n" + "Người lao động làm việc đủ 12 tháng được nghỉ. " * 32
    )
    text = "\n".join(article.format(n=n, tag=tag) for n in (111, 112, 113))
    return OutboxPayload(kind="answer", text=text)


def parts(channel: str, payload: OutboxPayload) -> list[str]:
    if channel == "zalo":
        return zalo_render.render(payload)
    return [m.html for m in tg_render.render(payload, limit=2000)]


def sent_texts(channel: str, tg: FakeTelegram, zalo: FakeZalo, chat: str) -> list[str]:
    return tg.sent_texts(chat) if channel == "telegram" else zalo.sent_texts(chat)


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_a_split_reply_whose_second_part_failed_resends_only_that_part(
    db: Database,
    fakes: tuple[FakeTelegram, FakeZalo],
    channel: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tg, zalo = fakes
    # Telegram's 4,096 limit would fit two articles in one message: split as Zalo does
    original = tg_render.render
    monkeypatch.setattr(tg_render, "render", lambda p, limit=2000: original(p, limit))
    fake = tg if channel == "telegram" else zalo
    chat = "6401" if channel == "telegram" else "zu-6401"
    payload = long_reply(channel)
    expected = parts(channel, payload)
    assert len(expected) == 3
    fake.fail_next(1, 502, methods={"sendMessage"}, after=1)
    async with outbox_workers(db, tg, zalo) as outbox:
        outbox.enqueue(None, channel, chat, payload)
        assert await fake.wait_until(lambda: outbox.backlog() == 0, 20)
    assert sent_texts(channel, tg, zalo, chat) == expected
    tried = [str(c["text"]) for c in fake.calls_to("sendMessage", ok_only=False)]
    assert tried == [expected[0], expected[1], expected[1], expected[2]]  # part 1 went once


async def test_a_worker_killed_after_part_one_leaves_only_the_rest_to_send(
    db: Database, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    payload = long_reply("killed")
    expected = zalo_render.render(payload)
    dead = Outbox(db, lease=dt.timedelta(seconds=0.5))
    row_id = dead.enqueue(None, "zalo", "zu-6501", payload)
    [item] = dead.claim_due(1, "dead-worker")
    async with ZaloClient(fake_zalo.TOKEN, str(zalo.base_url)) as client:
        await client.send_message("zu-6501", expected[0])
    dead.part_sent(item.id, 1)  # ... and then kill -9: no sent(), no retry()
    async with outbox_workers(db, tg, zalo, lease=dt.timedelta(seconds=0.5)):
        assert await zalo.wait_until(lambda: Outbox(db).get(row_id)["status"] == "sent", 20)  # type: ignore[index]
    assert zalo.sent_texts("zu-6501") == expected


async def test_a_slow_platform_gets_each_message_once(
    db: Database, fakes: tuple[FakeTelegram, FakeZalo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both platforms answer each send late (20 s in the fault runs, scaled down here with the
    timeouts in the production ratio 20 : 60); two workers share the outbox."""
    tg, zalo = fakes
    delay = 0.6
    timeout = delay * SEND_TIMEOUT / 20.0
    original = tg_render.render
    monkeypatch.setattr(tg_render, "render", lambda p, limit=2000: original(p, limit))
    tg.slow(delay, methods={"sendMessage"})
    zalo.slow(delay, methods={"sendMessage"})
    queued: dict[tuple[str, str], list[str]] = {}
    async with outbox_workers(db, tg, zalo, n=2, timeout=timeout) as outbox:
        for i in range(12):
            for channel, chat in (("telegram", str(6600 + i)), ("zalo", f"zu-{6600 + i}")):
                payload = long_reply(f"{i}") if i % 3 == 0 else OutboxPayload.info(f"Tin {i}")
                outbox.enqueue(None, channel, chat, payload)
                queued[(channel, chat)] = parts(channel, payload)
        assert await tg.wait_until(lambda: outbox.backlog() == 0, 60)
    got = {(ch, chat): sent_texts(ch, tg, zalo, chat) for ch, chat in queued}
    assert got == queued
    calls = len(tg.calls_to("sendMessage", ok_only=False)) + len(
        zalo.calls_to("sendMessage", ok_only=False)
    )
    assert calls == sum(len(p) for p in queued.values())  # not one retry


def test_production_timeouts_outlast_a_twenty_second_platform_and_the_lease_outlasts_them() -> None:
    """A send that times out has an unknown outcome and is retried: with a platform answering
    after 20 s the client must still be waiting, and no second worker may take the row over."""
    zalo_client = ZaloClient(fake_zalo.TOKEN)
    bot = build_bot(fake_telegram.TOKEN, "http://127.0.0.1:9/bot")
    request = bot._request[1]  # the request object of ordinary calls (not getUpdates)
    read_timeout = request._client.timeout.read  # type: ignore[attr-defined]
    lease = Outbox(Database("sqlite://")).lease.total_seconds()
    assert zalo_client._timeout >= 40 and read_timeout >= 40
    assert lease > 2 * max(zalo_client._timeout, read_timeout)
    asyncio.run(zalo_client.aclose())
