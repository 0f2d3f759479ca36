"""Rendering a desk page: the template plus what every page shows (who is logged in, the urgent badge)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.desk import params, texts
from bot.desk.context import desk_of, root


def base_context(request: Request) -> dict[str, Any]:
    desk = desk_of(request)
    state = request.scope.get("state", {})
    session = state.get("desk_session")
    # lenient on purpose (error pages use this too): unknown keys simply show nothing
    notice_key = str(params.query(request).get("ok") or "")
    error_key = str(params.query(request).get("err") or "")
    return {
        "request": request,
        "root": root(request),
        "staff": state.get("staff"),
        "csrf_token": desk.csrf.token(session) if session is not None else "",
        "nonce": state.get("csp_nonce", ""),
        "now": desk.now(),
        # only known keys are shown: the query string cannot inject text into the page
        "notice": texts.NOTICE.get(notice_key, ""),
        "error": texts.ERROR.get(error_key, ""),
        "urgent_badge": None,
        "nav": "",
    }


async def page(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> Response:
    desk = desk_of(request)
    ctx = base_context(request)
    if ctx["staff"] is not None:
        counts = await desk.run(desk.tickets.counts)
        ctx["urgent_badge"] = counts.urgent_unresolved
    ctx.update(context)
    return desk.templates.TemplateResponse(request, template, ctx, status_code=status_code)
