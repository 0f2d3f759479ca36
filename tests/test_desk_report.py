"""The council's period report: a month or a quarter of questions, outcomes, referrals, staff response times,
quiz participation and unanswered demand, on screen, printable and as CSV; a bad period is a clear 400."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from bot.core.models import Channel, ReplyKind
from bot.desk.report import BadPeriod, parse_period
from bot.storage.db import Database
from bot.storage.places import PlaceRegister, SqlPlaceDirectory
from bot.storage.quizzes import QuizStore
from bot.storage.tickets import SqlTicketStore
from tests.auxil.desk import Clock, login, make_harness
from tests.auxil.desk_seed import escalate, record_turn
from tests.auxil.places import COMMUNES_CSV, POINTS_CSV, TAN_PHU

VN = dt.timezone(dt.timedelta(hours=7))
MARCH = dt.datetime(2025, 3, 10, 12, 0, tzinfo=VN)
PHONE_Q = "Số tôi 0912 345 678, hàng xóm lấn đất thì kiện ở đâu?"


def _seed(db: Database, staff_id: int) -> None:
    for i in range(4):
        record_turn(db, f"Nghỉ phép năm {i}", "Theo Điều 113 ...", user=f"a{i}", when=MARCH)
    record_turn(db, "Thời tiết mai thế nào", "Xin lỗi", ReplyKind.REFUSED, user="r1", sources=(), when=MARCH)
    record_turn(db, "Hỏi trong tháng 4", "...", user="apr", when=MARCH + dt.timedelta(days=30))
    for i in range(2):  # the same unanswered question twice, with a phone number in it
        record_turn(db, PHONE_Q, "Có thể...", user=f"g{i}", sources=(("45.1.LQ.1", 0.1),), when=MARCH)
    ticket = escalate(db, "Tranh chấp đất với hàng xóm", user="e1", when=MARCH)
    register = PlaceRegister(db)  # the sample communes; the ticket routed to one, mediation offered
    register.import_csv(COMMUNES_CSV.read_bytes())
    register.import_csv(POINTS_CSV.read_bytes())
    SqlPlaceDirectory(db).route_ticket(ticket, TAN_PHU, None, mediation_offered=True)
    SqlTicketStore(db, clock=lambda: MARCH + dt.timedelta(minutes=45)).reply(ticket, staff_id, "Chào anh")
    quizzes = QuizStore(db, clock=lambda: MARCH)
    quiz = quizzes.create("Luật Hòa giải ở cơ sở", None, None)
    quizzes.start(Channel.ZALO, "q1", quiz)
    quizzes.start(Channel.TELEGRAM, "q2", quiz)


@pytest.mark.parametrize(
    ("key", "start", "end", "label"),
    [
        ("2025-03", dt.date(2025, 3, 1), dt.date(2025, 3, 31), "tháng 3/2025"),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "tháng 2/2024"),
        ("2025-12", dt.date(2025, 12, 1), dt.date(2025, 12, 31), "tháng 12/2025"),
        ("2025-q1", dt.date(2025, 1, 1), dt.date(2025, 3, 31), "quý I/2025"),
        ("2025-Q4", dt.date(2025, 10, 1), dt.date(2025, 12, 31), "quý IV/2025"),
    ],
)
def test_periods_are_months_and_quarters(key: str, start: dt.date, end: dt.date, label: str) -> None:
    period = parse_period(key)
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize("key", ["2025-13", "2025-Q5", "03/2025", "2025", "", "1999-01"])
def test_other_periods_are_refused(key: str) -> None:
    with pytest.raises(BadPeriod):
        parse_period(key)


async def test_the_council_report_counts_one_month(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path, clock=Clock(dt.datetime(2025, 4, 20, tzinfo=dt.UTC)))
    _seed(db, h.add_staff("lan@tgpl.vn"))
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        default = await c.get("/staff/report")  # the last full month before "today" (20/4/2025)
        assert default.status_code == 200 and "tháng 3/2025" in default.text
        text = default.text
        assert "<th scope=\"row\">Câu hỏi của người dân</th><td>8</td>" in text  # April's question is not counted
        assert "<th scope=\"row\">Chuyển cán bộ</th><td>1</td>" in text
        assert "<th scope=\"row\">Từ chối (ngoài phạm vi)</th><td>1</td>" in text
        assert "45 phút" in text  # time to the first staff reply
        assert "<th scope=\"row\">Đề nghị hòa giải ở cơ sở</th><td>1</td>" in text
        assert "Xã Tân Phú</td><td>Tỉnh Đồng Nai</td><td>0</td><td>1</td><td>0</td><td>1</td>" in text
        assert "Luật Hòa giải ở cơ sở</td><td>2</td>" in text  # quiz participants
        assert "0912 345 678" not in text and "hàng xóm lấn đất" in text  # unanswered demand, masked

        printable = await c.get("/staff/report?period=2025-03&print=1")
        assert printable.status_code == 200 and "Ctrl+P" in printable.text

        exported = await c.get("/staff/report.csv?period=2025-Q1")
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8").lstrip("\ufeff"))))
        assert rows[0][:4] == ["ky_bao_cao", "bang", "noi_dung", "so_lieu"]
        assert ["2025-Q1", "Tổng quan", "Câu hỏi của người dân", "8"] in rows
        assert not any("0912 345 678" in cell for row in rows for cell in row)

        bad = await c.get("/staff/report?period=2025-13")
        assert bad.status_code == 400 and "Kỳ báo cáo không hợp lệ" in bad.text
        bad_csv = await c.get("/staff/report.csv?period=nonsense")
        assert bad_csv.status_code == 400
