"""'Lưu thành FAQ': staff propose an answer as a FAQ entry; an admin checks, edits and approves it.

Approval stores the entry in the database (in the approval's transaction) and calls `on_faq_approved()`,
so this worker reindexes only the FAQ part at once; the other workers notice the new entry by polling
(bot.storage.faq_entries.FaqEntryStore.version) and reload their FAQ without a restart.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.desk import params, texts
from bot.desk.articles import article_view, article_views
from bot.desk.context import Desk, client_ip, current_staff, desk_of, int_param, redirect
from bot.desk.csrf import checked_form
from bot.desk.queries import ProposalDecided, decide_proposal, record_ticket_event
from bot.desk.render import page
from bot.kb.faq_writer import (
    FaqDraft,
    FaqFileError,
    check_draft,
    prepare_questions,
    publish_entry,
    register_numbers,
    taken_ids,
)
from bot.storage.faq_proposals import Proposal
from bot.storage.staff import StaffAccount
from bot.storage.statuses import ProposalStatus

log = logging.getLogger(__name__)

MAX_TEXT = 4000
MAX_CITATIONS = 12


def _citations(desk: Desk, form: FormData) -> list[dict[str, Any]]:
    """Citations from the ticked sources plus ids typed one per line, described from the index."""
    ids = [str(v).strip() for v in form.getlist("article_id")]
    ids += [line.strip() for line in str(form.get("extra_ids") or "").splitlines()]
    citations = []
    for article_id in dict.fromkeys(i for i in ids if i and len(i) <= 255):
        view = article_view(article_id, desk.lookup_article(article_id))
        citation = view.citation() if view.found else {"article_id": article_id}
        clause = str(form.get(f"clause:{article_id}") or "").strip()[:8]
        if clause:
            citation["clause"] = clause
        citations.append(citation)
    return citations[:MAX_CITATIONS]


async def propose(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    ticket_id = int_param(request, "ticket_id")
    me = current_staff(request)
    detail = await desk.run(desk.tickets.get, ticket_id, max_messages=1)
    if detail is None:
        raise HTTPException(404)
    question = str(form.get("question") or "").strip()
    answer = str(form.get("answer") or "").strip().replace("\r\n", "\n")
    if not question or not answer:
        return redirect(request, f"/tickets/{ticket_id}", err="faq_incomplete")
    if len(question) > MAX_TEXT or len(answer) > MAX_TEXT:
        return redirect(request, f"/tickets/{ticket_id}", err="too_long")
    citations = await desk.run(_citations, desk, form)
    proposal_id = await desk.run(
        lambda: desk.proposals.propose(
            question, answer, citations, me.id, ticket_id=ticket_id, topic=detail.row.category
        )
    )
    await desk.run(
        record_ticket_event, desk.db, ticket_id, "faq_proposed", me.id,
        {"proposal_id": proposal_id}, clock=desk.clock,
    )
    await desk.run(
        desk.staff.audit, me.id, "faq_propose", f"faq_proposal:{proposal_id}",
        {"ticket_id": ticket_id}, client_ip(request),
    )
    return redirect(request, f"/tickets/{ticket_id}", ok="faq_proposed")


async def proposals(request: Request) -> Response:
    desk = desk_of(request)
    status = params.choice(params.query(request), "status", texts.FAQ_STATUS, "pending")
    items = await desk.run(desk.proposals.list, status)
    return await page(
        request, "faq_list.html", nav="faq", items=items, status=status
    )


def _draft_from(proposal: Proposal) -> FaqDraft:
    return FaqDraft(
        questions=prepare_questions([proposal.question]),
        answer=proposal.answer,
        citations=list(proposal.citations),
    )


async def _review_page(
    request: Request, proposal: Proposal, draft: FaqDraft, problems: list[str], status_code: int = 200
) -> Response:
    desk = desk_of(request)
    ids = [str(c.get("article_id") or "") for c in draft.citations]
    if proposal.ticket_id is not None:
        detail = await desk.run(desk.tickets.get, proposal.ticket_id, max_messages=1)
        if detail is not None:
            ids += [a for a, _ in detail.sources]
    candidates = await desk.run(article_views, desk, [i for i in ids if i])
    chosen = {str(c.get("article_id")): c for c in draft.citations}
    return await page(
        request,
        "faq_review.html",
        status_code=status_code,
        nav="faq",
        p=proposal,
        draft=draft,
        problems=problems,
        candidates=candidates,
        chosen=chosen,
        faq_slug=desk.faq_file.stem,
    )


async def _proposal(request: Request) -> Proposal:
    desk = desk_of(request)
    proposal = await desk.run(desk.proposals.get, int_param(request, "proposal_id"))
    if proposal is None:
        raise HTTPException(404)
    return proposal


async def review(request: Request) -> Response:
    proposal = await _proposal(request)
    draft = _draft_from(proposal)
    desk = desk_of(request)
    problems = (
        await desk.run(_check, desk, draft) if proposal.status == ProposalStatus.PENDING else []
    )
    return await _review_page(request, proposal, draft, problems)


def _check(desk: Desk, draft: FaqDraft) -> list[str]:
    register = register_numbers(desk.settings.documents_register)
    return check_draft(draft, desk.lookup_article if desk.article_lookup else None, register)


def _reviewer(account: StaffAccount) -> str:
    return account.display_name or account.email


async def approve(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    proposal = await _proposal(request)
    me = current_staff(request)
    if proposal.status != ProposalStatus.PENDING:
        return redirect(request, "/admin/faq", ok="faq_decided")
    draft = FaqDraft(
        questions=prepare_questions(str(form.get("questions") or "").splitlines()),
        answer=str(form.get("answer") or "").strip().replace("\r\n", "\n")[:MAX_TEXT],
        citations=await desk.run(_citations, desk, form),
    )
    problems = await desk.run(_check, desk, draft)
    if problems:
        return await _review_page(request, proposal, draft, problems, status_code=400)
    today = desk.now().date()
    taken = await desk.run(taken_ids, desk.faq_file)

    def publish(session: Session) -> str:
        return publish_entry(
            session, draft, slug=desk.faq_file.stem, reviewed_by=_reviewer(me), reviewed_at=today,
            taken=taken, approved_by=me.id, proposal_id=proposal.id,
        )

    try:
        faq_id = await desk.run(
            lambda: decide_proposal(
                desk.db,
                proposal.id,
                me.id,
                approve=True,
                clock=desk.clock,
                edits={
                    "question": draft.questions[0],
                    "answer": draft.answer,
                    "citations": draft.citations,
                },
                publish=publish,
            )
        )
    except ProposalDecided:
        return redirect(request, "/admin/faq", ok="faq_decided")
    except FaqFileError as exc:  # the knowledge base schema refused it: nothing was written
        log.warning("FAQ entry refused by the schema: %s", exc)
        return await _review_page(request, proposal, draft, [str(exc)], status_code=400)
    await desk.run(
        desk.staff.audit, me.id, "faq_approve", f"faq_proposal:{proposal.id}",
        {"faq_id": faq_id}, client_ip(request),
    )
    notice = "faq_approved"
    if desk.on_faq_approved is not None:
        try:
            await desk.call_hook(desk.on_faq_approved)
        except Exception:
            log.exception("reloading the FAQ after approving proposal %s failed", proposal.id)
            notice = "faq_approved_no_reload"
    return redirect(request, "/admin/faq", ok=notice)


async def reject(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    proposal = await _proposal(request)
    me = current_staff(request)
    note = str(form.get("note") or "").strip()[:1000] or None
    try:
        await desk.run(
            lambda: decide_proposal(
                desk.db, proposal.id, me.id, approve=False, note=note, clock=desk.clock
            )
        )
    except ProposalDecided:
        return redirect(request, "/admin/faq", ok="faq_decided")
    await desk.run(
        desk.staff.audit, me.id, "faq_reject", f"faq_proposal:{proposal.id}", None, client_ip(request)
    )
    return redirect(request, "/admin/faq", ok="faq_rejected")


routes = [
    Route("/tickets/{ticket_id:int}/faq", propose, methods=["POST"]),
    Route("/admin/faq", proposals, methods=["GET"], name="faq_list"),
    Route("/admin/faq/{proposal_id:int}", review, methods=["GET"], name="faq_review"),
    Route("/admin/faq/{proposal_id:int}/approve", approve, methods=["POST"]),
    Route("/admin/faq/{proposal_id:int}/reject", reject, methods=["POST"]),
]
