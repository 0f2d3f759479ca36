"""One ticket: the conversation, the sources, the bot's draft, and what staff do with it."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.desk import params, texts
from bot.desk.articles import article_views
from bot.desk.context import Desk, client_ip, current_staff, desk_of, int_param, redirect
from bot.desk.csrf import checked_form
from bot.desk.queries import set_urgency
from bot.desk.render import page
from bot.desk.routes_places import register_of
from bot.storage.tickets import TicketNotFound, TicketUnreachable

log = logging.getLogger(__name__)

MAX_REPLY = 4000
MAX_NOTE = 4000


def _ticket_id(request: Request) -> int:
    return int_param(request, "ticket_id")


async def _audit(request: Request, action: str, ticket_id: int, detail: dict | None = None) -> None:
    desk = desk_of(request)
    staff = current_staff(request)
    await desk.run(
        desk.staff.audit, staff.id, action, f"ticket:{ticket_id}", detail, client_ip(request)
    )


def _path(ticket_id: int) -> str:
    return f"/tickets/{ticket_id}"


async def show(request: Request) -> Response:
    desk = desk_of(request)
    ticket_id = _ticket_id(request)
    detail = await desk.run(desk.tickets.get, ticket_id)
    if detail is None:
        raise HTTPException(404)
    everyone = await desk.run(desk.staff.list)
    accounts = [a for a in everyone if a.active]
    proposals = [p for p in await desk.run(desk.proposals.list, None) if p.ticket_id == ticket_id]
    source_ids = [a for a, _ in detail.sources]
    for entry in detail.transcript:
        source_ids.extend(a for a, _ in entry.sources if a not in source_ids)
    articles = await desk.run(article_views, desk, source_ids)
    staff_replies = [e.text for e in detail.transcript if e.role == "staff"]
    return await page(
        request,
        "ticket.html",
        nav="queue",
        t=detail,
        row=detail.row,
        accounts=accounts,
        names={a.id: a.display_name or a.email for a in everyone},
        articles=articles,
        proposals=proposals,
        last_staff_reply=staff_replies[-1] if staff_replies else "",
        max_reply=MAX_REPLY,
        place=await desk.run(register_of(request).place_of, detail.row.service_point_id, detail.row.commune_code),
    )


async def claim(request: Request) -> Response:
    desk = desk_of(request)
    await checked_form(request)
    ticket_id = _ticket_id(request)
    me = current_staff(request)
    ok = await _act(desk, desk.tickets.claim, ticket_id, me.id)
    if ok:
        await _audit(request, "ticket_claim", ticket_id)
    return redirect(request, _path(ticket_id), ok="claimed" if ok else "claim_taken")


async def assign(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    ticket_id = _ticket_id(request)
    me = current_staff(request)
    wanted = params.integer(form, "assignee", 0, lo=1)
    assignee: int | None = None
    if wanted:
        account = await desk.run(desk.staff.get, wanted)
        if account is None or not account.active:
            return redirect(request, _path(ticket_id), err="bad_assignee")
        assignee = account.id
    await _act(desk, desk.tickets.assign, ticket_id, assignee, me.id)
    await _audit(request, "ticket_assign", ticket_id, {"to": assignee})
    return redirect(request, _path(ticket_id), ok="assigned")


async def reply(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    ticket_id = _ticket_id(request)
    me = current_staff(request)
    text = str(form.get("text") or "").strip().replace("\r\n", "\n")
    if not text:
        return redirect(request, _path(ticket_id), err="empty_reply")
    if len(text) > MAX_REPLY:
        return redirect(request, _path(ticket_id), err="too_long")
    try:
        message_id = await _act(desk, desk.tickets.reply, ticket_id, me.id, text)
    except TicketUnreachable:
        return redirect(request, _path(ticket_id), err="unreachable")
    await _audit(request, "ticket_reply", ticket_id, {"message_id": message_id})
    return redirect(request, _path(ticket_id) + "#transcript-end", ok="replied")


async def note(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    ticket_id = _ticket_id(request)
    me = current_staff(request)
    text = str(form.get("text") or "").strip().replace("\r\n", "\n")
    if not text:
        return redirect(request, _path(ticket_id), err="empty_note")
    if len(text) > MAX_NOTE:
        return redirect(request, _path(ticket_id), err="too_long")
    note_id = await _act(desk, desk.tickets.add_note, ticket_id, me.id, text)
    await _audit(request, "ticket_note", ticket_id, {"note_id": note_id})
    return redirect(request, _path(ticket_id) + "#notes", ok="noted")


async def resolve(request: Request) -> Response:
    desk = desk_of(request)
    await checked_form(request)
    ticket_id = _ticket_id(request)
    await _act(desk, desk.tickets.resolve, ticket_id, current_staff(request).id)
    await _audit(request, "ticket_resolve", ticket_id)
    return redirect(request, _path(ticket_id), ok="resolved")


async def reopen(request: Request) -> Response:
    desk = desk_of(request)
    await checked_form(request)
    ticket_id = _ticket_id(request)
    await _act(desk, desk.tickets.reopen, ticket_id, current_staff(request).id)
    await _audit(request, "ticket_reopen", ticket_id)
    return redirect(request, _path(ticket_id), ok="reopened")


async def urgency(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    ticket_id = _ticket_id(request)
    level = str(form.get("urgency") or "")
    if level not in texts.URGENCY:
        return redirect(request, _path(ticket_id), err="bad_urgency")
    me = current_staff(request)
    previous = await desk.run(set_urgency, desk.db, ticket_id, level, me.id, clock=desk.clock)
    if previous is None:
        raise HTTPException(404)
    await _audit(request, "ticket_urgency", ticket_id, {"from": previous, "to": level})
    if level == "urgent" and previous != "urgent" and desk.notifier is not None:
        try:
            await desk.call_hook(desk.notifier, ticket_id)
        except Exception:  # the alert is a convenience: the badge still shows the ticket
            log.exception("staff alert for ticket %s failed", ticket_id)
    return redirect(request, _path(ticket_id), ok="urgency")


async def _act(desk: Desk, fn, *args):  # type: ignore[no-untyped-def]
    try:
        return await desk.run(fn, *args)
    except TicketNotFound:
        raise HTTPException(404) from None


routes = [
    Route("/tickets/{ticket_id:int}", show, methods=["GET"], name="ticket"),
    Route("/tickets/{ticket_id:int}/claim", claim, methods=["POST"]),
    Route("/tickets/{ticket_id:int}/assign", assign, methods=["POST"]),
    Route("/tickets/{ticket_id:int}/reply", reply, methods=["POST"]),
    Route("/tickets/{ticket_id:int}/note", note, methods=["POST"]),
    Route("/tickets/{ticket_id:int}/resolve", resolve, methods=["POST"]),
    Route("/tickets/{ticket_id:int}/reopen", reopen, methods=["POST"]),
    Route("/tickets/{ticket_id:int}/urgency", urgency, methods=["POST"]),
]
