"""Approved FAQ proposals -> an entry in the database (the YAML schema), checked as `lawbot kb check` does.

The schema and the number check are the knowledge base's own (retrieval.faq, retrieval.faq_check), so an
approved entry exported as YAML never breaks the checker. The entry is written in the approval's own
transaction (bot.storage.faq_entries): every worker sees it, the FAQ folder may stay read-only, and two
admins approving at once do not lose an entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.core.pii import mask_pii
from bot.kb import texts
from bot.storage.db import Database
from bot.storage.faq_entries import FaqEntryRow, FaqEntryStore, add_entry
from retrieval.faq import (
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    Problem,
    read_faq_file,
    record_from_entry,
)
from retrieval.faq import (
    FaqRecord as FaqRecord,  # the desk's FAQ review reads records through bot.kb
)
from retrieval.faq import read_faq as read_faq
from retrieval.faq_check import missing_numbers as missing_numbers
from retrieval.normalize import has_diacritics, strip_diacritics
from retrieval.register import RegisterError, load_register, normalize_doc_number

MIN_ANSWER, MAX_ANSWER = 20, 1000  # the knowledge base asks for about 700 characters


@dataclass
class FaqDraft:
    questions: list[str]
    answer: str
    citations: list[dict[str, Any]] = field(default_factory=list)


def prepare_questions(lines: Iterable[str]) -> list[str]:
    """Trimmed, de-duplicated variants; adds one without diacritics when none is, as the FAQ schema asks."""
    seen: set[str] = set()
    questions: list[str] = []
    for line in lines:
        q = " ".join(line.split())
        if q and q.casefold() not in seen:
            seen.add(q.casefold())
            questions.append(q)
    if questions and all(has_diacritics(q) for q in questions):
        questions.insert(1, strip_diacritics(questions[0]).lower())
    return questions[:MAX_QUESTIONS]


def field_of(obj: Any, *names: str) -> Any:
    """A field of an article given as a dict or as an object (the index may hand either)."""
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return None


def register_numbers(path: Path | None) -> set[str] | None:
    """Normalised document numbers of the register, or None when there is no register to check."""
    if path is None or not path.is_file():
        return None
    try:
        return set(load_register(path))
    except RegisterError:
        return None  # the register's own check reports it; do not block approvals on it


def check_draft(
    draft: FaqDraft,
    lookup: Callable[[str], Any] | None,
    register: set[str] | None,
) -> list[str]:
    """Problems that keep the entry out of the FAQ (Vietnamese, for the admin)."""
    problems: list[str] = []
    # a FAQ is published to everyone: no citizen's phone or CCCD number may end up in it
    if any(mask_pii(t) != t for t in [*draft.questions, draft.answer]):
        problems.append(texts.FAQ_CHECK["personal"])
    if not MIN_QUESTIONS <= len(draft.questions) <= MAX_QUESTIONS:
        problems.append(texts.FAQ_CHECK["questions"])
    if not MIN_ANSWER <= len(draft.answer.strip()) <= MAX_ANSWER:
        problems.append(texts.FAQ_CHECK["answer"])
    if not draft.citations:
        problems.append(texts.FAQ_CHECK["citations"])
        return problems
    if register is not None:
        unknown = sorted(
            {
                str(c.get("doc_number") or "")
                for c in draft.citations
                if normalize_doc_number(str(c.get("doc_number") or "")) not in register
            }
        )
        if unknown:
            problems.append(texts.FAQ_CHECK["unknown_document"].format(docs=", ".join(unknown)))
    if lookup is None:
        return problems
    cited: list[str] = []
    missing: list[str] = []
    for c in draft.citations:
        article = lookup(str(c.get("article_id") or ""))
        if article is None:
            missing.append(str(c.get("article_id")))
        else:
            cited.append(str(field_of(article, "text") or ""))
    if missing:
        problems.append(texts.FAQ_CHECK["unknown_article"].format(ids=", ".join(missing)))
        return problems
    absent = missing_numbers(draft.answer, cited)
    if absent:
        problems.append(texts.FAQ_CHECK["numbers"].format(numbers=", ".join(absent)))
    return problems


def _entry(draft: FaqDraft, entry_id: str, reviewed_by: str, reviewed_at: dt.date) -> dict[str, Any]:
    citations = []
    for c in draft.citations:
        item = {"doc_number": str(c.get("doc_number") or ""), "article": str(c.get("article") or "")}
        if c.get("clause"):
            item["clause"] = str(c["clause"])
        item["article_id"] = str(c.get("article_id") or "")
        citations.append(item)
    return {
        "id": entry_id,
        "questions": list(draft.questions),
        "answer": draft.answer.strip().replace("\r\n", "\n"),
        "citations": citations,
        "note": None,
        "reviewed_by": reviewed_by,
        "reviewed_at": reviewed_at.isoformat(),
    }


class FaqFileError(RuntimeError):
    """The new entry breaks the knowledge base schema (nothing was written)."""


def taken_ids(faq_file: Path) -> list[str]:
    """Ids in the YAML file desk approvals went to before they moved to the database (read only):
    new entries continue its numbering, so those entries keep working beside the new ones."""
    if not faq_file.is_file():
        return []
    return [r.id for r in read_faq_file(faq_file, [])]


def publish_entry(
    session: Session,
    draft: FaqDraft,
    *,
    slug: str,
    reviewed_by: str,
    reviewed_at: dt.date,
    taken: Iterable[str] = (),
    approved_by: int | None = None,
    proposal_id: int | None = None,
    topic: str = texts.FAQ_FILE_TOPIC,
) -> str:
    """Store the approved entry in the database inside the caller's transaction; returns its id
    (`<slug>-NNN`). The entry is checked with the knowledge base's own schema first, so exporting it
    as YAML never gives a file `lawbot kb check` refuses."""

    def check(entry: dict[str, Any]) -> None:
        problems: list[Problem] = []
        record = record_from_entry(entry, topic, slug, "database", problems)
        errors = [p for p in problems if p.level == "error"]
        if errors or record is None:
            raise FaqFileError("; ".join(str(p) for p in errors) or "invalid entry")

    entry = _entry(draft, "", reviewed_by, reviewed_at)
    del entry["id"]
    return add_entry(
        session, entry, slug=slug, topic=topic, taken=taken, approved_by=approved_by,
        proposal_id=proposal_id, check=check,
    )


def database_records(rows: Iterable[FaqEntryRow]) -> list[FaqRecord]:
    """Approved entries from the database as knowledge-base records (export, the desk's review page)."""
    records = []
    for row in rows:
        record = record_from_entry(row.yaml_entry(), row.topic, row.slug, "database", [])
        if record is not None:
            records.append(record)
    return records


def stored_faq_records(db: Database) -> list[FaqRecord]:
    """The entries approved in the desk and not retired, as knowledge-base records (for `kb export`)."""
    return database_records(FaqEntryStore(db).all())
