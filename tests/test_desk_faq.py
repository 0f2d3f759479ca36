"""'Lưu thành FAQ': a staff answer becomes a proposal; an admin approves it into the database (checked like
the knowledge base checker does) and the app is told to reindex the FAQ."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from bot.kb.faq_writer import prepare_questions, stored_faq_records
from bot.kb.manage import export_faq
from bot.storage.db import Database
from bot.storage.faq_entries import FaqEntryStore
from bot.storage.schema import FaqProposal, StaffAudit, TicketEvent
from retrieval.faq import read_faq
from retrieval.normalize import strip_diacritics
from tests.auxil.desk import DeskHarness, login, make_harness, token

ANSWER = "Làm đủ 12 tháng, bạn được nghỉ hằng năm 12 ngày làm việc, hưởng nguyên lương."


def _harness(db: Database, tmp_path: Path, **settings: object) -> DeskHarness:
    h = make_harness(db, tmp_path, **settings)
    h.add_staff("lan@tgpl.vn")
    h.add_staff("admin@tgpl.vn", "admin")
    return h


async def _propose(h: DeskHarness, answer: str = ANSWER) -> tuple[int, int]:
    ticket_id = h.open_ticket("Nghỉ phép năm được mấy ngày?")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        page = await c.get(f"/staff/tickets/{ticket_id}")
        assert "Lưu thành FAQ" in page.text
        response = await c.post(
            f"/staff/tickets/{ticket_id}/faq",
            data={
                "csrf_token": await token(c),
                "question": "Nghỉ phép năm được mấy ngày?",
                "answer": answer,
                "article_id": "20.2.LQ.113",
            },
        )
        assert response.headers["location"].endswith("ok=faq_proposed")
    with h.db.session(readonly=True) as s:
        proposal_id = s.scalar(sa.select(sa.func.max(FaqProposal.id)))
    assert proposal_id is not None
    return ticket_id, proposal_id


async def test_proposal_then_approval_stores_the_entry_and_reindexes(
    db: Database, tmp_path: Path
) -> None:
    h = _harness(db, tmp_path)
    ticket_id, proposal_id = await _propose(h)
    with db.session(readonly=True) as s:
        proposal = s.get(FaqProposal, proposal_id)
        assert proposal is not None and proposal.status == "pending"
        assert proposal.citations == [
            {"article_id": "20.2.LQ.113", "doc_number": "45/2019/QH14", "article": "113"}
        ]
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        listing = await c.get("/staff/admin/faq")
        assert f"/staff/admin/faq/{proposal_id}" in listing.text
        review = await c.get(f"/staff/admin/faq/{proposal_id}")
        assert review.status_code == 200
        assert "nghi phep nam duoc may ngay?" in review.text  # variant without diacritics offered
        assert "Chưa thể duyệt" not in review.text
        response = await c.post(
            f"/staff/admin/faq/{proposal_id}/approve",
            data={
                "csrf_token": await token(c),
                "questions": "Nghỉ phép năm được mấy ngày?\nnghi phep nam duoc may ngay\n"
                "Một năm được nghỉ phép bao nhiêu ngày?",
                "answer": ANSWER,
                "article_id": "20.2.LQ.113",
                "clause:20.2.LQ.113": "1",
            },
        )
        assert response.status_code == 303
        assert response.headers["location"].endswith("ok=faq_approved")
        again = await c.post(
            f"/staff/admin/faq/{proposal_id}/approve",
            data={"csrf_token": await token(c), "questions": "a\nb", "answer": ANSWER},
        )
        assert again.headers["location"].endswith("ok=faq_decided")
    assert h.approved == [1]  # the app was told once to reindex the FAQ
    assert not (tmp_path / "faq" / "da-duyet.yaml").exists()  # stored in the database, not the FAQ folder
    [entry] = [r.yaml_entry() for r in FaqEntryStore(db).all()]
    assert entry["id"] == "da-duyet-001"
    assert entry["questions"] == [
        "Nghỉ phép năm được mấy ngày?",
        "nghi phep nam duoc may ngay",
        "Một năm được nghỉ phép bao nhiêu ngày?",
    ]
    assert entry["answer"].strip() == ANSWER
    assert entry["citations"] == [
        {"doc_number": "45/2019/QH14", "article": "113", "clause": "1", "article_id": "20.2.LQ.113"}
    ]
    assert entry["reviewed_by"] == "admin@tgpl.vn"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["reviewed_at"])
    with db.session(readonly=True) as s:
        proposal = s.get(FaqProposal, proposal_id)
        assert proposal is not None
        assert (proposal.status, proposal.faq_id) == ("approved", "da-duyet-001")
        events = list(
            s.scalars(sa.select(TicketEvent.action).where(TicketEvent.ticket_id == ticket_id))
        )
        assert events[-2:] == ["faq_proposed", "faq_approved"]
        audit = list(s.scalars(sa.select(StaffAudit.action)))
        assert "faq_propose" in audit and "faq_approve" in audit
    # a second approved entry gets the next id
    _, second = await _propose(h)
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        await c.post(
            f"/staff/admin/faq/{second}/approve",
            data={
                "csrf_token": await token(c),
                "questions": "Phép năm mấy ngày\nphep nam may ngay",
                "answer": ANSWER,
                "article_id": "20.2.LQ.113",
            },
        )
    # exported as YAML, the knowledge base's own schema check accepts the entries
    export_faq(tmp_path, "yaml", tmp_path / "export", stored_faq_records(db), approved_only=True)
    records, problems = read_faq(tmp_path / "export")
    assert [p for p in problems if p.level == "error"] == []
    assert [r.id for r in records] == ["da-duyet-001", "da-duyet-002"]


async def test_approval_refuses_numbers_the_cited_law_does_not_contain(
    db: Database, tmp_path: Path
) -> None:
    h = _harness(db, tmp_path)
    _, proposal_id = await _propose(h, answer="Bạn được nghỉ 20 ngày mỗi năm và thêm 12 ngày lễ.")
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        review = await c.get(f"/staff/admin/faq/{proposal_id}")
        assert "Chưa thể duyệt" in review.text and "20" in review.text
        response = await c.post(
            f"/staff/admin/faq/{proposal_id}/approve",
            data={
                "csrf_token": await token(c),
                "questions": "Nghỉ phép năm?\nnghi phep nam",
                "answer": "Bạn được nghỉ 20 ngày mỗi năm và thêm 12 ngày lễ.",
                "article_id": "20.2.LQ.113",
            },
        )
        assert response.status_code == 400
        assert "Các con số sau không có trong điều luật được trích dẫn: 20" in response.text
        no_citation = await c.post(
            f"/staff/admin/faq/{proposal_id}/approve",
            data={"csrf_token": await token(c), "questions": "a?\nb", "answer": ANSWER},
        )
        assert no_citation.status_code == 400
        assert "Cần ít nhất một điều luật" in no_citation.text
    assert not (tmp_path / "faq" / "da-duyet.yaml").exists()
    assert h.approved == []
    with db.session(readonly=True) as s:
        assert s.get(FaqProposal, proposal_id).status == "pending"  # type: ignore[union-attr]


async def test_personal_numbers_never_reach_the_faq(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    _, proposal_id = await _propose(h)
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        response = await c.post(
            f"/staff/admin/faq/{proposal_id}/approve",
            data={
                "csrf_token": await token(c),
                "questions": "Nghỉ phép năm? Gọi tôi 0912 345 678\nnghi phep nam",
                "answer": ANSWER,
                "article_id": "20.2.LQ.113",
            },
        )
        assert response.status_code == 400
        assert "số điện thoại hoặc số CCCD" in response.text
    assert not (tmp_path / "faq" / "da-duyet.yaml").exists()


async def test_documents_missing_from_the_register_are_refused(
    db: Database, tmp_path: Path
) -> None:
    register = tmp_path / "documents.yaml"
    register.write_text("documents:\n  - number: \"11/2017/QH14\"\n", encoding="utf-8")
    h = _harness(db, tmp_path, documents_register=register)
    _, proposal_id = await _propose(h)
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        response = await c.post(
            f"/staff/admin/faq/{proposal_id}/approve",
            data={
                "csrf_token": await token(c),
                "questions": "Nghỉ phép năm?\nnghi phep nam",
                "answer": ANSWER,
                "article_id": "20.2.LQ.113",
            },
        )
        assert response.status_code == 400
        assert "45/2019/QH14" in response.text


async def test_reject_and_a_failing_reindex_is_reported(db: Database, tmp_path: Path) -> None:
    def broken_reload() -> None:
        raise RuntimeError("index busy")

    h = make_harness(db, tmp_path, on_faq_approved=broken_reload)
    h.add_staff("lan@tgpl.vn")
    h.add_staff("admin@tgpl.vn", "admin")
    _, first = await _propose(h)
    _, second = await _propose(h)
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        csrf = await token(c)
        rejected = await c.post(
            f"/staff/admin/faq/{first}/reject", data={"csrf_token": csrf, "note": "Trùng FAQ lao-dong-003"}
        )
        assert rejected.headers["location"].endswith("ok=faq_rejected")
        approved = await c.post(
            f"/staff/admin/faq/{second}/approve",
            data={
                "csrf_token": csrf,
                "questions": "Nghỉ phép năm?\nnghi phep nam",
                "answer": ANSWER,
                "article_id": "20.2.LQ.113",
            },
        )
        assert approved.headers["location"].endswith("ok=faq_approved_no_reload")
        page = await c.get(approved.headers["location"])
        assert "chưa nạp lại được chỉ mục FAQ" in page.text
    with db.session(readonly=True) as s:
        assert s.get(FaqProposal, first).status == "rejected"  # type: ignore[union-attr]
        assert s.get(FaqProposal, second).status == "approved"  # type: ignore[union-attr]


def test_questions_get_a_variant_without_diacritics() -> None:
    assert strip_diacritics("Đăng ký kết hôn ở đâu?") == "Dang ky ket hon o dau?"
    assert prepare_questions(["Đăng ký kết hôn ở đâu?", " ", "đăng ký  kết hôn ở đâu?"]) == [
        "Đăng ký kết hôn ở đâu?",
        "dang ky ket hon o dau?",
    ]
    assert prepare_questions(["dang ky ket hon", "Đăng ký kết hôn"]) == [
        "dang ky ket hon",
        "Đăng ký kết hôn",
    ]
    assert len(prepare_questions([f"câu {i}" for i in range(14)])) == 12  # MAX_QUESTIONS: a list staff can still read
