"""An article suspended today (NĐ 101/2024 Điều 28-49 by NĐ 151/2025) is never taught: the index says it is
suspended, search never returns it, and the desk refuses it as the basis of a quiz question or a bulletin."""

from __future__ import annotations

import json
from pathlib import Path

from bot.adapters.retriever import IndexRetriever
from bot.core.models import DocStatus
from bot.desk import texts
from bot.desk.routes_bulletins import check_draft, resolve_citation
from bot.storage.bulletins import BulletinDraft
from bot.storage.db import Database
from retrieval.build import build_index
from retrieval.index import load_index
from retrieval.register import load_register
from tests.auxil.desk import csrf_of, login, make_harness

REPO = Path(__file__).resolve().parents[1]
DECREE = {"doc_number": "101/2024/NĐ-CP", "doc_title": "Nghị định quy định về điều tra cơ bản đất đai; đăng ký, "
          "cấp Giấy chứng nhận quyền sử dụng đất", "doc_type": "Nghị định", "issued_date": "2024-07-29",
          "effective_date": "2024-08-01"}
# our own wording of two procedures: Điều 30 is suspended until 01/03/2027, Điều 50 is not
ARTICLES = [
    ("30", "Đăng ký biến động khi chuyển nhượng", "1. Hồ sơ đăng ký biến động khi chuyển nhượng quyền sử dụng "
     "đất gồm đơn đăng ký biến động và hợp đồng chuyển nhượng đã công chứng."),
    ("50", "Giấy chứng nhận điện tử", "1. Giấy chứng nhận điện tử được cấp khi đủ điều kiện về hạ tầng và dữ "
     "liệu đất đai."),
]


def retriever(tmp_path: Path) -> IndexRetriever:
    corpus = tmp_path / "decree.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for number, title, text in ARTICLES:
            fh.write(json.dumps({**DECREE, "article": number, "article_title": title, "text": text},
                                ensure_ascii=False) + "\n")
    build_index([corpus], tmp_path / "index", embedder=None, progress=False, echo=lambda _: None)
    register = load_register(REPO / "knowledge_base" / "documents.yaml")
    return IndexRetriever(load_index(tmp_path / "index", dense=False), register=register)


def test_a_suspended_article_is_marked_and_never_found(tmp_path: Path) -> None:
    r = retriever(tmp_path)
    suspended, current = r.get("101/2024/NĐ-CP::30"), r.get("101/2024/NĐ-CP::50")
    assert suspended is not None and suspended.status == DocStatus.SUSPENDED
    assert current is not None and current.status != DocStatus.SUSPENDED
    found = [p.article for p in r.search("hồ sơ đăng ký biến động chuyển nhượng quyền sử dụng đất", 5)]
    assert "30" not in found


def test_a_bulletin_citing_a_suspended_article_is_refused(tmp_path: Path) -> None:
    r = retriever(tmp_path)
    for article, refused in (("101/2024/NĐ-CP::30", True), ("101/2024/NĐ-CP::50", False)):
        citation = resolve_citation(r.get, article, "1")
        draft = BulletinDraft("Sang tên sổ đỏ", "Hồ sơ gồm đơn và hợp đồng đã công chứng.", ("dat-dai",), None,
                              ("telegram",), citation)
        problems = check_draft(draft, [], article_id=article, clause="1")
        expected = texts.BULLETIN_PROBLEM["not_current"].format(article_id=article)
        assert (expected in problems) is refused


async def test_the_desk_refuses_a_quiz_question_on_a_suspended_article(db: Database, tmp_path: Path) -> None:
    r = retriever(tmp_path)
    h = make_harness(db, tmp_path, lookup=r.get)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        page = await c.get("/staff/quizzes")
        made = await c.post("/staff/quizzes", data={"title": "Sang tên", "topic": "Đất đai",
                                                    "csrf_token": csrf_of(page.text)})
        quiz_path = made.headers["location"].split("?")[0].replace("http://test", "")
        page = await c.get(quiz_path)
        question = {"text": "Hồ sơ sang tên gồm gì?", "option_0": "Đơn và hợp đồng đã công chứng",
                    "option_1": "Chỉ cần giấy viết tay", "option_2": "", "option_3": "", "correct": "A",
                    "explanation": "Đơn đăng ký biến động và hợp đồng đã công chứng.", "clause": "1",
                    "csrf_token": csrf_of(page.text)}
        refused = await c.post(quiz_path + "/questions", data={**question, "article_id": "101/2024/NĐ-CP::30"},
                               follow_redirects=True)
        assert texts.ERROR["quiz_article_suspended"] in refused.text and "Câu hỏi (0)" in refused.text
        added = await c.post(quiz_path + "/questions", data={**question, "article_id": "101/2024/NĐ-CP::50"},
                             follow_redirects=True)
        assert "Đã thêm câu hỏi." in added.text
