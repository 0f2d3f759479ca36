"""FAQ review state in the database: decisions are shared by every worker, and decide what the FAQ serves."""

from __future__ import annotations

import datetime as dt

from bot.core.models import Citation as CoreCitation
from bot.core.ports import FaqEntry
from bot.storage.db import Database
from bot.storage.faq_reviews import (
    APPROVED,
    RETIRED,
    UNREVIEWED,
    FaqReviewStore,
    faq_serving,
    state_of,
)
from retrieval.faq import Citation, FaqRecord
from tests.auxil.storage_builders import Clock


def _record(entry_id: str, reviewed_by: str | None = None, reviewed_at: str | None = None) -> FaqRecord:
    return FaqRecord(
        id=entry_id,
        topic="Lao động",
        slug="lao-dong",
        questions=["Nghỉ phép năm mấy ngày?", "nghi phep nam may ngay"],
        answer=f"Câu trả lời gốc của {entry_id}.",
        citations=[Citation("45/2019/QH14", "113", article_id="20.2.LQ.113")],
        reviewed_by=reviewed_by,
        reviewed_at=reviewed_at,
    )


def test_reviewed_only_serves_yaml_reviewed_and_desk_approved_entries_with_their_edits(db: Database) -> None:
    records = [
        _record("lao-dong-001", reviewed_by="Nguyễn Văn A"),  # reviewed in the shipped YAML
        _record("lao-dong-002"),  # nobody has looked at it
        _record("lao-dong-003", reviewed_at="2026-11-20"),  # reviewed in YAML, then retired in the desk
        _record("lao-dong-004"),  # approved in the desk with a corrected answer
    ]
    store = FaqReviewStore(db)
    store.retire("lao-dong-003", "lan@tgpl.vn")
    store.approve("lao-dong-004", "lan@tgpl.vn", edited_answer="Câu trả lời đã sửa.")

    serving = faq_serving(db, records)

    only_reviewed = serving.apply(records, reviewed_only=True)
    assert [r.id for r in only_reviewed] == ["lao-dong-001", "lao-dong-004"]
    assert only_reviewed[1].answer == "Câu trả lời đã sửa."
    assert records[3].answer == "Câu trả lời gốc của lao-dong-004."  # the YAML record itself is untouched
    # without the setting unreviewed entries are served too, but a retired one never is
    assert [r.id for r in serving.apply(records, reviewed_only=False)] == ["lao-dong-001", "lao-dong-002", "lao-dong-004"]
    assert serving.retired == {"lao-dong-003"} and serving.edited == {"lao-dong-004": "Câu trả lời đã sửa."}


def test_serving_applies_to_the_assistants_faq_entries(db: Database) -> None:
    entries = [
        FaqEntry("lao-dong-001", "Lao động", ["a", "b"], "Gốc 1.", [CoreCitation("20.2.LQ.113", "45/2019/QH14", "113")]),
        FaqEntry("lao-dong-002", "Lao động", ["c", "d"], "Gốc 2.", [], reviewed_by="Nguyễn Văn A"),
    ]
    FaqReviewStore(db).approve("lao-dong-001", "lan@tgpl.vn", edited_answer="Đã sửa 1.")
    served = faq_serving(db, entries).apply(entries, reviewed_only=True)
    assert [(e.id, e.answer) for e in served] == [("lao-dong-001", "Đã sửa 1."), ("lao-dong-002", "Gốc 2.")]


def test_another_worker_sees_the_decision_and_the_latest_decision_wins(db: Database) -> None:
    clock = Clock(dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC))
    here = FaqReviewStore(db, clock=clock)
    other_worker = Database(db.url)  # a second process: its own engine and connections
    try:
        there = FaqReviewStore(other_worker, clock=clock)
        before = there.version()
        here.approve("dat-dai-007", "lan@tgpl.vn", edited_answer="Bản sửa.")
        assert there.version() != before  # the serving FAQ knows to reload
        row = there.get("dat-dai-007")
        assert row is not None and (row.state, row.reviewer_email, row.edited_answer) == (
            APPROVED, "lan@tgpl.vn", "Bản sửa.",
        )
        assert row.reviewed_at == clock.now
        clock.advance(minutes=5)
        there.retire("dat-dai-007", "minh@tgpl.vn")
        row = here.get("dat-dai-007")
        assert row is not None and (row.state, row.reviewer_email, row.edited_answer) == (RETIRED, "minh@tgpl.vn", None)
        assert set(here.all()) == {"dat-dai-007"}
        here.reopen("dat-dai-007", "lan@tgpl.vn")
        row = there.get("dat-dai-007")
        assert row is not None and row.state == UNREVIEWED and row.reviewed_at is None
    finally:
        other_worker.dispose()


def test_desk_decision_overrides_the_yaml(db: Database) -> None:
    reviewed = _record("cu-tru-001", reviewed_by="A")
    assert state_of(reviewed, None) == APPROVED and state_of(_record("cu-tru-002"), None) == UNREVIEWED
    store = FaqReviewStore(db)
    store.reopen("cu-tru-001", "lan@tgpl.vn")  # the law changed: back to review
    assert state_of(reviewed, store.get("cu-tru-001")) == UNREVIEWED
    assert faq_serving(db, [reviewed]).apply([reviewed], reviewed_only=True) == []


def test_an_approval_lapses_when_the_writers_change_the_answer(db: Database) -> None:
    entry = _record("lao-dong-001")
    store = FaqReviewStore(db)
    store.approve("lao-dong-001", "lan@tgpl.vn", "Bản sửa.", reviewed_answer=entry.answer + "\r\n")
    assert faq_serving(db, [entry]).apply([entry], reviewed_only=True)[0].answer == "Bản sửa."
    rewritten = _record("lao-dong-001")
    rewritten.answer = "Người soạn đã viết lại câu trả lời với quy định mới."
    assert state_of(rewritten, store.get("lao-dong-001")) == UNREVIEWED
    assert faq_serving(db, [rewritten]).apply([rewritten], reviewed_only=True) == []
    # without the setting it is served, as the writers now wrote it (not the stale edit)
    assert faq_serving(db, [rewritten]).apply([rewritten], reviewed_only=False)[0].answer == rewritten.answer
