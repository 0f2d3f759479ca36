"""The event loop never blocks: while a desk article lookup or an answer waits, webhooks are still
acknowledged at once and other pages still load."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.desk import build_desk
from bot.desk.auth import Passwords
from bot.storage.db import Database
from bot.storage.staff import StaffStore
from tests.auxil.app_harness import TG_HEADERS, make_settings, running
from tests.auxil.desk import ARTICLES, FAST_HASHER, PASSWORD, SECRET, login, make_harness
from tests.auxil.fake_telegram import FakeTelegram, private_message
from tests.auxil.mini_index import build_mini_index
from tests.auxil.waiting import await_until

HELD_FOR = 5.0  # the longest the fake index holds a lookup if the test never releases it
FAST_ACK = 0.5


class HeldIndex:
    """The index at the desk's boundary, holding every lookup until the test lets it go."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.returned = threading.Event()

    def __call__(self, article_id: str) -> dict[str, Any] | None:
        self.entered.set()
        self.release.wait(HELD_FOR)
        self.returned.set()
        return ARTICLES.get(article_id)


async def test_webhooks_are_acknowledged_while_a_desk_article_lookup_is_slow(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path}/lawbot.sqlite3")
    db.migrate()
    index_dir = tmp_path / "index"
    build_mini_index(index_dir)
    StaffStore(db).create("lan@tgpl.vn", Passwords(FAST_HASHER).hash(PASSWORD), "staff")
    held = HeldIndex()
    tg = FakeTelegram()
    with tg.running():
        settings = make_settings(
            db, index_dir, tg, None, session_secret=SecretStr(SECRET), faq_dir=tmp_path / "faq"
        )
        desk = build_desk(db, settings=settings, article_lookup=held, password_hasher=FAST_HASHER)
        helper = make_harness(db, tmp_path)  # opens a ticket citing an article of the index
        ticket_id = helper.open_ticket(sources=[("20.2.LQ.113", 0.7)])
        async with running(settings, db, desk_app=desk) as r:
            assert (await login(r.client, "lan@tgpl.vn")).status_code == 303
            ticket_page = asyncio.create_task(r.client.get(f"/staff/tickets/{ticket_id}"))
            try:
                await await_until(
                    held.entered.is_set, "the desk to enter the slow lookup", timeout=HELD_FOR
                )
                started = time.monotonic()
                ack = await r.client.post(
                    "/webhooks/telegram", json=private_message(501, "xin chào"), headers=TG_HEADERS
                )
                elapsed = time.monotonic() - started
                badge = await r.client.get("/staff/api/badge")  # another desk page, same worker
                # the lookup is still held: the loop served the others while it waited
                assert not held.returned.is_set()
                assert ack.status_code == 200 and badge.status_code == 200
                assert elapsed < FAST_ACK, f"webhook acknowledged after {elapsed:.2f} s"
            finally:
                held.release.set()
            page = await ticket_page
            assert page.status_code == 200
            assert "Nghỉ hằng năm" in page.text
    db.dispose()


def test_looking_an_article_up_on_the_event_loop_is_refused(db: Database, tmp_path: Path) -> None:
    """A route added later that forgets `await desk.run(...)` fails in tests, not in production."""
    desk = make_harness(db, tmp_path).app.routes[0].app.state.desk  # type: ignore[attr-defined]

    async def on_the_loop() -> None:
        desk.lookup_article("20.2.LQ.113")

    with pytest.raises(RuntimeError, match=r"desk\.run"):
        asyncio.run(on_the_loop())
    assert desk.lookup_article("20.2.LQ.113")["title"] == "Nghỉ hằng năm"  # from a thread: fine


class HeldAssistant:
    """An assistant whose answers wait until the test lets them go (a slow answer process, say)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.answered: list[str] = []

    def handle(self, msg: Any, max_chars: int) -> Any:
        from bot.core.models import Reply, ReplyKind

        self.entered.set()
        self.answered.append(msg.text)
        self.release.wait(HELD_FOR)
        return Reply(ReplyKind.ANSWER, "Trả lời chậm.")

    def handle_button(self, *args: Any, **kwargs: Any) -> Any:
        return self.handle(None, 0)


async def test_webhooks_are_acknowledged_while_an_answer_is_slow(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/lawbot.sqlite3")
    db.migrate()
    held = HeldAssistant()
    tg = FakeTelegram()
    with tg.running():
        settings = make_settings(db, tmp_path / "index", tg, None, faq_dir=tmp_path / "faq")
        async with running(settings, db, assistant=held) as r:
            first = await r.client.post(
                "/webhooks/telegram",
                json=private_message(601, "câu hỏi thứ nhất"),
                headers=TG_HEADERS,
            )
            assert first.status_code == 200
            try:
                await await_until(
                    held.entered.is_set, "the answer to enter the slow lookup", timeout=HELD_FOR
                )  # the worker is inside the slow answer
                started = time.monotonic()
                acks = [
                    await r.client.post(
                        "/webhooks/telegram",
                        json=private_message(602 + i, f"câu {i}"),
                        headers=TG_HEADERS,
                    )
                    for i in range(5)
                ]
                elapsed = time.monotonic() - started
                assert all(a.status_code == 200 for a in acks)
                assert elapsed < FAST_ACK * 2, f"5 webhooks acknowledged after {elapsed:.2f} s"
                assert (await r.client.get("/healthz")).status_code in (
                    200,
                    503,
                )  # the loop answers
            finally:
                held.release.set()
            # nothing was lost while the loop kept acknowledging: every message reaches the assistant once
            await await_until(lambda: len(held.answered) >= 6, "six answers", timeout=20)
            assert sorted(held.answered) == sorted(
                ["câu hỏi thứ nhất", *(f"câu {i}" for i in range(5))]
            )
    db.dispose()
