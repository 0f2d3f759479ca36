"""Desk-approved FAQ entries in the database: added in the approval transaction, retired, polled for changes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.db import Database, affected
from bot.storage.schema import ApprovedFaq, utcnow

# two admins approving at once may pick the same next number: the primary key refuses the second,
# which takes the next one (a handful of tries is plenty for a desk)
_ID_TRIES = 8


@dataclass(frozen=True)
class FaqEntryRow:
    """One approved entry; `yaml_entry()` is its form in a knowledge_base/faq file."""

    id: str
    slug: str
    topic: str
    questions: list[str]
    answer: str
    citations: list[dict[str, Any]]
    note: str | None
    reviewed_by: str | None
    reviewed_at: dt.date | None
    approved_by: int | None
    proposal_id: int | None
    retired: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    def yaml_entry(self) -> dict[str, Any]:
        """The entry as a FAQ YAML file holds it (the schema of retrieval.faq, key order included)."""
        return {
            "id": self.id,
            "questions": list(self.questions),
            "answer": self.answer,
            "citations": [dict(c) for c in self.citations],
            "note": self.note,
            "reviewed_by": self.reviewed_by,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
        }


def _row(r: ApprovedFaq) -> FaqEntryRow:
    return FaqEntryRow(
        r.id, r.slug, r.topic, list(r.questions or []), r.answer, list(r.citations or []), r.note,
        r.reviewed_by, r.reviewed_at, r.approved_by, r.proposal_id, bool(r.retired), r.created_at,
        r.updated_at,
    )


def _number(entry_id: str, slug: str) -> int | None:
    found = re.fullmatch(re.escape(slug) + r"-(\d{3,})", entry_id)
    return int(found.group(1)) if found else None


def add_entry(
    s: Session,
    entry: dict[str, Any],
    *,
    slug: str,
    topic: str,
    taken: Iterable[str] = (),
    approved_by: int | None = None,
    proposal_id: int | None = None,
    now: dt.datetime | None = None,
    check: Callable[[dict[str, Any]], None] | None = None,
) -> str:
    """Insert `entry` (YAML form, without id) inside the caller's transaction; returns its new id.

    The id is `<slug>-NNN`, after every id of that slug in the database and in `taken` (entries
    approved into a YAML file before the FAQ moved to the database keep theirs). `check(entry)`
    validates the entry with its id (it raises to refuse it; nothing is written then).
    """
    now = now or utcnow()
    used = {n for i in taken if (n := _number(i, slug)) is not None}
    for _ in range(_ID_TRIES):
        ids = s.scalars(sa.select(ApprovedFaq.id).where(ApprovedFaq.slug == slug))
        numbers = used | {n for i in ids if (n := _number(i, slug)) is not None}
        entry_id = f"{slug}-{max(numbers, default=0) + 1:03d}"
        full = {**entry, "id": entry_id}
        if check is not None:
            check(full)
        reviewed_at = full.get("reviewed_at")
        try:
            with s.begin_nested():  # a savepoint: a clash on the id rolls back only this insert
                s.add(
                    ApprovedFaq(
                        id=entry_id,
                        slug=slug,
                        topic=topic,
                        questions=list(full["questions"]),
                        answer=str(full["answer"]),
                        citations=list(full["citations"]),
                        note=full.get("note"),
                        reviewed_by=full.get("reviewed_by"),
                        reviewed_at=dt.date.fromisoformat(reviewed_at) if reviewed_at else None,
                        approved_by=approved_by,
                        proposal_id=proposal_id,
                        retired=False,
                        created_at=now,
                        updated_at=now,
                    )
                )
                s.flush()
        except IntegrityError:
            continue  # another admin took this number a moment ago: take the next
        return entry_id
    raise RuntimeError(f"no free FAQ id for {slug!r} after {_ID_TRIES} tries")


class FaqEntryStore:
    """The approved entries every worker serves (beside the shipped YAML files)."""

    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def all(self, *, include_retired: bool = False) -> list[FaqEntryRow]:
        with self.db.session(readonly=True) as s:
            query = sa.select(ApprovedFaq).order_by(ApprovedFaq.slug, ApprovedFaq.id)
            if not include_retired:
                query = query.where(ApprovedFaq.retired.is_(False))
            return [_row(r) for r in s.scalars(query)]

    def get(self, entry_id: str) -> FaqEntryRow | None:
        with self.db.session(readonly=True) as s:
            r = s.get(ApprovedFaq, entry_id)
            return _row(r) if r is not None else None

    def version(self) -> tuple[int, str]:
        """Changes whenever an entry is approved or retired (cheap: every worker polls it)."""
        with self.db.session(readonly=True) as s:
            n, last = s.execute(sa.select(sa.func.count(), sa.func.max(ApprovedFaq.updated_at))).one()
        return int(n or 0), str(last or "")

    def set_retired(self, entry_id: str, retired: bool) -> bool:
        """Retire (or bring back) an approved entry; False when the database holds no such entry."""
        with self.db.session() as s:
            result = s.execute(
                sa.update(ApprovedFaq)
                .where(ApprovedFaq.id == entry_id)
                .values(retired=retired, updated_at=self.clock())
            )
            return affected(result) > 0
