"""Error pages of the desk (403, 404, CSRF ...) in Vietnamese, never echoing request data."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.desk import texts
from bot.desk.context import desk_of
from bot.desk.render import base_context


def error_page(request: Request, status: int, *, csrf: bool = False) -> Response:
    title, message = texts.CSRF_ERROR if csrf else texts.HTTP_ERROR.get(
        status, ("Lỗi", "Đã có lỗi xảy ra.")
    )
    ctx = base_context(request)
    ctx.update(title=title, message=message, status=status)
    return desk_of(request).templates.TemplateResponse(
        request, "error.html", ctx, status_code=status
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 401:
        return PlainTextResponse("login required", status_code=401)
    return error_page(request, exc.status_code, csrf=exc.detail == "csrf")
