"""The period report for the PBGDPL coordinating council: one month or quarter of demand, answers and outreach."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from bot.core.pii import mask_pii
from bot.desk import texts
from bot.storage.db import Database
from bot.storage.places import PlaceCount, by_province, place_counts
from bot.storage.quizzes import QuizStore
from bot.storage.schema import Bulletin, BulletinDelivery, Ticket
from bot.storage.stats import VIETNAM_UTC_OFFSET, Stats

VN_TZ = dt.timezone(dt.timedelta(hours=VIETNAM_UTC_OFFSET))
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")


class BadPeriod(ValueError):
    """Not a month (2026-11) or a quarter (2026-Q4)."""


@dataclass(frozen=True)
class Period:
    key: str  # "2026-11" or "2026-Q4"
    label: str  # "tháng 11/2026", "quý IV/2026"
    start: dt.date
    end: dt.date  # inclusive


def parse_period(key: str) -> Period:
    key = key.strip()
    if m := _MONTH.match(key):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            raise BadPeriod(key)
        start = dt.date(year, month, 1)
        end = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
        return Period(f"{year}-{month:02d}", f"tháng {month}/{year}", start, end)
    if m := _QUARTER.match(key):
        year, quarter = int(m.group(1)), int(m.group(2))
        if not 2000 <= year <= 2100:
            raise BadPeriod(key)
        start = dt.date(year, 3 * quarter - 2, 1)
        last = 3 * quarter
        end = dt.date(year + last // 12, last % 12 + 1, 1) - dt.timedelta(days=1)
        return Period(f"{year}-Q{quarter}", f"quý {['I', 'II', 'III', 'IV'][quarter - 1]}/{year}", start, end)
    raise BadPeriod(key)


def last_full_month(today: dt.date) -> Period:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return parse_period(f"{first.year}-{first.month:02d}")


@dataclass(frozen=True)
class Section:
    """One table of the report: the same on the page, in the printout and in the CSV."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str | int | float]]
    note: str = ""


@dataclass(frozen=True)
class CouncilReport:
    period: Period
    headline: list[tuple[str, str | int]]  # (label, value) figures at the top
    sections: list[Section] = field(default_factory=list)


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(period.start, dt.time(), VN_TZ)
    hi = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), VN_TZ)
    return lo, hi


def _tickets(db: Database, lo: dt.datetime, hi: dt.datetime) -> dict[str, int]:
    with db.session(readonly=True) as s:
        opened = Ticket.created_at >= lo, Ticket.created_at < hi
        count = sa.func.count()
        return {
            "opened": int(s.scalar(sa.select(count).select_from(Ticket).where(*opened)) or 0),
            "legal_aid": int(
                s.scalar(sa.select(count).select_from(Ticket).where(*opened, Ticket.legal_aid_hint)) or 0
            ),
            "resolved": int(
                s.scalar(
                    sa.select(count).select_from(Ticket).where(Ticket.resolved_at >= lo, Ticket.resolved_at < hi)
                )
                or 0
            ),
        }


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{round(seconds / 60)} phút"


