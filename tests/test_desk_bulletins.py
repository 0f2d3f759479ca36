"""The desk's bulletin pages: what staff must fix before a draft is saved, the preview per channel with
its length, the citation label from the index, and an over-limit bulletin refused with nothing queued."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa

from bot.core.models import Channel
from bot.desk import texts
from bot.storage.db import Database
from bot.storage.schema import OutboxRecord
from bot.storage.subscriptions import SqlSubscriptionStore
from tests.auxil.desk import csrf_of, login, make_harness

FAQ_DIR = Path(__file__).resolve().parents[1] / "knowledge_base" / "faq"
BODY = (
    "Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động được nghỉ hằng năm, hưởng "
    "nguyên lương: 12 ngày làm việc với công việc trong điều kiện bình thường."
)


def outbox_rows(db: Database) -> int:
    with db.session(readonly=True) as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord)) or 0)


async def test_compose_preview_and_an_over_limit_send_refused(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path, faq_dir=FAQ_DIR)
    h.add_staff("lan@tgpl.vn")
    subs = SqlSubscriptionStore(db)
    subs.subscribe(Channel.TELEGRAM, "11", "11", ["lao-dong"], None)
    subs.subscribe(Channel.ZALO, "z1", "z1", ["lao-dong"], None)
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        page = await c.get("/staff/bulletins")
        assert page.status_code == 200 and "Bảo hiểm thất nghiệp" in page.text
        token = csrf_of(page.text)
        base = {"csrf_token": token, "title": "Nghỉ hằng năm", "body": BODY, "topic": "lao-dong",
                "channel": ["telegram", "zalo"]}

        missing = await c.post("/staff/bulletins", data={**base, "topic": []})
        assert missing.status_code == 400 and texts.BULLETIN_PROBLEM["topics"] in missing.text
        personal = await c.post("/staff/bulletins", data={**base, "body": BODY + " Gọi 0912345678."})
        assert personal.status_code == 400 and "thông tin cá nhân" in personal.text

        cited = await c.post("/staff/bulletins", data={**base, "article_id": "20.2.LQ.113", "clause": "1"})
        assert cited.status_code == 303
        view = await c.get(urlsplit(cited.headers["location"]).path)
        assert "Căn cứ: khoản 1 Điều 113 Bộ luật Lao động số 45/2019/QH14." in view.text
        assert 'data-channel="zalo"' in view.text and 'data-channel="telegram"' in view.text

        long = await c.post("/staff/bulletins", data={**base, "body": BODY + "\n" + "Chi tiết. " * 250})
        assert long.status_code == 303  # a draft may be long: the preview says so, sending is refused
        path = urlsplit(long.headers["location"]).path
        view = await c.get(path)
        assert "quá giới hạn, không gửi được" in view.text
        assert 'class="primary" disabled' in view.text
        refused = await c.post(path + "/send", data={"csrf_token": token})
        assert refused.status_code == 400
        assert "quá giới hạn 2000 ký tự của một tin nhắn Zalo" in refused.text and "Chưa gửi cho ai" in refused.text
        assert outbox_rows(db) == 0

        edited = await c.post(path, data={**base, "body": BODY + "\n" + "Chi tiết. " * 250, "channel": ["telegram"]})
        assert edited.status_code == 303
        sent = await c.post(path + "/send", data={"csrf_token": token})
        assert sent.status_code == 303 and outbox_rows(db) == 1  # Telegram's 4,096 fit it
        again = await c.post(path, data=base)
        assert again.status_code == 303 and "bulletin_sent_already" in again.headers["location"]
        listing = await c.get("/staff/bulletins")
        assert "Nghỉ hằng năm" in listing.text and "Đã xếp gửi" in listing.text
