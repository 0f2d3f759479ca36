"""Desk-approved FAQ entries live in the database: every worker answers with them without a restart, the FAQ
folder may be read-only, retiring works, `kb export` writes them, entries approved into YAML before stay."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from bot.cli.eval_chat import eval_settings
from bot.cli.kb import kb_app
from bot.core.models import Channel, IncomingMessage
from bot.ingress.app import index_engine
from bot.storage.db import Database
from bot.storage.faq_entries import FaqEntryStore, add_entry
from bot.storage.outbox import Outbox
from bot.storage.schema import FaqProposal
from retrieval.faq import read_faq
from tests.auxil.desk import DeskHarness, login, make_harness, token
from tests.auxil.mini_index import build_mini_index
from tests.auxil.waiting import wait_until

# our own wording; the numbers are those of khoản 1 Điều 113 Bộ luật Lao động 2019 (in the mini index)
ANSWER = "Làm đủ 12 tháng cho một người sử dụng lao động, bạn được nghỉ hằng năm 12 ngày làm việc, hưởng nguyên lương."
QUESTION = "nghi phep hang nam duoc bao nhieu ngay"

SHIPPED = """topic: "Lao động"
slug: lao-dong
entries:
  - id: lao-dong-001
    questions: ["Thử việc tối đa bao lâu?", "thu viec toi da bao lau"]
    answer: "Tùy công việc; với người quản lý doanh nghiệp không quá 180 ngày."
    citations: [{doc_number: "45/2019/QH14", article: "25", clause: "1"}]
"""

# what an older version of the desk wrote into the FAQ folder
APPROVED_BEFORE = """topic: "Cán bộ trợ giúp pháp lý giải đáp"
slug: da-duyet
entries:
  - id: da-duyet-001
    questions: ["Báo trước bao nhiêu ngày khi nghỉ việc?", "bao truoc bao nhieu ngay khi nghi viec"]
    answer: "Với hợp đồng không xác định thời hạn, báo trước ít nhất 45 ngày."
    citations: [{doc_number: "45/2019/QH14", article: "35", clause: "1"}]
    reviewed_by: "Lan"
    reviewed_at: "2026-11-02"
