"""FAQ review state in the database (approve, edit, retire) and which entries may be served."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.db import Database
from bot.storage.schema import FaqReview, utcnow

UNREVIEWED, APPROVED, RETIRED = "unreviewed", "approved", "retired"
STATES = (UNREVIEWED, APPROVED, RETIRED)
MAX_ENTRY_ID = 128

E = TypeVar("E")


@dataclass(frozen=True)
class FaqReviewRow:
    """What staff decided about one entry (no row = nothing decided in the desk yet)."""

    entry_id: str
    state: str
    reviewer_email: str | None
    reviewed_at: dt.datetime | None
    edited_answer: str | None
    updated_at: dt.datetime
    answer_sha: str | None = None  # the YAML answer the decision was made on (see answer_sha())


def _row(r: FaqReview) -> FaqReviewRow:
    return FaqReviewRow(
        r.entry_id, r.state, r.reviewer_email, r.reviewed_at, r.edited_answer, r.updated_at, r.answer_sha
    )


def answer_sha(answer: str) -> str:
    """Fingerprint of an answer as written in the YAML (Unicode form, surrounding space and line endings ignored)."""
    text = unicodedata.normalize("NFC", answer).strip().replace("\r\n", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def approval_lapsed(entry: Any, row: FaqReviewRow | None) -> bool:
    """True when the entry was approved in the desk but its YAML answer changed since."""
    return (
        row is not None
        and row.state == APPROVED
        and row.answer_sha is not None
        and row.answer_sha != answer_sha(str(getattr(entry, "answer", "") or ""))
    )


def reviewed_in_yaml(entry: Any) -> bool:
    """A shipped entry counts as reviewed when its YAML names a reviewer or a review date."""
    return bool(getattr(entry, "reviewed_by", None) or getattr(entry, "reviewed_at", None))


def state_of(entry: Any, row: FaqReviewRow | None) -> str:
    """The entry's state: the desk's decision when there is one (an approval lapses when the YAML
    answer changed after it), otherwise what its YAML says."""
    if approval_lapsed(entry, row):
        return UNREVIEWED
    if row is not None:
        return row.state
    return APPROVED if reviewed_in_yaml(entry) else UNREVIEWED


class FaqReviewStore:
    """Review decisions keyed by FAQ entry id; every worker reads the same rows.

    Writes are upserts (INSERT ... ON CONFLICT DO UPDATE), so two reviewers acting on the same entry
    at once both succeed and the later decision wins.
    """

    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def all(self) -> dict[str, FaqReviewRow]:
        with self.db.session(readonly=True) as s:
            return {r.entry_id: _row(r) for r in s.scalars(sa.select(FaqReview))}

    def get(self, entry_id: str) -> FaqReviewRow | None:
        with self.db.session(readonly=True) as s:
            r = s.get(FaqReview, entry_id)
            return _row(r) if r is not None else None

    def version(self) -> tuple[int, str]:
        """Changes whenever a decision is recorded (cheap: poll it to know when to reload the FAQ)."""
        with self.db.session(readonly=True) as s:
            n, last = s.execute(sa.select(sa.func.count(), sa.func.max(FaqReview.updated_at))).one()
        return int(n or 0), str(last or "")

    def _save(
        self,
        entry_id: str,
        state: str,
        reviewer_email: str | None,
        edited_answer: str | None,
        reviewed_answer: str | None = None,
    ) -> FaqReviewRow:
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        if not entry_id or len(entry_id) > MAX_ENTRY_ID:
            raise ValueError("entry id must be 1 to 128 characters")
        now = self.clock()
        values: dict[str, Any] = {
            "entry_id": entry_id,
            "state": state,
            "reviewer_email": reviewer_email,
            "reviewed_at": now if state != UNREVIEWED else None,
            "edited_answer": edited_answer,
            "answer_sha": answer_sha(reviewed_answer) if reviewed_answer is not None else None,
            "updated_at": now,
        }
        with self.db.session() as s:
            insert: Any = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
            stmt = insert(FaqReview).values(**values)
            updates = {k: stmt.excluded[k] for k in values if k != "entry_id"}
            s.execute(stmt.on_conflict_do_update(index_elements=["entry_id"], set_=updates))
            row = s.get(FaqReview, entry_id, populate_existing=True)
            assert row is not None
            return _row(row)

    def approve(
        self,
        entry_id: str,
        reviewer_email: str,
        edited_answer: str | None = None,
        *,
        reviewed_answer: str | None = None,
    ) -> FaqReviewRow:
        """Approve the entry; `edited_answer` (None = the YAML answer) is served instead of the YAML one.

        `reviewed_answer` is the YAML answer the reviewer saw: if the writers change it later the
        approval lapses (the entry is unreviewed again) and the edit is no longer served.
        """
        return self._save(entry_id, APPROVED, reviewer_email, edited_answer, reviewed_answer)

    def retire(self, entry_id: str, reviewer_email: str) -> FaqReviewRow:
        """Stop serving the entry (wrong, outdated or duplicated), whatever its YAML says."""
        return self._save(entry_id, RETIRED, reviewer_email, None)

    def reopen(self, entry_id: str, reviewer_email: str) -> FaqReviewRow:
        """Back to unreviewed (e.g. the law changed): with LAWBOT_FAQ_REVIEWED_ONLY it is not served."""
        return self._save(entry_id, UNREVIEWED, reviewer_email, None)


@dataclass(frozen=True)
class FaqServing:
    """What the FAQ search may serve, computed from the entries and the review rows.

    - `reviewed`: ids approved in the desk, or reviewed in their YAML and not decided otherwise;
    - `retired`: ids staff retired: never served;
    - `edited`: id -> the answer staff wrote, served instead of the YAML answer.
    """

    reviewed: frozenset[str]
    retired: frozenset[str]
    edited: Mapping[str, str] = field(default_factory=dict)

    def servable(self, entry_id: str, reviewed_only: bool) -> bool:
        if entry_id in self.retired:
            return False
        return entry_id in self.reviewed if reviewed_only else True

    def keep(self, reviewed_only: bool) -> Callable[[E], E | None]:
        """One entry -> the entry to serve (its edited answer in place), or None when it is not served.
        The shape of YamlFaqSearch's `keep=` hook."""

        def keep_one(entry: E) -> E | None:
            kept = self.apply([entry], reviewed_only)
            return kept[0] if kept else None

        return keep_one

    def apply(self, entries: Iterable[E], reviewed_only: bool) -> list[E]:
        """The entries to hand to the FAQ search: retired ones dropped (unreviewed ones too when
        `reviewed_only`), edited answers put in place. Entries are dataclasses with `id` and `answer`."""
        out: list[E] = []
        for entry in entries:
            entry_id = str(getattr(entry, "id", ""))
            if not self.servable(entry_id, reviewed_only):
                continue
            if entry_id in self.edited:
                entry = dataclasses.replace(entry, answer=self.edited[entry_id])  # type: ignore[type-var]
            out.append(entry)
        return out


def faq_serving(db: Database, entries: Iterable[Any]) -> FaqServing:
    """Review state of `entries` (objects with `id` and `reviewed_by`/`reviewed_at`, e.g. FaqEntry
    or FaqRecord) from the database: one small query, safe to call on every FAQ reload."""
    rows = FaqReviewStore(db).all()
    reviewed: set[str] = set()
    edited: dict[str, str] = {}
    for entry in entries:
        entry_id = str(getattr(entry, "id", ""))
        row = rows.get(entry_id)
        if state_of(entry, row) == APPROVED:
            reviewed.add(entry_id)
            if row is not None and row.edited_answer:
                edited[entry_id] = row.edited_answer
    retired = {i for i, r in rows.items() if r.state == RETIRED}
    return FaqServing(frozenset(reviewed), frozenset(retired), edited)
