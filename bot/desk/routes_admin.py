"""Admin pages: staff accounts (add, role, deactivate) and the audit log of staff actions."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.desk.auth import password_problem
from bot.desk.context import client_ip, current_staff, desk_of, int_param, redirect
from bot.desk.csrf import checked_form
from bot.desk.render import page
from bot.desk.routes_places import register_of
from bot.storage.staff import ROLES, StaffExists

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}")


async def accounts(request: Request) -> Response:
    desk = desk_of(request)
    items = await desk.run(desk.staff.list)
    register = register_of(request)
    points = await desk.run(register.points)
    staff_points = await desk.run(register.staff_points)
    return await page(request, "accounts.html", nav="accounts", items=items, form_email="", points=points,
                      staff_points=staff_points)


async def add(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    me = current_staff(request)
    email = str(form.get("email") or "").strip().lower()
    role = str(form.get("role") or "staff")
    name = str(form.get("display_name") or "").strip()[:255] or None
    password = str(form.get("password") or "")
    if not _EMAIL.fullmatch(email) or role not in ROLES:
        return redirect(request, "/admin/staff", err="bad_email")
    if password_problem(password):
        return redirect(request, "/admin/staff", err="weak_password")
    password_hash = await desk.run(desk.passwords.hash, password)
    try:
        account = await desk.run(desk.staff.create, email, password_hash, role, name)
    except StaffExists:
        return redirect(request, "/admin/staff", err="staff_exists")
    await desk.run(
        desk.staff.audit, me.id, "staff_add", email, {"role": role, "id": account.id}, client_ip(request)
    )
    return redirect(request, "/admin/staff", ok="staff_added")


async def update(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    me = current_staff(request)
    staff_id = int_param(request, "staff_id")
    target = await desk.run(desk.staff.get, staff_id)
    if target is None:
        raise HTTPException(404)
    action = str(form.get("action") or "")
    if target.id == me.id and action in ("deactivate", "role"):
        # an admin locking themselves out (or demoting the last admin) needs the CLI, on purpose
        return redirect(request, "/admin/staff", err="self_change")
    if action == "deactivate":
        await desk.run(lambda: desk.staff.update(staff_id, active=False))
        audit = "staff_deactivate"
    elif action == "activate":
        await desk.run(lambda: desk.staff.update(staff_id, active=True))
        audit = "staff_activate"
    elif action == "role" and str(form.get("role")) in ROLES:
        await desk.run(lambda: desk.staff.update(staff_id, role=str(form.get("role"))))
        audit = "staff_update"
    else:
        raise HTTPException(400)
    await desk.run(
        desk.staff.audit, me.id, audit, target.email, {"role": form.get("role")}, client_ip(request)
    )
    return redirect(request, "/admin/staff", ok="staff_updated")


async def audit_log(request: Request) -> Response:
    desk = desk_of(request)
    entries = await desk.run(lambda: desk.staff.audit_log(limit=300))
    return await page(request, "audit.html", nav="audit", entries=entries)


routes = [
    Route("/admin/staff", accounts, methods=["GET"], name="accounts"),
    Route("/admin/staff", add, methods=["POST"]),
    Route("/admin/staff/{staff_id:int}", update, methods=["POST"]),
    Route("/admin/audit", audit_log, methods=["GET"], name="audit"),
]
