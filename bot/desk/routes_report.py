"""Council report pages: a month or quarter on screen, as a printable page and as CSV."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.desk import params, texts
from bot.desk.context import client_ip, current_staff, desk_of
from bot.desk.render import page
from bot.desk.report import (
    VN_TZ,
    BadPeriod,
    CouncilReport,
    Period,
    build_report,
    last_full_month,
    parse_period,
    report_rows,
)
from bot.kb.csv_export import to_csv
from bot.storage.stats import gap_threshold


def _period(request: Request) -> Period | None:
    desk = desk_of(request)
    raw = params.text(params.query(request), "period", max_length=16).strip()
    if not raw:
        return last_full_month(desk.now().astimezone(VN_TZ).date())
    try:
        return parse_period(raw)
    except BadPeriod:
        return None


async def _report(request: Request) -> CouncilReport | None:
    desk = desk_of(request)
    period = _period(request)
    if period is None:
        return None
    return await desk.run(build_report, desk.db, desk.stats, period,
                           threshold=gap_threshold(desk.settings.answer_threshold))


async def report_page(request: Request) -> Response:
    report = await _report(request)
    printable = params.query(request).get("print") == "1"
    if report is None:
        return await page(request, "report.html", status_code=400, nav="report", report=None,
                          problem=texts.ERROR["bad_period"], printable=False)
    return await page(request, "report.html", nav="report", report=report, problem=None, printable=printable)


async def report_csv(request: Request) -> Response:
    desk = desk_of(request)
    report = await _report(request)
    if report is None:
        return Response(texts.ERROR["bad_period"], status_code=400, media_type="text/plain; charset=utf-8")
    header, *rows = report_rows(report)  # the first row names the columns
    me = current_staff(request)
    await desk.run(desk.staff.audit, me.id, "report_export", report.period.key, {}, client_ip(request))
    return Response(
        to_csv([str(h) for h in header], rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="lawbot-bao-cao-{report.period.key}.csv"'},
    )


routes = [
    Route("/report", report_page, methods=["GET"], name="report"),
    Route("/report.csv", report_csv, methods=["GET"], name="report_csv"),
]
