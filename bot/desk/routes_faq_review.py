"""FAQ review page: staff approve, edit (answer text) or retire the vetted FAQ entries; state lives in the database."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.pii import mask_pii
from bot.desk import params, texts
from bot.desk.context import Desk, client_ip, current_staff, desk_of, redirect
from bot.desk.csrf import checked_form
from bot.desk.render import page
from bot.kb import texts as kb_texts
from bot.kb.faq_writer import (
    MAX_ANSWER,
    MIN_ANSWER,
    FaqRecord,
    database_records,
    field_of,
    missing_numbers,
    read_faq,
)
from bot.storage.faq_reviews import (
    STATES,
    UNREVIEWED,
    FaqReviewRow,
    FaqReviewStore,
    approval_lapsed,
    state_of,
)

PAGE_SIZE = 20
_ENTRY_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-\d{3,}$")
_CACHE_KEY = "faq_records"


@dataclass(frozen=True)
class ReviewItem:
    record: FaqRecord
    state: str
    row: FaqReviewRow | None

    @property
    def answer(self) -> str:
        """The answer to show: the edited one when staff edited it (and the approval still holds)."""
        if self.row and self.row.edited_answer and not self.lapsed:
            return self.row.edited_answer
        return self.record.answer

    @property
    def edited(self) -> bool:
        return bool(self.row and self.row.edited_answer)

    @property
    def lapsed(self) -> bool:
        """Approved in the desk, but the writers changed the YAML answer since: to review again."""
        return approval_lapsed(self.record, self.row)


def faq_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the FAQ files: changes when a writer saves one."""
    out = []
    for path in sorted(folder.glob("*.y*ml")):
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


def yaml_records(desk: Desk) -> list[FaqRecord]:
    """The FAQ entries of settings.faq_dir, re-read only when a file changed (the writers edit them)."""
    folder = Path(desk.settings.faq_dir)
    signature = faq_signature(folder)
    cached = desk.cache.get(_CACHE_KEY)
    if cached is not None and cached[0] == signature:
        records: list[FaqRecord] = cached[1]
        return records
    records, _problems = read_faq(folder) if folder.is_dir() else ([], [])
    desk.cache[_CACHE_KEY] = (signature, records)
    return records


def faq_records(desk: Desk) -> list[FaqRecord]:
    """The shipped YAML entries and the entries approved in the desk (the database's win on the same id),
    retired ones included so that staff can bring them back."""
    stored = database_records(desk.faq_entries.all(include_retired=True))
    ids = {r.id for r in stored}
    return [r for r in yaml_records(desk) if r.id not in ids] + stored


def _store(desk: Desk) -> FaqReviewStore:
    if desk.faq_reviews is None:  # pragma: no cover - build_desk always makes one
        raise RuntimeError("the desk has no FAQ review store")
    return desk.faq_reviews


def _items(desk: Desk) -> list[ReviewItem]:
    rows = _store(desk).all()
    return [ReviewItem(r, state_of(r, rows.get(r.id)), rows.get(r.id)) for r in faq_records(desk)]


def _filters(request: Request) -> tuple[str, str, int]:
    return _state_topic_page(params.query(request))


def _state_topic_page(source: Mapping[str, Any]) -> tuple[str, str, int]:
    state = params.choice(source, "state", STATES, UNREVIEWED)
    topic = params.text(source, "topic", max_length=200)
    number = params.integer(source, "page", 1, lo=1, hi=100_000)
    return state, topic, number