"""


@pytest.fixture
def read_only_faq(tmp_path: Path) -> Iterator[Path]:
    """The FAQ folder as the systemd unit leaves it: read-only for the service."""
    folder = tmp_path / "faq"
    folder.mkdir()
    (folder / "lao-dong.yaml").write_text(SHIPPED, encoding="utf-8")
    (folder / "da-duyet.yaml").write_text(APPROVED_BEFORE, encoding="utf-8")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield folder
    folder.chmod(stat.S_IRWXU)


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def _worker(db: Database, tmp_path: Path, faq: Path) -> Any:
    """Another app instance on the same database: the assistant `serve` assembles (bot.compose)."""
    settings = eval_settings(tmp_path / "index", faq, database_url=_url(db), embedder="none")
    return index_engine(settings, db, Outbox(db))(None).value


def _answers(assistant: Any, text: str, n: list[int] = [0]) -> str:  # noqa: B006 - a counter of users
    n[0] += 1
    reply = assistant.handle(IncomingMessage(Channel.CLI, f"u{n[0]}", f"u{n[0]}", text, f"m{n[0]}"), 2000)
    return str(reply.text)


async def _approve(h: DeskHarness) -> str:
    ticket_id = h.open_ticket("Nghỉ phép hằng năm được mấy ngày?")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        await c.post(
            f"/staff/tickets/{ticket_id}/faq",
            data={"csrf_token": await token(c), "question": "Nghỉ phép hằng năm được mấy ngày?",
                  "answer": ANSWER, "article_id": "20.2.LQ.113"},
        )
    with h.db.session(readonly=True) as s:
        proposal_id = s.scalar(sa.select(sa.func.max(FaqProposal.id)))
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        response = await c.post(
            f"/staff/admin/faq/{proposal_id}/approve",
            data={"csrf_token": await token(c),
                  "questions": "Nghỉ phép hằng năm được mấy ngày?\n" + QUESTION,
                  "answer": ANSWER, "article_id": "20.2.LQ.113", "clause:20.2.LQ.113": "1"},
        )
        assert response.headers["location"].endswith("ok=faq_approved")
    with h.db.session(readonly=True) as s:
        proposal = s.get(FaqProposal, proposal_id)
        assert proposal is not None and proposal.faq_id
        return proposal.faq_id


async def test_an_approval_answers_on_another_worker_without_restart_and_retiring_stops_it(
    db: Database, tmp_path: Path, read_only_faq: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    build_mini_index(tmp_path / "index")
    other = _worker(db, tmp_path, read_only_faq)  # running before the approval
    assert ANSWER not in _answers(other, QUESTION)
    assert "45 ngày" in _answers(other, "bao truoc bao nhieu ngay khi nghi viec")  # approved in YAML before

    h = make_harness(db, tmp_path, faq_dir=read_only_faq)
    h.add_staff("lan@tgpl.vn")
    h.add_staff("admin@tgpl.vn", "admin")
    before = sorted(os.listdir(read_only_faq))
    faq_id = await _approve(h)
    assert faq_id == "da-duyet-002"  # numbering continues after the entry approved into YAML
    assert sorted(os.listdir(read_only_faq)) == before  # nothing written to the (read-only) folder
    row = FaqEntryStore(db).get(faq_id)
    assert row is not None and row.questions == ["Nghỉ phép hằng năm được mấy ngày?", QUESTION]
    assert row.citations[0]["clause"] == "1" and row.reviewed_by == "admin@tgpl.vn" and not row.retired

    wait_until(lambda: ANSWER in _answers(other, QUESTION), "the other worker serving the approved entry", timeout=15)
    assert "45 ngày" in _answers(other, "bao truoc bao nhieu ngay khi nghi viec")
    assert ANSWER in _answers(_worker(db, tmp_path, read_only_faq), QUESTION)  # a worker started later too

    # the whole FAQ, as the repository would hold it, from `lawbot kb export`
    monkeypatch.setenv("LAWBOT_DATABASE_URL", _url(db))
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "faq").symlink_to(read_only_faq)
    out = tmp_path / "export"
    result = CliRunner().invoke(kb_app, ["export", "--format", "yaml", "--out", str(out), "--kb", str(kb)])
    assert result.exit_code == 0, result.output
    assert "3 FAQ entries" in result.output and "1 approved in the desk" in result.output
    records, problems = read_faq(out)
    assert [p for p in problems if p.level == "error"] == []
    assert [r.id for r in records if r.slug == "da-duyet"] == ["da-duyet-001", "da-duyet-002"]

    # retire it in the desk's FAQ review page: every worker stops answering with it
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        listing = await c.get("/staff/faq/review?state=approved")
        assert faq_id in listing.text
        retired = await c.post(f"/staff/faq/review/{faq_id}", data={"csrf_token": await token(c), "action": "retire"})
        assert retired.status_code == 303
    assert FaqEntryStore(db).get(faq_id).retired  # type: ignore[union-attr]
    wait_until(lambda: ANSWER not in _answers(other, QUESTION), "the other worker dropping the retired entry", timeout=15)
    result = CliRunner().invoke(kb_app, ["export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--kb", str(kb)])
    assert "0 approved in the desk" in result.output


def test_approved_entries_export_into_the_repository_folder_beside_older_ones(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo_faq = tmp_path / "knowledge_base" / "faq"
    repo_faq.mkdir(parents=True)
    (repo_faq / "da-duyet.yaml").write_text(APPROVED_BEFORE, encoding="utf-8")
    entry = {"questions": ["Làm thêm tối đa bao nhiêu giờ một năm?", "lam them toi da bao nhieu gio"],
             "answer": "Thông thường không quá 200 giờ trong 01 năm.", "note": None, "reviewed_by": "Lan",
             "reviewed_at": "2026-12-01",
             "citations": [{"doc_number": "45/2019/QH14", "article": "107", "clause": "2"}]}
    with db.session() as s:
        first = add_entry(s, entry, slug="da-duyet", topic="Cán bộ trợ giúp pháp lý giải đáp", taken=["da-duyet-001"])
        second = add_entry(s, entry, slug="da-duyet", topic="Cán bộ trợ giúp pháp lý giải đáp")
    assert (first, second) == ("da-duyet-002", "da-duyet-003")
    monkeypatch.setenv("LAWBOT_DATABASE_URL", _url(db))
    result = CliRunner().invoke(
        kb_app,
        ["export", "--approved-only", "--format", "yaml", "--out", str(repo_faq), "--kb", str(tmp_path / "knowledge_base")],
    )
    assert result.exit_code == 0, result.output
    records, problems = read_faq(repo_faq)
    assert [p for p in problems if p.level == "error"] == []
    assert [r.id for r in records] == ["da-duyet-001", "da-duyet-002", "da-duyet-003"]
    data = yaml.safe_load((repo_faq / "da-duyet.yaml").read_text(encoding="utf-8"))
    assert data["entries"][1]["reviewed_at"] == "2026-12-01"
    # exporting again changes nothing (a second run before a commit gives no diff)
    text = (repo_faq / "da-duyet.yaml").read_text(encoding="utf-8")
    CliRunner().invoke(kb_app, ["export", "--approved-only", "--format", "yaml", "--out", str(repo_faq)])
    assert (repo_faq / "da-duyet.yaml").read_text(encoding="utf-8") == text


@pytest.mark.postgres
def test_two_admins_approving_at_once_get_two_ids(postgres_database: Any) -> None:
    """Both pick the next number; the primary key makes the second wait, fail and take the one after."""
    import threading

    db = Database(postgres_database())
    db.migrate()
    entry = {"questions": ["Làm thêm tối đa bao nhiêu giờ một năm?", "lam them toi da bao nhieu gio"],
             "answer": "Thông thường không quá 200 giờ trong 01 năm.", "note": None, "reviewed_by": "Lan",
             "reviewed_at": "2026-12-01",
             "citations": [{"doc_number": "45/2019/QH14", "article": "107", "clause": "2"}]}
    ids: list[str] = []
    try:
        with db.session() as first:
            ids.append(add_entry(first, entry, slug="da-duyet", topic="Cán bộ trợ giúp pháp lý giải đáp"))

            def second() -> None:
                with db.session() as s:
                    ids.append(add_entry(s, entry, slug="da-duyet", topic="Cán bộ trợ giúp pháp lý giải đáp"))

            other = threading.Thread(target=second)
            other.start()

            def waiting() -> bool:  # the second insert waits for this transaction on the primary key
                with db.engine.connect() as conn:
                    return bool(conn.scalar(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'")))

            wait_until(waiting, "the second approval waiting for the lock", timeout=10)
        other.join(timeout=10)
        assert sorted(ids) == ["da-duyet-001", "da-duyet-002"]
        assert [r.id for r in FaqEntryStore(db).all()] == ["da-duyet-001", "da-duyet-002"]
    finally:
        db.dispose()
