"""FAQ review page: staff see the unreviewed entries (by topic), approve, edit or retire them; CSRF applies,
and the decision is in the database, so another worker serves the same FAQ."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from bot.storage.db import Database
from bot.storage.faq_reviews import APPROVED, FaqReviewStore, faq_serving
from bot.storage.schema import StaffAudit
from retrieval.faq import Citation, FaqRecord, dump_topic, read_faq
from tests.auxil.desk import DeskHarness, login, make_harness, token


def _entry(slug: str, topic: str, n: int, answer: str, reviewed_by: str | None = None) -> FaqRecord:
    return FaqRecord(
        id=f"{slug}-{n:03d}",
        topic=topic,
        slug=slug,
        questions=[f"Câu hỏi {n} về {topic}?", f"cau hoi {n}"],
        answer=answer,
        citations=[Citation("45/2019/QH14", "113", clause="1", article_id="20.2.LQ.113")],
        reviewed_by=reviewed_by,
        reviewed_at="2026-11-20" if reviewed_by else None,
    )


LEAVE = "Làm đủ 12 tháng, bạn được nghỉ hằng năm 12 ngày làm việc, hưởng nguyên lương."


def _harness(db: Database, tmp_path: Path) -> DeskHarness:
    folder = tmp_path / "faq"
    folder.mkdir()
    labour = [
        _entry("lao-dong", "Lao động", 1, LEAVE),
        _entry("lao-dong", "Lao động", 2, "Người chưa thành niên được nghỉ 14 ngày làm việc mỗi năm."),
        _entry("lao-dong", "Lao động", 3, LEAVE, reviewed_by="Nguyễn Văn A"),  # shipped reviewed
    ]
    land = [_entry("dat-dai", "Đất đai", 1, "Sổ đỏ bị mất thì làm thủ tục cấp lại tại nơi có đất.")]
    (folder / "lao-dong.yaml").write_text(dump_topic(labour), encoding="utf-8")
    (folder / "dat-dai.yaml").write_text(dump_topic(land), encoding="utf-8")
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    return h


def _served(h: DeskHarness, tmp_path: Path, reviewed_only: bool = True) -> dict[str, str]:
    records, _ = read_faq(tmp_path / "faq")
    return {r.id: r.answer for r in faq_serving(h.db, records).apply(records, reviewed_only)}


async def test_staff_review_unreviewed_entries_by_topic(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        listing = await c.get("/staff/faq/review")
        assert listing.status_code == 200
        text = listing.text
        assert "Rà soát câu hỏi FAQ" in text and 'href="/staff/faq/review"' in text  # in the menu
        assert "lao-dong-001" in text and "lao-dong-002" in text and "dat-dai-001" in text
        assert "lao-dong-003" not in text  # reviewed in its YAML: not waiting for anyone
        assert "Chưa rà soát (3)" in text and "Đã duyệt (1)" in text
        land = await c.get("/staff/faq/review", params={"topic": "Đất đai"})
        assert "dat-dai-001" in land.text and "lao-dong-001" not in land.text

        approved = await c.post(
            "/staff/faq/review/lao-dong-001",
            data={"csrf_token": await token(c), "action": "approve", "answer": LEAVE + "\r\n",
                  "state": "unreviewed", "topic": "Lao động", "page": "1"},
        )
        assert approved.status_code == 303
        back = urlencode({"state": "unreviewed", "topic": "Lao động", "page": 1, "ok": "faq_review_approve"})
        assert approved.headers["location"] == f"/staff/faq/review?{back}"  # the same filtered list
        after = await c.get(approved.headers["location"])
        assert "Đã duyệt câu hỏi" in after.text and "lao-dong-001" not in after.text
        assert "lao-dong-001" in (await c.get("/staff/faq/review?state=approved")).text
    row = FaqReviewStore(db).get("lao-dong-001")
    assert row is not None and (row.state, row.reviewer_email, row.edited_answer) == (APPROVED, "lan@tgpl.vn", None)
    # LAWBOT_FAQ_REVIEWED_ONLY: the shipped-reviewed entry and the one just approved
    assert set(_served(h, tmp_path)) == {"lao-dong-001", "lao-dong-003"}
    with db.session(readonly=True) as s:
        assert "faq_review_approve" in list(s.scalars(sa.select(StaffAudit.action)))


async def test_an_edited_answer_is_checked_against_the_cited_law_then_served(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        wrong = await c.post(
            "/staff/faq/review/lao-dong-002",
            data={"csrf_token": await token(c), "action": "approve",
                  "answer": "Người chưa thành niên được nghỉ 20 ngày làm việc mỗi năm."},
        )
        assert wrong.status_code == 400
        assert "Chưa thể duyệt" in wrong.text and "20" in wrong.text
        assert "nghỉ 20 ngày làm việc" in wrong.text  # what was typed is kept for correcting
        assert FaqReviewStore(db).get("lao-dong-002") is None

        fixed = "Lao động chưa thành niên được nghỉ hằng năm 14 ngày làm việc, hưởng nguyên lương."
        ok = await c.post(
            "/staff/faq/review/lao-dong-002",
            data={"csrf_token": await token(c), "action": "approve", "answer": fixed},
        )
        assert ok.headers["location"].endswith("ok=faq_review_edit")
        approved_tab = await c.get("/staff/faq/review?state=approved")
        assert fixed in approved_tab.text and "câu trả lời đã được sửa" in approved_tab.text
    assert _served(h, tmp_path)["lao-dong-002"] == fixed
    records, _ = read_faq(tmp_path / "faq")
    assert {r.id: r.answer for r in records}["lao-dong-002"].startswith("Người chưa thành niên được nghỉ 14")  # YAML untouched


async def test_retired_entry_is_never_served_and_can_be_restored(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        retired = await c.post(
            "/staff/faq/review/lao-dong-003", data={"csrf_token": await token(c), "action": "retire"}
        )
        assert retired.headers["location"].endswith("ok=faq_review_retire")
        assert "lao-dong-003" in (await c.get("/staff/faq/review?state=retired")).text
        assert "lao-dong-003" not in _served(h, tmp_path, reviewed_only=False)
        assert "lao-dong-003" not in _served(h, tmp_path, reviewed_only=True)

        # another worker (its own desk on the same database) shows the same state
        other = make_harness(db, tmp_path)
        async with other.client() as c2:
            await login(c2, "lan@tgpl.vn")
            assert "lao-dong-003" in (await c2.get("/staff/faq/review?state=retired")).text
            restored = await c2.post(
                "/staff/faq/review/lao-dong-003",
                data={"csrf_token": await token(c2), "action": "approve", "answer": LEAVE},
            )
            assert restored.status_code == 303
    row = FaqReviewStore(db).get("lao-dong-003")
    assert row is not None and row.state == APPROVED
    assert "lao-dong-003" in _served(h, tmp_path)


async def test_review_forms_need_csrf_login_and_a_known_entry(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    async with h.client() as c:
        anonymous = await c.post("/staff/faq/review/lao-dong-001", data={"action": "retire"})
        assert anonymous.status_code == 401
        assert (await c.get("/staff/faq/review")).status_code == 303  # to the login page
        await login(c, "lan@tgpl.vn")
        forged = await c.post("/staff/faq/review/lao-dong-001", data={"action": "retire", "csrf_token": "x"})
        assert forged.status_code == 403
        unknown = await c.post(
            "/staff/faq/review/lao-dong-099", data={"csrf_token": await token(c), "action": "retire"}
        )
        assert unknown.status_code == 404
        bad = await c.post(
            "/staff/faq/review/lao-dong-001", data={"csrf_token": await token(c), "action": "delete"}
        )
        assert bad.status_code == 400
    assert FaqReviewStore(db).all() == {}  # nothing was decided


async def test_an_entry_whose_answer_the_writers_changed_comes_back_for_review(
    db: Database, tmp_path: Path
) -> None:
    h = _harness(db, tmp_path)
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        await c.post(
            "/staff/faq/review/dat-dai-001",
            data={"csrf_token": await token(c), "action": "approve",
                  "answer": "Sổ đỏ bị mất thì làm thủ tục cấp lại tại nơi có đất."},
        )
        assert "dat-dai-001" in _served(h, tmp_path)
        path = tmp_path / "faq" / "dat-dai.yaml"
        path.write_text(
            path.read_text(encoding="utf-8").replace("tại nơi có đất", "tại bộ phận một cửa cấp xã"),
            encoding="utf-8",
        )
        again = await c.get("/staff/faq/review", params={"topic": "Đất đai"})
        assert "dat-dai-001" in again.text and "cần rà soát lại" in again.text
    assert "dat-dai-001" not in _served(h, tmp_path)


async def test_the_faq_search_hook_serves_what_the_desk_decided(db: Database, tmp_path: Path) -> None:
    """What the lead wires into the assistant: YamlFaqSearch(keep=faq_serving(...).keep(reviewed_only))."""
    from bot.adapters.faq_search import YamlFaqSearch, load_faq

    h = _harness(db, tmp_path)
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        await c.post("/staff/faq/review/lao-dong-003", data={"csrf_token": await token(c), "action": "retire"})
        await c.post(
            "/staff/faq/review/lao-dong-001",
            data={"csrf_token": await token(c), "action": "approve",
                  "answer": "Đủ 12 tháng làm việc thì được nghỉ hằng năm 12 ngày làm việc, hưởng nguyên lương."},
        )
    entries = load_faq(tmp_path / "faq")
    serving = faq_serving(db, entries)

    def served(reviewed_only: bool) -> dict[str, str]:
        search = YamlFaqSearch(entries=entries, keep=serving.keep(reviewed_only))
        return {e.id: e.answer for e in search.entries}

    assert served(True) == {
        "lao-dong-001": "Đủ 12 tháng làm việc thì được nghỉ hằng năm 12 ngày làm việc, hưởng nguyên lương."
    }
    assert set(served(False)) == {"lao-dong-001", "lao-dong-002", "dat-dai-001"}  # never the retired one