def build_report(db: Database, stats: Stats, period: Period, *, threshold: float) -> CouncilReport:
    """Everything the council asks for, counted over the period (Vietnam local days)."""
    lo, hi = _bounds(period)
    data = stats.report(period.start, period.end, threshold=threshold, gaps=15)
    tickets = _tickets(db, lo, hi)
    places = place_counts(db, lo, hi)
    kinds = data.by_kind
    referrals: list[list[str | int | float]] = [
        [texts.CATEGORY.get(c, c), n] for c, n in data.tickets_by_category.items()
    ]
    referrals.append(["Trong đó thuộc diện được trợ giúp pháp lý", tickets["legal_aid"]])
    headline: list[tuple[str, str | int]] = [
        ("Câu hỏi của người dân", data.total_questions),
        ("Được trả lời kèm căn cứ", kinds.get("answer", 0)),
        ("Trợ lý chưa chắc, hỏi lại", kinds.get("clarify", 0)),
        ("Chuyển cán bộ", kinds.get("escalated", 0)),
        ("Từ chối (ngoài phạm vi)", kinds.get("refused", 0)),
        ("Yêu cầu mở / đã xong", f"{tickets['opened']} / {tickets['resolved']}"),
        ("Thời gian đến câu trả lời đầu của cán bộ (trung vị)", _minutes(data.median_first_reply_seconds)),
        ("Đề nghị hòa giải ở cơ sở", sum(p.mediation for p in places)),
    ]
    sections = [
        Section("topics", "Câu hỏi theo chủ đề", ["Chủ đề", "Số câu hỏi"],
                [[t if t != "other" else "Khác", n] for t, n in data.by_topic.items()]),
        Section("outcomes", "Kết quả trả lời", ["Kết quả", "Số câu hỏi"],
                [[texts.REPLY_KIND.get(k, k), n] for k, n in kinds.items()]),
        Section("channels", "Theo kênh", ["Kênh", "Số câu hỏi"],
                [[texts.CHANNEL.get(c, c), n] for c, n in data.by_channel.items()]),
        Section(
            "referrals",
            "Chuyển hòa giải, trợ giúp pháp lý và xử lý khiếu nại, tố cáo",
            ["Loại việc", "Số yêu cầu"],
            referrals,
        ),
        Section("quizzes", "Cuộc thi tìm hiểu pháp luật", ["Cuộc thi", "Người tham gia", "Lượt hoàn thành"],
                [[t, n, f] for t, n, f in QuizStore(db).participation(lo, hi)]),
        Section(
            "unanswered",
            "Nhu cầu chưa được đáp ứng (câu hỏi trợ lý chưa trả lời chắc chắn)",
            ["Câu hỏi", "Số lần"],
            [[mask_pii(g.question), g.count] for g in data.content_gaps],
            note="Gợi ý bổ sung câu hỏi thường gặp hoặc tài liệu phổ biến pháp luật.",
        ),
    ]
    sections[1:1] = _place_sections(places)
    sections.append(_bulletins(db, lo, hi))
    return CouncilReport(period, headline, sections)


def _place_sections(places: list[PlaceCount]) -> list[Section]:
    """Demand and referrals by province, then by commune (the commune each citizen told us)."""
    columns = ["Câu hỏi", "Yêu cầu chuyển cán bộ", "Đã xong", "Đề nghị hòa giải"]

    def figures(p: PlaceCount) -> list[str | int | float]:
        return [p.questions, p.tickets, p.resolved, p.mediation]

    return [
        Section("provinces", "Theo tỉnh, thành phố", ["Tỉnh, thành phố", *columns],
                [[p.province or texts.UNKNOWN_PLACE, *figures(p)] for p in by_province(places)]),
        Section("communes", "Theo xã, phường", ["Xã, phường", "Tỉnh, thành phố", *columns],
                [[p.commune or texts.UNKNOWN_PLACE, p.province, *figures(p)] for p in places]),
    ]


def _bulletins(db: Database, lo: dt.datetime, hi: dt.datetime) -> Section:
    """Bulletins queued in the period and what became of each delivery."""
    with db.session(readonly=True) as s:
        rows = s.execute(
            sa.select(
                Bulletin.title,
                sa.func.count(BulletinDelivery.id),
                sa.func.sum(sa.case((BulletinDelivery.status == "sent", 1), else_=0)),
                sa.func.sum(sa.case((BulletinDelivery.status == "failed", 1), else_=0)),
            )
            .outerjoin(BulletinDelivery, BulletinDelivery.bulletin_id == Bulletin.id)
            .where(Bulletin.queued_at >= lo, Bulletin.queued_at < hi)
            .group_by(Bulletin.id, Bulletin.title)
            .order_by(Bulletin.id)
        ).all()
    return Section("bulletins", "Bản tin pháp luật đã gửi", ["Bản tin", "Người nhận", "Đã gửi", "Gửi lỗi"],
                   [[str(t), int(n or 0), int(ok or 0), int(bad or 0)] for t, n, ok, bad in rows])


def report_rows(report: CouncilReport) -> list[list[str | int | float]]:
    """The CSV: one row per figure, tagged with the period and its table, so a spreadsheet can filter it."""
    rows: list[list[str | int | float]] = [["ky_bao_cao", "bang", "noi_dung", "so_lieu", "so_lieu_2"]]
    rows += [[report.period.key, "Tổng quan", label, value] for label, value in report.headline]
    for section in report.sections:
        rows += [[report.period.key, section.title, *row] for row in section.rows]
    return rows
