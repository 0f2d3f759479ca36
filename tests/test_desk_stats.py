"""Statistics page and CSV export: counts by day/week/topic/channel/outcome, 👍/👎, time to first staff
reply, content gaps, SVG charts, date range; exports mask phone and CCCD numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from bot.core.models import Channel, ReplyKind
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import Database
from bot.storage.tickets import SqlTicketStore
from tests.auxil.desk import Clock, login, make_harness
from tests.auxil.desk_seed import escalate, record_turn

VN = dt.timezone(dt.timedelta(hours=7))
NOON = dt.datetime(2025, 3, 10, 12, 0, tzinfo=VN)  # a Monday
PHONE_Q = "Tôi là Lan, số 0912 345 678, CCCD 001234567890, bị nợ lương thì sao?"


def _seed(db: Database, staff_id: int) -> None:
    for day in range(3):
        when = NOON + dt.timedelta(days=day)
        for i in range(day + 1):
            record_turn(db, f"Hỏi về lương {day}-{i}", "Theo Điều 94 ...", user=f"t{day}{i}", when=when)
        record_turn(
            db, "Ly hôn cần giấy tờ gì", "...", user=f"z{day}", channel=Channel.ZALO,
            topic="Hôn nhân và gia đình", when=when,
        )
    record_turn(db, "Hỏi ngoài phạm vi", "Xin lỗi", ReplyKind.REFUSED, user="r1", sources=(), when=NOON)
    # low-confidence answers (content gaps), the same question three times, with personal numbers
    for i in range(3):
        record_turn(db, PHONE_Q, "Có thể...", user=f"g{i}", sources=(("20.2.LQ.94", 0.2),), when=NOON)
    # 👍 on two answers, 👎 on one
    conversations = SqlConversationStore(db, clock=lambda: NOON)
    conversations.record_feedback(Channel.TELEGRAM, "t00", "t00", True)
    conversations.record_feedback(Channel.TELEGRAM, "t10", "t10", True)
    conversations.record_feedback(Channel.TELEGRAM, "t11", "t11", False)
    # two escalations answered by staff after 30 and 90 minutes, one in the next week
    first = escalate(db, "Bị đánh, cần giúp =HYPERLINK(\"x\")", urgency="urgent", user="e1", when=NOON)
    second = escalate(db, "Tranh chấp đất", user="e2", when=NOON)
    escalate(db, "Tuần sau", user="e3", when=NOON + dt.timedelta(days=7))
    SqlTicketStore(db, clock=lambda: NOON + dt.timedelta(minutes=30)).reply(first, staff_id, "Chào chị")
    SqlTicketStore(db, clock=lambda: NOON + dt.timedelta(minutes=90)).reply(second, staff_id, "Chào anh")


async def test_stats_page_shows_the_figures_and_charts(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path, clock=Clock(NOON.astimezone(dt.UTC) + dt.timedelta(days=2)))
    _seed(db, h.add_staff("lan@tgpl.vn"))
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        page = await c.get("/staff/stats?start=2025-03-10&end=2025-03-12")
        assert page.status_code == 200
        text = page.text
        assert "Thống kê 10/03/2025 – 12/03/2025" in text
        # 6 labour questions + 3 divorce + 1 refused + 3 low-confidence + 2 escalations = 15
        assert '<span class="kpi">15</span><span>câu hỏi</span>' in text
        assert '<span class="kpi">67%</span>' in text  # 2 👍 of 3 votes
        assert '<span class="kpi">1 giờ</span>' in text  # median of 30 and 90 minutes
        assert text.count("<svg") >= 6
        assert "Số câu hỏi theo ngày" in text and "Hôn nhân và gia đình" in text
        assert "11/03: 3" in text  # the bar tooltip: 2 labour + 1 divorce on the 11th
        # content gap listed once with its count, personal numbers masked
        assert "0912 345 678" not in text and "001234567890" not in text
        assert "[số điện thoại]" in text and "[số giấy tờ]" in text
        # a range that excludes the seed shows nothing
        empty = await c.get("/staff/stats?start=2025-01-01&end=2025-01-31")
        assert '<span class="kpi">0</span><span>câu hỏi</span>' in empty.text
        # a reversed range is put right; a broken one is refused (400), without echoing it
        assert (await c.get("/staff/stats?start=2025-03-12&end=2025-03-10")).status_code == 200
        broken = await c.get("/staff/stats?start=nonsense&end=<script>")
        assert broken.status_code == 400 and "<script>" not in broken.text


async def test_csv_exports_mask_personal_numbers(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    _seed(db, h.add_staff("lan@tgpl.vn"))
    escalate(db, PHONE_Q, user="e9", when=NOON)
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        base = "/staff/stats.csv?start=2025-03-10&end=2025-03-12&kind="

        async def rows(kind: str) -> list[list[str]]:
            response = await c.get(base + kind)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/csv")
            assert "attachment" in response.headers["content-disposition"]
            body = response.content.decode("utf-8")
            assert body.startswith("\ufeff")  # Excel reads UTF-8 only with the BOM
            assert "0912 345 678" not in body and "001234567890" not in body
            return list(csv.reader(io.StringIO(body[1:])))

        questions = await rows("questions")
        assert questions[0] == ["ngay", "kenh", "chu_de", "ket_qua", "so_cau_hoi"]
        assert sum(int(r[4]) for r in questions[1:]) == 16
        gaps = await rows("gaps")
        assert [gaps[1][0], gaps[1][1]] == [
            "Tôi là Lan, số [số điện thoại], CCCD [số giấy tờ], bị nợ lương thì sao?",
            "3",
        ]
        tickets = await rows("tickets")
        assert len(tickets) == 4  # header + the 3 tickets opened in the range
        by_question = {r[8]: r for r in tickets[1:]}
        assert "Tôi là Lan, số [số điện thoại], CCCD [số giấy tờ], bị nợ lương thì sao?" in by_question
        # a cell that starts like a formula stays text in Excel
        urgent = next(r for r in tickets[1:] if r[4] == "urgent")
        assert urgent[6] == "30"
        assert urgent[8] == "Bị đánh, cần giúp =HYPERLINK(\"x\")"
    from bot.kb.csv_export import cell

    assert cell('=HYPERLINK("http://evil")') == "'=HYPERLINK(\"http://evil\")"
    assert cell("+84 912") == "'+84 912" and cell("@SUM(A1)") == "'@SUM(A1)"
