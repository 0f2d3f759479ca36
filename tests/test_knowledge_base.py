"""The vetted knowledge base: every FAQ entry is well formed, cites registered documents and real
articles, and states no number its cited articles do not contain; the register marks replaced laws.

One FAQ file at a time: pytest tests/test_knowledge_base.py -k giao-duc
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from retrieval.faq import (
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    FaqRecord,
    Problem,
    duplicate_id_problems,
    faq_files,
    read_faq_file,
)
from retrieval.faq_check import (
    CitedArticle,
    check_records,
    duplicate_question_problems,
    load_cited_articles,
    missing_numbers,
)
from retrieval.normalize import has_diacritics
from retrieval.register import load_register, normalize_doc_number, status_of
from retrieval.types import Document, Status

KB = Path(__file__).resolve().parents[1] / "knowledge_base"
FAQ_FILES = faq_files(KB / "faq")
MIN_ENTRIES = 300
MIN_TOPICS = 15


def _read(path: Path) -> tuple[list[FaqRecord], list[Problem]]:
    problems: list[Problem] = []
    return read_faq_file(path, problems), problems


def _fail(problems: list[Problem]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems)


@pytest.fixture(scope="session")
def register() -> dict[str, Document]:
    return load_register(KB / "documents.yaml")


@pytest.fixture(scope="session")
def all_records() -> list[FaqRecord]:
    records: list[FaqRecord] = []
    for path in FAQ_FILES:
        records += _read(path)[0]
    return records


@pytest.fixture(scope="session")
def cited_articles(shared_data: Path, all_records: list[FaqRecord]) -> dict[str, CitedArticle]:
    ids = {c.article_id for r in all_records for c in r.citations if c.article_id}
    return load_cited_articles(ids, [shared_data, KB])


# ---- per FAQ file -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.stem)
def test_schema(path: Path) -> None:
    """2-12 question variants (one without diacritics), topic, answer, citations, id = <slug>-NNN."""
    records, problems = _read(path)
    errors = [p for p in problems if p.level == "error"]
    assert not errors, _fail(errors)
    assert records, f"{path} has no entries"
    for rec in records:  # the rules a staff member reading the file would check first
        assert MIN_QUESTIONS <= len(rec.questions) <= MAX_QUESTIONS == 12, rec.id
        assert any(not has_diacritics(q) for q in rec.questions), rec.id
        assert rec.topic and rec.answer.strip(), rec.id


@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.stem)
def test_citations_resolve_in_register(path: Path, register: dict[str, Document]) -> None:
    records, _ = _read(path)
    problems = [p for p in check_records(records, register, None) if p.level == "error"]
    assert not problems, _fail(problems)


@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.stem)
def test_cited_articles_exist_in_corpus(
    path: Path, register: dict[str, Document], cited_articles: dict[str, CitedArticle]
) -> None:
    """Pháp điển ids and laws_extra '<doc>::<article>' exist and belong to the cited document and article."""
    records, _ = _read(path)
    problems = [
        p for p in check_records(records, register, cited_articles) if p.level == "error" and p.code == "article"
    ]
    assert not problems, _fail(problems)
    assert all(c.article_id for r in records for c in r.citations), "every citation needs an article_id"


@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.stem)
def test_numbers_in_answers_appear_in_cited_articles(
    path: Path, register: dict[str, Document], cited_articles: dict[str, CitedArticle]
) -> None:
    records, _ = _read(path)
    problems = [
        p for p in check_records(records, register, cited_articles) if p.level == "error" and p.code == "number"
    ]
    assert not problems, _fail(problems)


def test_number_check_accepts_the_same_number_written_differently() -> None:
    """The rule the FAQ writers follow: "06 tháng" ~ "6 tháng", "2.000.000" ~ "2000000", NFC, percentages."""
    law = "Mức phạt từ 2.000.000 đồng; thời hạn 06 tháng; hưởng 75% mức lương; ngày 01 tháng 7 năm 2025."
    decomposed = "thời hạn 06 tha\u0301ng"  # pháp điển stores some letters decomposed
    answer = "Phạt 2000000 đồng, hạn 6 tháng, hưởng 75 %, từ 01/07/2025 (Điều 113 khoản 1 Luật 45/2019/QH14)."
    assert missing_numbers(answer, [law, decomposed]) == []
    assert missing_numbers("Hưởng 80% lương trong 12 tháng.", [law]) == ["80%", "12"]
    assert missing_numbers("Hưởng 6% lương.", [law]) == ["6%"]  # 6 appears, but not as a percentage


# ---- the whole knowledge base -------------------------------------------------------------------


def test_entry_ids_unique_across_files(all_records: list[FaqRecord]) -> None:
    problems = duplicate_id_problems(all_records)
    assert not problems, _fail(problems)


def test_no_two_entries_ask_the_same_question(all_records: list[FaqRecord]) -> None:
    """No two entries answer the same question differently (same folded variant, or word sets >= 90% alike)."""
    problems = duplicate_question_problems(all_records)
    assert not problems, _fail(problems)


def test_enough_entries_and_topics(all_records: list[FaqRecord]) -> None:
    """Issue 6: at least 300 entries over at least 15 topics (all FAQ writers together)."""
    topics = Counter(r.topic for r in all_records)
    assert len(all_records) >= MIN_ENTRIES, f"{len(all_records)} entries: {dict(topics)}"
    assert len(topics) >= MIN_TOPICS, f"{len(topics)} topics: {sorted(topics)}"


REPLACED = [
    ("45/2013/QH13", "31/2024/QH15"),
    ("58/2014/QH13", "41/2024/QH15"),
    ("81/2006/QH11", "68/2020/QH14"),
    ("13/2023/ND-CP", "91/2025/QH15"),  # typed without Đ on purpose: keys are normalised
    ("59/2014/QH13", "26/2023/QH15"),
    ("65/2014/QH13", "27/2023/QH15"),
    ("23/2008/QH12", "36/2024/QH15"),
    ("100/2019/NĐ-CP", "168/2024/NĐ-CP"),
    ("38/2013/QH13", "74/2025/QH15"),
]


@pytest.mark.parametrize(("old", "new"), REPLACED, ids=[old for old, _ in REPLACED])
def test_register_marks_replaced_documents(register: dict[str, Document], old: str, new: str) -> None:
    assert status_of(old, register) in (Status.EXPIRED, Status.PARTLY_EXPIRED)
    doc = register[normalize_doc_number(old)]
    assert doc.replaced_by and new in doc.replaced_by
    assert status_of(new, register) is Status.IN_FORCE


def test_register_covers_every_corpus_document(register: dict[str, Document], shared_data: Path) -> None:
    """Each laws_extra document and a sample of pháp điển source documents are in the register."""
    missing = [
        p.stem.replace("_", "/")
        for p in (shared_data / "laws_extra").glob("*.jsonl")
        if normalize_doc_number(p.stem.replace("_", "/")) not in register
    ]
    assert not missing
    for number in ("11/2017/QH14", "02/2011/QH13", "78/2015/QH13", "23/2015/NĐ-CP", "102/2016/QH13"):
        assert normalize_doc_number(number) in register, number
