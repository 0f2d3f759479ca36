"""Login and logout pages; a new session id at every login, so a planted cookie is worth nothing."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.desk import params, texts
from bot.desk.auth import authenticate
from bot.desk.context import client_ip, current_session, current_staff, desk_of, redirect, root
from bot.desk.csrf import checked_form
from bot.desk.guard import issue_session
from bot.desk.render import page
from bot.desk.session import new_session

# where to go after login: a path inside the desk only (no scheme, no host, no "//" or "\": no open redirect)
_SAFE_NEXT = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&+-]*")


def safe_next(value: str | None) -> str:
    if (
        value
        and len(value) <= 500
        and _SAFE_NEXT.fullmatch(value)
        and not value.startswith("/login")
    ):
        return value
    return "/"


async def login_form(request: Request) -> Response:
    if request.scope["state"].get("staff") is not None:
        return redirect(request, "/")
    target = params.text(params.query(request), "next", max_length=2000)
    return await page(request, "login.html", next=safe_next(target), email="", message="")


async def login(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    email = str(form.get("email") or "")[:255]
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""))
    outcome = await desk.run(
        authenticate,
        desk.staff,
        desk.throttle,
        desk.passwords,
        email,
        password,
        ip=client_ip(request),
    )
    if not outcome.ok:
        # one message for an unknown e-mail, a wrong password and a throttled attempt
        return await page(
            request, "login.html", status_code=400, next=target, email=email, message=texts.LOGIN_FAILED
        )
    account = outcome.account
    assert account is not None
    sid = await desk.run(desk.sessions.create, account.id)
    issue_session(request, new_session(sid, now=desk.now().timestamp()))
    return RedirectResponse(root(request) + target, status_code=303)


async def logout(request: Request) -> Response:
    desk = desk_of(request)
    await checked_form(request)
    staff = current_staff(request)
    await desk.run(desk.sessions.revoke, current_session(request).sid)
    await desk.run(desk.staff.audit, staff.id, "logout", staff.email, None, client_ip(request))
    issue_session(request, new_session(now=desk.now().timestamp()))
    return redirect(request, "/login", ok="logged_out")


routes = [
    Route("/login", login_form, methods=["GET"], name="login_form"),
    Route("/login", login, methods=["POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
]
