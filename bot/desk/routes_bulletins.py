"""Bulletins: staff compose one (title, text, a citation from the index), preview it per channel, choose
topics and commune, see how many subscribers it reaches, send it through the outbox, follow delivery."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.preview import fits, preview
from bot.compose import subscription_topics
from bot.core.models import Citation
from bot.core.pii import mask_pii
from bot.core.subscriptions import Topic
from bot.desk import texts
from bot.desk.articles import article_view
from bot.desk.context import Desk, client_ip, current_staff, desk_of, int_param, redirect
from bot.desk.csrf import checked_form
from bot.desk.render import page
from bot.kb.faq_writer import field_of
from bot.storage.bulletins import (
    BULLETIN_CHANNELS,
    MAX_TITLE,
    BulletinDraft,
    BulletinStore,
    BulletinView,
    TooLong,
)
from bot.storage.outbox import Outbox

MAX_BODY = 20_000  # far above any channel's limit: the preview says by how much it is over
MAX_COMMUNE = 100
_CLAUSE = re.compile(r"[0-9]{1,3}")
NOT_CURRENT = ("expired", "suspended")  # an article (its document) no longer, or not today, the law to follow


def _store(desk: Desk) -> BulletinStore:
    store: BulletinStore = desk.cache.setdefault("bulletins", BulletinStore(desk.db, clock=desk.clock))
    return store


def _topics(desk: Desk) -> list[Topic]:
    topics: Callable[[], list[Topic]] = desk.cache.setdefault("topics", subscription_topics(desk.settings))
    return topics()


def resolve_citation(lookup: Callable[[str], Any] | None, article_id: str, clause: str) -> dict[str, Any] | None:
    """The citation of an article of the index ({"article_id", "clause", "label"}), or None if it is not there."""
    if lookup is None or not article_id:
        return None
    found = lookup(article_id)
    if found is None:
        return None
    label = Citation(
        article_id=str(field_of(found, "article_id", "id") or article_id),
        doc_number=str(field_of(found, "doc_number") or ""),
        article=str(field_of(found, "article", "number") or ""),
        doc_title=str(field_of(found, "doc_title") or ""),
        doc_type=str(field_of(found, "doc_type") or ""),
        clause=clause or None,
    ).label()
    resolved: dict[str, Any] = {"article_id": article_id, "clause": clause or None, "label": label}
    status = article_view(article_id, found).status
    if status in NOT_CURRENT:
        resolved["not_current"] = status  # check_draft refuses it: never stored
    return resolved


def check_draft(
    draft: BulletinDraft, known_topics: Sequence[Topic], *, article_id: str = "", clause: str = ""
) -> list[str]:
    """What keeps a draft from being saved (Vietnamese, for staff); the citation is checked by the caller."""
    problems = []
    if not draft.title.strip() or len(draft.title) > MAX_TITLE:
        problems.append(texts.BULLETIN_PROBLEM["title"].format(max=MAX_TITLE))
    if not draft.body.strip():
        problems.append(texts.BULLETIN_PROBLEM["body"])
    if not draft.topics:
        problems.append(texts.BULLETIN_PROBLEM["topics"])
    unknown = [t for t in draft.topics if t not in {k.slug for k in known_topics}]
    if unknown:
        problems.append(texts.BULLETIN_PROBLEM["unknown_topic"].format(topics=", ".join(unknown)))
    if not draft.channels:
        problems.append(texts.BULLETIN_PROBLEM["channels"])
    if draft.commune and len(draft.commune) > MAX_COMMUNE:
        problems.append(texts.BULLETIN_PROBLEM["commune"].format(max=MAX_COMMUNE))
    if clause and not _CLAUSE.fullmatch(clause):
        problems.append(texts.BULLETIN_PROBLEM["clause"])
    # a bulletin reaches many people: nobody's phone or ID number may be in it
    if mask_pii(draft.title) != draft.title or mask_pii(draft.body) != draft.body:
        problems.append(texts.BULLETIN_PROBLEM["personal"])
    if article_id and draft.citation is None:
        problems.append(texts.BULLETIN_PROBLEM["citation"].format(article_id=article_id))
    elif draft.citation is not None and draft.citation.get("not_current"):
        # a bulletin reaches many people: never a rule expired or suspended today as the law to follow
        problems.append(texts.BULLETIN_PROBLEM["not_current"].format(article_id=article_id))
    return problems


def too_long_message(exc: TooLong) -> str:
    channel = {"telegram": "Telegram", "zalo": "Zalo"}.get(exc.channel, exc.channel)
    return texts.BULLETIN_TOO_LONG.format(length=exc.length, limit=exc.limit, channel=channel,
                                          over=exc.length - exc.limit)


def _form_text(form: FormData, name: str, max_length: int) -> str:
    value = form.get(name)
    return value[:max_length] if isinstance(value, str) else ""


def _draft_from(desk: Desk, form: FormData) -> tuple[BulletinDraft, list[str], dict[str, str]]:
    """The draft a form describes, its problems, and the raw fields (to show the form again)."""
    raw = {
        "title": _form_text(form, "title", MAX_TITLE + 1).strip(),
        "body": _form_text(form, "body", MAX_BODY).replace("\r\n", "\n").strip(),
        "commune": " ".join(_form_text(form, "commune", MAX_COMMUNE + 1).split()),
        "article_id": _form_text(form, "article_id", 255).strip(),
        "clause": _form_text(form, "clause", 8).strip(),
    }
    topics = tuple(dict.fromkeys(str(t) for t in form.getlist("topic") if isinstance(t, str)))
    channels = tuple(c for c in BULLETIN_CHANNELS if c in form.getlist("channel"))
    citation = resolve_citation(desk.lookup_article if desk.article_lookup else None,
                                raw["article_id"], raw["clause"]) if raw["article_id"] else None
    draft = BulletinDraft(raw["title"], raw["body"], topics, raw["commune"] or None, channels, citation)
    problems = check_draft(draft, _topics(desk), article_id=raw["article_id"], clause=raw["clause"])
    return draft, problems, raw


def _raw_of(draft: BulletinDraft) -> dict[str, str]:
    c = draft.citation or {}
    return {"title": draft.title, "body": draft.body, "commune": draft.commune or "",
            "article_id": str(c.get("article_id") or ""), "clause": str(c.get("clause") or "")}


# --- pages ------------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    desk = desk_of(request)
    items = await desk.run(_store(desk).recent)
    topics = await desk.run(_topics, desk)
    return await page(request, "bulletins.html", nav="bulletins", items=items, topics=topics,
                      names={t.slug: t.name for t in topics}, raw={}, chosen=(), channels=BULLETIN_CHANNELS,
                      problems=[])


async def create(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    me = current_staff(request)
    draft, problems, raw = await desk.run(_draft_from, desk, form)
    if problems:
        items = await desk.run(_store(desk).recent)
        topics = await desk.run(_topics, desk)
        return await page(request, "bulletins.html", status_code=400, nav="bulletins", items=items,
                          topics=topics, names={t.slug: t.name for t in topics}, raw=raw,
                          chosen=draft.topics, channels=draft.channels, problems=problems)
    bulletin_id = await desk.run(lambda: _store(desk).create(draft, created_by=me.id))
    await desk.run(desk.staff.audit, me.id, "bulletin_create", f"bulletin:{bulletin_id}",
                   {"topics": list(draft.topics), "commune": draft.commune}, client_ip(request))
    return redirect(request, f"/bulletins/{bulletin_id}", ok="bulletin_saved")


async def _show(request: Request, view: BulletinView, *, status_code: int = 200, problems: Sequence[str] = (),
                draft: BulletinDraft | None = None, raw: dict[str, str] | None = None) -> Response:
    desk = desk_of(request)
    shown = draft or view.draft
    topics = await desk.run(_topics, desk)
    previews = [preview(c, shown.text) for c in shown.channels]
    reach = await desk.run(_store(desk).recipient_counts, shown) if view.status == "draft" else {}
    return await page(
        request, "bulletin.html", status_code=status_code, nav="bulletins", b=view, d=shown,
        previews=previews, reach=reach, topics=topics, names={t.slug: t.name for t in topics},
        raw=raw or _raw_of(shown), chosen=shown.topics, channels=shown.channels, problems=list(problems),
        can_send=view.status == "draft" and all(p.fits for p in previews) and sum(reach.values()) > 0,
    )


async def _view(request: Request) -> BulletinView:
    desk = desk_of(request)
    view = await desk.run(_store(desk).get, int_param(request, "bulletin_id"))
    if view is None:
        raise HTTPException(404)
    return view


async def show(request: Request) -> Response:
    return await _show(request, await _view(request))


async def edit(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    me = current_staff(request)
    view = await _view(request)
    if view.status != "draft":
        return redirect(request, f"/bulletins/{view.id}", err="bulletin_sent_already")
    draft, problems, raw = await desk.run(_draft_from, desk, form)
    if problems:
        return await _show(request, view, status_code=400, problems=problems, draft=draft, raw=raw)
    if not await desk.run(_store(desk).update, view.id, draft):
        return redirect(request, f"/bulletins/{view.id}", err="bulletin_sent_already")
    await desk.run(desk.staff.audit, me.id, "bulletin_edit", f"bulletin:{view.id}", None, client_ip(request))
    return redirect(request, f"/bulletins/{view.id}", ok="bulletin_saved")


async def send(request: Request) -> Response:
    """Queue the bulletin for its subscribers; a second click (or a retry) adds nobody twice."""
    desk = desk_of(request)
    await checked_form(request)
    me = current_staff(request)
    view = await _view(request)
    was_queued = view.status != "draft"
    outbox = Outbox(desk.db, clock=desk.clock)
    try:
        added = await desk.run(_store(desk).queue, view.id, outbox, fits)
    except TooLong as exc:
        return await _show(request, view, status_code=400, problems=[too_long_message(exc)])
    await desk.run(desk.staff.audit, me.id, "bulletin_send", f"bulletin:{view.id}",
                   {"queued": added, "again": was_queued}, client_ip(request))
    return redirect(request, f"/bulletins/{view.id}", ok="bulletin_already" if was_queued else "bulletin_queued")


routes = [
    Route("/bulletins", index, methods=["GET"], name="bulletins"),
    Route("/bulletins", create, methods=["POST"]),
    Route("/bulletins/{bulletin_id:int}", show, methods=["GET"], name="bulletin"),
    Route("/bulletins/{bulletin_id:int}", edit, methods=["POST"]),
    Route("/bulletins/{bulletin_id:int}/send", send, methods=["POST"]),
]
