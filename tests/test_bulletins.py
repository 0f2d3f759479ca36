"""Bulletins end to end, on SQLite and PostgreSQL: citizens subscribe with /dangky (and one leaves with
/huydangky) through the webhooks; staff compose, preview and send a bulletin in the desk of the running
app (twice: a double click); `lawbot bulletin send` crashes half-way and is run again; the real
python-telegram-bot and Zalo clients deliver through the outbox to the fake platforms. Each matching
subscriber gets each bulletin once, nobody else gets any, and an over-limit bulletin is refused with
nothing queued."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.adapters.faq_topics import read_topics
from bot.cli.main import app as cli
from bot.desk.auth import Passwords
from bot.storage.db import Database
from bot.storage.outbox import Outbox
from bot.storage.schema import OutboxRecord
from bot.storage.staff import StaffStore
from tests.auxil.app_harness import TG_HEADERS, ZALO_HEADERS, make_settings, running
from tests.auxil.desk import FAST_HASHER, PASSWORD, csrf_of, login
from tests.auxil.fake_telegram import FakeTelegram, private_message
from tests.auxil.fake_zalo import FakeZalo, text_event

FAQ_DIR = Path(__file__).resolve().parents[1] / "knowledge_base" / "faq"
NUMBER = {t.slug: i for i, t in enumerate(read_topics(FAQ_DIR), 1)}
LABOUR, LAND = NUMBER["lao-dong"], NUMBER["dat-dai"]
# Điều 113 khoản 1 điểm a Bộ luật Lao động 45/2019/QH14, in our own words
TITLE = "Nghỉ hằng năm của người lao động"
BODY = (
    "Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động được nghỉ hằng năm, hưởng "
    "nguyên lương theo hợp đồng lao động: 12 ngày làm việc nếu làm công việc trong điều kiện bình thường."
)
CLI_TITLE = "Nghỉ hằng năm khi chưa làm đủ 12 tháng"
# Điều 113 khoản 2
CLI_BODY = (
    "Người lao động làm việc chưa đủ 12 tháng cho một người sử dụng lao động thì số ngày nghỉ hằng năm "
    "tính theo tỷ lệ tương ứng với số tháng làm việc."
)
SECRET = "b" * 40


async def _say(run: Any, channel: str, n: int, user: Any, text: str) -> None:
    if channel == "telegram":
        r = await run.client.post("/webhooks/telegram", json=private_message(n, text, user_id=user), headers=TG_HEADERS)
    else:
        r = await run.client.post("/webhooks/zalo", json=text_event(f"zm-{n}", text, user_id=user), headers=ZALO_HEADERS)
    assert r.status_code == 200


def _count(tg: FakeTelegram, zalo: FakeZalo, channel: str, chat: Any, title: str) -> int:
    texts = tg.sent_texts(chat) if channel == "telegram" else zalo.sent_texts(chat)
    return sum(title in t for t in texts)


def _queued(db: Database) -> int:
    with db.session(readonly=True) as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord).where(OutboxRecord.bulk)) or 0)


@pytest.mark.slow
async def test_bulletins_reach_exactly_the_matching_subscribers_once(
    db: Database, index_dir: Path, fakes: tuple[FakeTelegram, FakeZalo], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tg, zalo = fakes
    StaffStore(db).create("lan@tgpl.vn", Passwords(FAST_HASHER).hash(PASSWORD), "staff", "Lan")
    settings = make_settings(db, index_dir, tg, zalo, faq_dir=FAQ_DIR, session_secret=SecretStr(SECRET),
                             understanding_embedder="none", bulletin_rate_telegram=30.0, bulletin_rate_zalo=50.0)
    # who: tg 7101 labour (menu, then a numbered reply); tg 7102 labour in Tân Phú; zalo zu-7103 labour
    # and land; zalo zu-7104 land only; tg 7105 labour, then /huydangky
    script = [
        ("telegram", 7101, "/dangky"), ("telegram", 7101, f"{LABOUR}"),
        ("telegram", 7102, f"/dangky {LABOUR} xã Tân Phú"),
        ("zalo", "zu-7103", f"/dangky {LABOUR} {LAND}"),
        ("zalo", "zu-7104", f"/dangky {LAND}"),
        ("telegram", 7105, f"/dangky {LABOUR}"), ("telegram", 7105, "/huydangky"),
    ]
    matching = [("telegram", 7101), ("telegram", 7102), ("zalo", "zu-7103")]
    others = [("zalo", "zu-7104"), ("telegram", 7105)]
    async with running(settings, db, with_desk=True) as run:
        for n, (channel, user, text) in enumerate(script, 710_000):
            await _say(run, channel, n, user, text)
            assert await tg.wait_until(lambda: run.rt.inbox.backlog() == 0 and run.rt.outbox.backlog() == 0, 30)
        assert "Đã hủy đăng ký" in tg.sent_texts(7105)[-1]

        # --- the desk: compose, preview, see the reach, send twice
        await login(run.client, "lan@tgpl.vn")
        form = await run.client.get("/staff/bulletins")
        assert form.status_code == 200 and "Lao động" in form.text
        fields = {"csrf_token": csrf_of(form.text), "title": TITLE, "body": BODY, "topic": "lao-dong",
                  "channel": ["telegram", "zalo"], "article_id": "45/2019/QH14::999", "clause": "1"}
        refused = await run.client.post("/staff/bulletins", data=fields)
        assert refused.status_code == 400 and "45/2019/QH14::999" in refused.text  # not in the index
        created = await run.client.post("/staff/bulletins", data={**fields, "article_id": "45/2019/QH14::113"})
        assert created.status_code == 303
        path = urlsplit(created.headers["location"]).path  # /staff/bulletins/<id>
        page = await run.client.get(path)
        assert "Căn cứ: khoản 1 Điều 113 Bộ luật Lao động số 45/2019/QH14." in page.text
        assert "Gõ /huydangky để ngừng nhận tin." in page.text
        assert 'id="reach">Sẽ gửi tới <strong>3</strong>' in page.text
        token = csrf_of(page.text)
        for _ in range(2):  # a double click
            assert (await run.client.post(path + "/send", data={"csrf_token": token})).status_code == 303
        assert await tg.wait_until(lambda: run.rt.outbox.backlog() == 0 and _queued(db) == 3, 30)
        for channel, chat in matching:
            assert _count(tg, zalo, channel, chat, TITLE) == 1, (channel, chat)
        for channel, chat in others:
            assert _count(tg, zalo, channel, chat, TITLE) == 0, (channel, chat)
        [sent] = [t for t in zalo.sent_texts("zu-7103") if TITLE in t]
        assert sent.endswith("Gõ /huydangky để ngừng nhận tin.") and "khoản 1 Điều 113" in sent
        counts = await run.client.get(path)
        assert '<td data-state="sent">3</td>' in counts.text

        # --- the script: over the limit (nothing queued), a crash half-way, then run again
        monkeypatch.setenv("LAWBOT_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("LAWBOT_FAQ_DIR", str(FAQ_DIR))
        long_file = tmp_path / "long.txt"
        long_file.write_text(CLI_TITLE + "\n" + CLI_BODY + " " + "x" * 2000, encoding="utf-8")
        runner = CliRunner()
        over = runner.invoke(cli, ["bulletin", "send", "--topic", "lao-dong", "--text-file", str(long_file)])
        assert over.exit_code == 1 and "quá giới hạn 2000 ký tự của một tin nhắn Zalo" in over.output
        assert _queued(db) == 3

        text_file = tmp_path / "bulletin.txt"
        text_file.write_text(CLI_TITLE + "\n" + CLI_BODY, encoding="utf-8")
        args = ["bulletin", "send", "--topic", "lao-dong", "--text-file", str(text_file)]
        original, calls = Outbox.enqueue, []

        def dies_on_the_second(self: Outbox, *a: Any, **kw: Any) -> int:
            calls.append(1)
            if len(calls) == 2:
                raise ConnectionError("killed")
            return original(self, *a, **kw)

        monkeypatch.setattr(Outbox, "enqueue", dies_on_the_second)
        crashed = runner.invoke(cli, args)
        assert crashed.exit_code != 0 and _queued(db) == 3
        monkeypatch.setattr(Outbox, "enqueue", original)
        dry = runner.invoke(cli, [*args, "--dry-run"])
        assert dry.exit_code == 0 and "would reach 3 subscriber(s)" in dry.output and _queued(db) == 3
        first = runner.invoke(cli, args)
        assert first.exit_code == 0 and "queued 3 new" in first.output, first.output
        again = runner.invoke(cli, args)
        assert again.exit_code == 0 and "queued 0 new" in again.output
        assert await tg.wait_until(lambda: run.rt.outbox.backlog() == 0 and _queued(db) == 6, 30)
        for channel, chat in matching:
            assert _count(tg, zalo, channel, chat, CLI_TITLE) == 1, (channel, chat)
        for channel, chat in others:
            assert _count(tg, zalo, channel, chat, CLI_TITLE) == 0, (channel, chat)
        number = first.output.split("#", 1)[1].split(":", 1)[0]
        status = runner.invoke(cli, ["bulletin", "status", number])
        assert "sent 3" in status.output
