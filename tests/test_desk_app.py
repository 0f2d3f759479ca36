"""The desk inside the real app: a citizen's message arrives by webhook, is escalated, shows escaped
on the ticket page, and the staff reply reaches the citizen's Telegram chat through the outbox worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.desk import build_desk
from bot.storage.db import Database
from bot.storage.schema import Ticket
from tests.auxil.app_harness import TG_HEADERS, make_settings, running
from tests.auxil.desk import FAST_HASHER, PASSWORD, SECRET, article_lookup, csrf_of
from tests.auxil.fake_telegram import FakeTelegram, check_html, private_message
from tests.auxil.waiting import await_until

XSS = "<script>alert(1)</script> Công ty nợ lương tôi 3 tháng"


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    tg = FakeTelegram()
    with tg.running():
        yield tg


async def test_webhook_to_desk_to_citizen(
    db: Database, index_dir: Path, telegram: FakeTelegram, tmp_path: Path
) -> None:
    telegram.up()
    telegram.calls.clear()
    from pydantic import SecretStr

    settings = make_settings(
        db, index_dir, telegram, None, session_secret=SecretStr(SECRET), faq_dir=tmp_path / "faq"
    )
    desk = build_desk(
        db, settings=settings, article_lookup=article_lookup, password_hasher=FAST_HASHER
    )
    from bot.desk.auth import Passwords
    from bot.storage.staff import StaffStore

    StaffStore(db).create("lan@tgpl.vn", Passwords(FAST_HASHER).hash(PASSWORD), "staff")
    async with running(settings, db, desk_app=desk) as r:
        for update_id, text in ((41, XSS), (42, "/canbo")):
            response = await r.client.post(
                "/webhooks/telegram",
                json=private_message(update_id, text, user_id=777),
                headers=TG_HEADERS,
            )
            assert response.status_code == 200
        assert await telegram.wait_until(lambda: len(telegram.sent(777)) == 2)
        with db.session(readonly=True) as s:
            [ticket_id] = s.scalars(sa.select(Ticket.id)).all()

        client = r.client
        form = await client.get("/staff/login")
        await client.post(
            "/staff/login",
            data={"email": "lan@tgpl.vn", "password": PASSWORD, "next": "/",
                  "csrf_token": csrf_of(form.text)},
        )
        page = await client.get(f"/staff/tickets/{ticket_id}")
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Công ty nợ lương tôi 3 tháng" in page.text
        reply = "Chào bạn, mình là cán bộ trợ giúp pháp lý. Bạn giữ lại bảng lương nhé <3"
        sent = await client.post(
            f"/staff/tickets/{ticket_id}/reply",
            data={"csrf_token": csrf_of(page.text), "text": reply},
        )
        assert sent.status_code == 303
        r.rt.workers.wake_outbox()
        assert await telegram.wait_until(lambda: len(telegram.sent(777)) == 3)
        # sent as Telegram HTML, escaped: what the citizen reads is exactly what staff wrote
        assert check_html(telegram.sent_texts(777)[-1]) == reply
        # the platform has the message a moment before the worker records it as sent

        async def page_once_sent() -> str:
            text = (await client.get(f"/staff/tickets/{ticket_id}")).text
            return text if "Đã gửi" in text else ""

        await await_until(page_once_sent, "the ticket page to show the reply as sent", interval=0.05)
