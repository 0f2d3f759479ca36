"""`lawbot ask --json` and `lawbot chat`: the same service as the bots, from a terminal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.cli.main import app
from bot.storage.db import Database
from bot.storage.schema import Feedback, Ticket
from tests.auxil.mini_index import build_mini_index

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings for a CLI run: a SQLite file, no dense embedder, the repository's knowledge base."""
    monkeypatch.chdir(tmp_path)  # no stray .env; relative defaults land in tmp_path
    monkeypatch.setenv("LAWBOT_DATABASE_URL", f"sqlite:///{tmp_path}/lawbot.sqlite3")
    monkeypatch.setenv("LAWBOT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("LAWBOT_EMBEDDER", "none")
    monkeypatch.setenv("LAWBOT_FAQ_DIR", str(REPO / "knowledge_base" / "faq"))
    monkeypatch.setenv("LAWBOT_DOCUMENTS_REGISTER", str(REPO / "knowledge_base" / "documents.yaml"))
    return tmp_path


def ask(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["ask", *args, "--json"])
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    return json.loads(last)  # type: ignore[no-any-return]


def test_ask_json_answers_with_a_citation_of_the_index(env: Path) -> None:
    build_mini_index(env / "index")
    reply = ask("Một năm làm việc được nghỉ phép bao nhiêu ngày?")
    assert reply["kind"] == "answer"
    cited = {(c["doc_number"], c["article"]) for c in reply["citations"]}  # type: ignore[union-attr]
    assert ("45/2019/QH14", "113") in cited
    assert "Điều 113" in str(reply["text"])
    assert reply["ticket_id"] is None and reply["urgent"] is False


def test_ask_json_escalates_urgent_violence_with_a_ticket_when_asked_to(env: Path) -> None:
    build_mini_index(env / "index")
    reply = ask("chồng tôi đánh tôi và dọa giết tôi tối nay, tôi phải làm sao", "--open-tickets")
    assert reply["kind"] == "escalated"
    assert reply["urgent"] is True
    assert "113" in str(reply["text"])
    with Database(f"sqlite:///{env}/lawbot.sqlite3").session(readonly=True) as s:
        ids = s.scalars(sa.select(Ticket.id)).all()
    assert ids == [reply["ticket_id"]]


def test_fresh_install_builds_the_default_index_and_answers_from_the_faq(env: Path) -> None:
    """No index, no ../shared: the first `ask` builds the default index from knowledge_base/ and
    the vetted FAQ answers, naming its legal basis from the document register."""
    assert not (env / "index").exists()
    reply = ask("nghi phep nam duoc bao nhieu ngay")
    assert (env / "index" / "CURRENT").is_file()
    assert reply["kind"] == "answer"
    cited = {(c["doc_number"], c["article"]) for c in reply["citations"]}  # type: ignore[union-attr]
    assert ("45/2019/QH14", "113") in cited
    assert "Bộ luật Lao động" in str(reply["text"])


def test_fresh_install_offers_a_person_when_nothing_answers(env: Path) -> None:
    reply = ask("hàng xóm xây tường lấn sang đất nhà tôi 20 cm thì xử lý thế nào")
    assert reply["kind"] in {"clarify", "answer"}
    if reply["kind"] == "answer":  # only when a FAQ entry matched, and then it cites
        assert reply["citations"]
    else:
        assert reply["citations"] == []
        assert "cán bộ" in str(reply["text"]).lower()


def test_a_broken_index_is_reported_not_replaced(env: Path) -> None:
    build_mini_index(env / "index")
    current = (env / "index" / "CURRENT").read_text().strip()
    shutil.rmtree(env / "index" / "builds" / current)
    result = CliRunner().invoke(app, ["ask", "nghỉ phép năm", "--json"])
    assert result.exit_code == 1
    assert "no usable index" in result.stderr and current in result.stderr
    assert (env / "index" / "CURRENT").read_text().strip() == current  # no silent rebuild


def test_chat_answers_follow_up_and_takes_feedback(env: Path) -> None:
    build_mini_index(env / "index")
    lines = "\n".join(
        [
            "thử việc tối đa bao lâu",
            "1",  # the first button under an answer: 👍
            "/canbo",
            "",
        ]
    )
    result = CliRunner().invoke(app, ["chat", "--user", "u1", "--open-tickets"], input=lines + "\n")
    assert result.exit_code == 0, result.output
    assert "Điều 25" in result.output
    assert "[1]" in result.output
    db = Database(f"sqlite:///{env}/lawbot.sqlite3")
    with db.session(readonly=True) as s:
        feedback = s.scalars(sa.select(Feedback)).all()
        tickets = s.scalars(sa.select(Ticket)).all()
    assert [f.positive for f in feedback] == [True]
    assert len(tickets) == 1


def test_a_near_miss_is_offered_the_closest_faq_question_which_then_answers(env: Path) -> None:
    first = ask("chồng tôi nợ nần, chủ nợ có bắt vợ trả không")
    assert first["kind"] == "clarify"  # fresh install: no law text, and the FAQ is not sure
    text = str(first["text"])
    assert "1. " in text  # the closest vetted questions, numbered: sending the number is enough
    offered = [line[3:] for line in text.splitlines() if line[:3] in ("1. ", "2. ", "3. ")]
    second = next(r for r in (ask(q) for q in offered) if r["kind"] == "answer")
    cited = {(c["doc_number"], c["article"]) for c in second["citations"]}  # type: ignore[union-attr]
    assert ("52/2014/QH13", "37") in cited  # nghĩa vụ chung về tài sản của vợ chồng


def _count(env: Path, model: type) -> int:
    with Database(f"sqlite:///{env}/lawbot.sqlite3").session(readonly=True) as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_terminal_escalations_open_no_ticket_unless_asked(env: Path) -> None:
    build_mini_index(env / "index")
    reply = ask("chồng tôi đánh tôi và dọa giết tôi tối nay, tôi phải làm sao")
    assert reply["kind"] == "escalated" and reply["urgent"] is True
    assert "113" in str(reply["text"])  # the citizen-facing reply is unchanged
    assert _count(env, Ticket) == 0  # but the staff queue stays for citizens


def test_each_ask_is_a_fresh_conversation_unless_a_user_is_given(env: Path) -> None:
    from bot.storage.schema import Conversation

    build_mini_index(env / "index")
    ask("thử việc tối đa bao lâu")
    ask("nghỉ phép năm bao nhiêu ngày")
    assert _count(env, Conversation) == 2
    ask("thử việc tối đa bao lâu", "--user", "admin-1")
    ask("thế còn lương thử việc?", "--user", "admin-1")
    assert _count(env, Conversation) == 3


def test_blank_lines_do_not_end_a_chat(env: Path) -> None:
    build_mini_index(env / "index")
    lines = "\n".join(["", "   ", "thử việc tối đa bao lâu", "/thoat", "nghỉ phép năm bao nhiêu ngày"])
    result = CliRunner().invoke(app, ["chat", "--user", "u2"], input=lines + "\n")
    assert result.exit_code == 0, result.output
    assert "Điều 25" in result.output  # the question after the blank lines was answered
    assert "Điều 113" not in result.output  # /thoat ended the chat


def test_train_faq_refuses_a_held_out_file(tmp_path: Path) -> None:
    """`lawbot train faq --answers` never fits on a held-out check file (they measure, they do not teach)."""
    held_out = tmp_path / "answers_check_9.jsonl"
    held_out.write_text('{"kind": "answer", "text": "nghỉ phép năm mấy ngày", "gold_ids": ["x"]}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "faq", "--answers", str(held_out), "--out", str(tmp_path / "m.json"),
                                      "--picker-out", str(tmp_path / "p.json")])
    assert result.exit_code != 0
    assert "held-out" in result.output
    assert not (tmp_path / "m.json").exists()