async def _render(
    request: Request,
    state: str,
    topic: str,
    number: int,
    problems: dict[str, list[str]] | None = None,
    drafts: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    desk = desk_of(request)
    items = await desk.run(_items, desk)
    counts = {s: sum(1 for i in items if i.state == s) for s in STATES}
    in_state = [i for i in items if i.state == state]
    topics: dict[str, int] = {}
    for i in in_state:
        topics[i.record.topic] = topics.get(i.record.topic, 0) + 1
    shown = [i for i in in_state if not topic or i.record.topic == topic]
    pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
    number = min(number, pages)
    return await page(
        request,
        "faq_reviews.html",
        status_code=status_code,
        nav="faq_review",
        state=state,
        topic=topic,
        topics=sorted(topics.items()),
        counts=counts,
        items=shown[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        total=len(shown),
        page_no=number,
        pages=pages,
        query=urlencode({"state": state, "topic": topic}),
        problems=problems or {},
        drafts=drafts or {},
    )


async def review_list(request: Request) -> Response:
    state, topic, number = _filters(request)
    return await _render(request, state, topic, number)


def _answer_problems(desk: Desk, record: FaqRecord, answer: str) -> list[str]:
    """Why an edited answer cannot be served: length, a citizen's personal numbers, numbers the cited law lacks."""
    problems: list[str] = []
    if mask_pii(answer) != answer:
        problems.append(kb_texts.FAQ_CHECK["personal"])
    if not MIN_ANSWER <= len(answer) <= MAX_ANSWER:
        problems.append(kb_texts.FAQ_CHECK["answer"])
    cited = []
    for c in record.citations:
        article = desk.lookup_article(c.article_id or "")
        if article is not None:
            cited.append(str(field_of(article, "text") or ""))
    if cited:  # without law texts in the index the numbers cannot be checked here (`lawbot kb check` does)
        years = {m.group(1) for c in record.citations if (m := re.match(r"\d+/(\d{4})/", c.doc_number))}
        absent = missing_numbers(answer, cited, allowed=years)
        if absent:
            problems.append(kb_texts.FAQ_CHECK["numbers"].format(numbers=", ".join(absent)))
    return problems


async def decide(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    me = current_staff(request)
    entry_id = str(request.path_params["entry_id"])
    if not _ENTRY_ID_RE.match(entry_id) or len(entry_id) > 128:
        raise HTTPException(404)
    state, topic, number = _state_topic_page(form)
    back = f"/faq/review?{urlencode({'state': state, 'topic': topic, 'page': number})}"
    records = {r.id: r for r in await desk.run(faq_records, desk)}
    record = records.get(entry_id)
    if record is None:
        raise HTTPException(404, texts.FAQ_REVIEW_UNKNOWN.format(entry_id=entry_id))
    action = str(form.get("action") or "")
    store = _store(desk)
    detail: dict[str, Any] = {}
    if action == "approve":
        answer = str(form.get("answer") or "").replace("\r\n", "\n").strip()
        edited = answer if answer and answer != record.answer.strip() else None
        if edited is not None:
            problems = await desk.run(_answer_problems, desk, record, edited)
            if problems:
                return await _render(
                    request, state, topic, number, {entry_id: problems}, {entry_id: answer}, status_code=400
                )
        await desk.run(lambda: store.approve(entry_id, me.email, edited, reviewed_answer=record.answer))
        await desk.run(desk.faq_entries.set_retired, entry_id, False)
        audit = "faq_review_edit" if edited else "faq_review_approve"
        detail = {"edited": edited is not None}
    elif action == "retire":
        await desk.run(store.retire, entry_id, me.email)
        # a desk-approved entry is marked in its own row too: exports leave it out, workers reload
        await desk.run(desk.faq_entries.set_retired, entry_id, True)
        audit = "faq_review_retire"
    elif action == "reopen":
        await desk.run(store.reopen, entry_id, me.email)
        await desk.run(desk.faq_entries.set_retired, entry_id, False)
        audit = "faq_review_reopen"
    else:
        raise HTTPException(400)
    await desk.run(desk.staff.audit, me.id, audit, f"faq:{entry_id}", detail or None, client_ip(request))
    return redirect(request, back, ok=audit)


routes = [
    Route("/faq/review", review_list, methods=["GET"], name="faq_review_list"),
    Route("/faq/review/{entry_id:str}", decide, methods=["POST"], name="faq_review_decide"),
]
