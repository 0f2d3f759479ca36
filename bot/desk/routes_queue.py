"""The queue: unresolved tickets by urgency then age, with filters and counts, and the urgent badge."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.desk import params, texts
from bot.desk.context import current_staff, desk_of
from bot.desk.render import page
from bot.desk.routes_places import register_of
from bot.storage.statuses import TicketStatus
from bot.storage.tickets import CENTRAL

PAGE_SIZE = 100
MAX_PAGE = 10_000
STATUS_FILTERS = {
    "active": (TicketStatus.OPEN, TicketStatus.CLAIMED),
    "open": (TicketStatus.OPEN,),
    "claimed": (TicketStatus.CLAIMED,),
    "resolved": (TicketStatus.RESOLVED,),
    "all": tuple(TicketStatus),
}


async def queue(request: Request) -> Response:
    desk = desk_of(request)
    me = current_staff(request)
    q = params.query(request)
    status = params.choice(q, "status", STATUS_FILTERS, "active")
    category = params.text(q, "category", max_length=64)
    channel = params.choice(q, "channel", texts.CHANNEL, "")
    urgency = params.choice(q, "urgency", texts.URGENCY, "")
    assignee_param = q.get("assignee") or ""
    assignee: int | None = None
    unassigned = False
    if assignee_param == "me":
        assignee = me.id
    elif assignee_param == "none":
        unassigned = True
    else:
        assignee = params.integer(q, "assignee", 0, lo=1) or None
        assignee_param = str(assignee or "")
    page_no = params.integer(q, "page", 1, lo=1, hi=MAX_PAGE)
    register = register_of(request)
    my_point = None if me.is_admin else await desk.run(register.point_of, me.id)
    # staff of a service point see its queue first; admins (and staff of no point) see every queue
    point_param = str(q.get("point") or ("" if my_point is None else str(my_point)))
    point: int | None = None
    if point_param == "central":
        point = CENTRAL
    elif point_param.isdigit() and len(point_param) < 10 and int(point_param) > 0:
        point = int(point_param)
    else:
        point_param = "all"
    points = await desk.run(register.points)
    rows = await desk.run(
        desk.tickets.list_queue,
        STATUS_FILTERS[status],
        category or None,
        channel or None,
        assignee,
        unassigned=unassigned,
        urgency=urgency or None,
        point=point,
        limit=PAGE_SIZE + 1,
        offset=(page_no - 1) * PAGE_SIZE,
    )
    counts = await desk.run(desk.tickets.counts)
    categories = await desk.run(desk.tickets.categories)
    accounts = await desk.run(desk.staff.list)
    filters: dict[str, Any] = {
        "status": status,
        "category": category,
        "channel": channel,
        "assignee": assignee_param,
        "urgency": urgency,
        "point": point_param,
    }
    return await page(
        request,
        "queue.html",
        nav="queue",
        rows=rows[:PAGE_SIZE],
        has_more=len(rows) > PAGE_SIZE,
        page_no=page_no,
        counts=counts,
        categories=categories,
        accounts=[a for a in accounts if a.active],
        names={a.id: a.display_name or a.email for a in accounts},
        filters=filters,
        status_filters=list(STATUS_FILTERS),
        points=points,
        point_names={p.id: p.name for p in points},
    )


async def badge(request: Request) -> Response:
    """Polled by the pages every 30 s: the number of unresolved urgent tickets."""
    desk = desk_of(request)
    counts = await desk.run(desk.tickets.counts)
    return JSONResponse(
        {"urgent": counts.urgent_unresolved, "open": counts.open, "unassigned": counts.unassigned_open},
        headers={"cache-control": "no-store"},
    )


routes = [
    Route("/", queue, methods=["GET"], name="queue"),
    Route("/api/badge", badge, methods=["GET"], name="badge"),
]
