"""Admin pages for places: import the communes and service-point CSVs, list the points, give staff a point."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.desk import texts
from bot.desk.context import client_ip, current_staff, desk_of, int_param, redirect
from bot.desk.csrf import checked_form
from bot.desk.render import page
from bot.storage.places import MAX_BYTES, ImportProblems, ImportResult, PlaceRegister


def register_of(request: Request) -> PlaceRegister:
    desk = desk_of(request)
    reg = desk.cache.get("place_register")
    if reg is None:
        reg = desk.cache["place_register"] = PlaceRegister(desk.db, clock=desk.clock)
    return reg


async def _page(request: Request, *, problems: list[str] | None = None, result: ImportResult | None = None,
                status_code: int = 200) -> Response:
    desk = desk_of(request)
    reg = register_of(request)
    points = await desk.run(lambda: reg.points(include_inactive=True))
    communes = await desk.run(reg.commune_count)
    summary = ""
    if result is not None:
        deactivated = texts.PLACES_DEACTIVATED.format(n=result.deactivated) if result.deactivated else ""
        summary = texts.PLACES_IMPORTED.format(kind=texts.PLACES_KIND[result.kind], rows=result.rows,
                                               created=result.created, updated=result.updated,
                                               unchanged=result.unchanged, deactivated=deactivated)
    return await page(request, "places.html", status_code=status_code, nav="places", points=points,
                      communes=communes, problems=problems or [], summary=summary,
                      failed=texts.PLACES_IMPORT_FAILED.format(n=len(problems or [])))


async def places(request: Request) -> Response:
    return await _page(request)


async def import_places(request: Request) -> Response:
    desk = desk_of(request)
    me = current_staff(request)
    form = await checked_form(request, max_files=1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return await _page(request, problems=[texts.PLACES_NO_FILE], status_code=400)
    data = await upload.read(MAX_BYTES + 1)
    if not data:
        return await _page(request, problems=[texts.PLACES_NO_FILE], status_code=400)
    reg = register_of(request)
    try:
        result = await desk.run(reg.import_csv, data)
    except ImportProblems as exc:
        return await _page(request, problems=exc.problems[:200], status_code=400)
    await desk.run(desk.staff.audit, me.id, "places_import", (upload.filename or "")[:200],
                   {"kind": result.kind, "rows": result.rows, "created": result.created,
                    "updated": result.updated, "deactivated": result.deactivated}, client_ip(request))
    return await _page(request, result=result)


async def staff_point(request: Request) -> Response:
    """An admin puts a staff account in a point's queue (empty: the central queue)."""
    desk = desk_of(request)
    me = current_staff(request)
    form = await checked_form(request)
    staff_id = int_param(request, "staff_id")
    target = await desk.run(desk.staff.get, staff_id)
    if target is None:
        raise HTTPException(404)
    raw = str(form.get("point") or "")
    point = int(raw) if raw.isdigit() and len(raw) < 10 else None
    try:
        await desk.run(register_of(request).assign_staff, staff_id, point)
    except LookupError:
        raise HTTPException(400) from None
    await desk.run(desk.staff.audit, me.id, "staff_point", target.email, {"point": point}, client_ip(request))
    return redirect(request, "/admin/staff", ok="staff_point")


routes = [
    Route("/admin/places", places, methods=["GET"], name="places"),
    Route("/admin/places", import_places, methods=["POST"]),
    Route("/admin/staff/{staff_id:int}/point", staff_point, methods=["POST"]),
]
