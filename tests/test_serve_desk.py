"""The app `lawbot serve` runs mounts the staff desk, whose article pages read the serving index."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from bot.desk.auth import Passwords
from bot.storage.db import Database
from bot.storage.schema import Ticket
from bot.storage.staff import StaffStore
from tests.auxil.app_harness import TG_HEADERS, make_settings, running
from tests.auxil.desk import PASSWORD, login
from tests.auxil.fake_telegram import FakeTelegram, private_message
from tests.auxil.mini_index import build_mini_index
from tests.auxil.waiting import await_until

SECRET = "s" * 40


@pytest.mark.parametrize("answer_processes", [0, 1])  # 1: answers (and articles) from a child
async def test_served_desk_shows_the_ticket_and_the_article_it_cited(
    tmp_path: Path, answer_processes: int
) -> None:
    db = Database(f"sqlite:///{tmp_path}/lawbot.sqlite3")
    db.migrate()
    build_mini_index(tmp_path / "index")
    StaffStore(db).create("lan@tgpl.vn", Passwords().hash(PASSWORD), "staff", "Nguyễn Lan")
    tg = FakeTelegram()
    with tg.running():
        settings = make_settings(
            db, tmp_path / "index", tg, None, session_secret=SecretStr(SECRET), faq_dir=tmp_path / "faq"
        )
        async with running(settings, db, with_desk=True, answer_processes=answer_processes) as run:
            for update_id, text in ((1, "thử việc tối đa bao lâu vậy"), (2, "/canbo")):
                r = await run.client.post(
                    "/webhooks/telegram", json=private_message(update_id, text), headers=TG_HEADERS
                )
                assert r.status_code == 200

            def first_ticket() -> int | None:
                with db.session(readonly=True) as s:
                    return s.scalars(sa.select(Ticket.id)).first()

            ticket_id = await await_until(first_ticket, "/canbo to open a ticket")

            assert (await run.client.get("/staff/tickets/1")).status_code in (302, 303)  # login first
            r = await login(run.client, "lan@tgpl.vn")
            assert r.status_code in (302, 303)
            page = await run.client.get(f"/staff/tickets/{ticket_id}")
            assert page.status_code == 200
            assert "thử việc tối đa bao lâu vậy" in page.text
            article = await run.client.get("/staff/article", params={"id": "45/2019/QH14::25"})
            assert article.status_code == 200
            assert "Thời gian thử việc" in article.text
            assert (await run.client.get("/staff/article", params={"id": "../../etc/passwd"})).status_code == 404
