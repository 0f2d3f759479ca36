"""A missing or broken CURRENT and damaged index files (issues 13 and 14): never an empty index served
as healthy, a clear error (no traceback) from `index status` and `ask`, /healthz saying what is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.runtime.default_index import ensure_index
from bot.settings import Settings
from bot.storage.db import Database
from retrieval.build import IndexFormatError, switch_current
from retrieval.index import load_index
from tests.auxil.app_harness import TG_HEADERS, make_settings, running, workers_looked_again
from tests.auxil.fake_telegram import FakeTelegram, private_message
from tests.auxil.mini_index import build_mini_index
from tests.auxil.waiting import await_until

REPO = Path(__file__).resolve().parents[1]
QUESTION = "Nghỉ phép hằng năm được mấy ngày?"


def _cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


# --- every file of a build: a damaged one is named when the build loads ---------------------------


@pytest.fixture(scope="module")
def good_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("good") / "index"
    build_mini_index(path)
    return path


def _build_files() -> list[str]:
    # manifest.json has its own message ("unreadable"), tested in test_build_hardening.py
    return [
        "aliases.json",
        "article_ids.json",
        "articles.jsonl",
        "articles.offsets.npy",
        "indexed_rows.npy",
        "status.npy",
        "bm25/bigrams.npz",
        "bm25/scores.data.npy",
        "bm25/scores.indices.npy",
        "bm25/scores.indptr.npy",
        "bm25/bm25.json",
        "bm25/tokenizer.json",
        "bm25/vocab.json",
    ]


@pytest.mark.parametrize("empty", [False, True], ids=["cut-in-half", "emptied"])
@pytest.mark.parametrize("name", _build_files())
def test_a_damaged_file_is_named_when_the_build_loads(
    good_index: Path, tmp_path: Path, name: str, empty: bool
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(good_index, index_dir)
    [build] = (index_dir / "builds").iterdir()
    if empty:
        (build / name).write_bytes(b"")
    else:
        _cut_in_half(build / name)
    # before: BadZipFile for bigrams.npz, and articles.jsonl loaded fine and failed on a question
    with pytest.raises(IndexFormatError) as err:
        load_index(index_dir)
    assert name in str(err.value) and str(build) in str(err.value)


def test_files_checked_at_load_cost_little_on_a_good_build(good_index: Path) -> None:
    index = load_index(good_index)
    assert [hit.article.id for hit in index.search(QUESTION, 1)] == ["45/2019/QH14::113"]
    index.close()


# --- the CLI ---------------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAWBOT_DATABASE_URL", f"sqlite:///{tmp_path}/lawbot.sqlite3")
    monkeypatch.setenv("LAWBOT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("LAWBOT_EMBEDDER", "none")
    monkeypatch.setenv("LAWBOT_FAQ_DIR", str(REPO / "knowledge_base" / "faq"))
    monkeypatch.setenv("LAWBOT_DOCUMENTS_REGISTER", str(REPO / "knowledge_base" / "documents.yaml"))
    return tmp_path


def _no_traceback(result: object) -> None:
    exc = getattr(result, "exception", None)
    assert not isinstance(exc, Exception), exc  # SystemExit (typer.Exit) is not an Exception
    assert "Traceback" not in getattr(result, "output", "")


def test_truncated_bigrams_give_a_clear_error_from_status_and_ask(env: Path) -> None:
    build = build_mini_index(env / "index")
    _cut_in_half(env / "index" / "builds" / build / "bm25" / "bigrams.npz")
    status = CliRunner().invoke(app, ["index", "status", str(env / "index")])
    asked = CliRunner().invoke(app, ["ask", QUESTION])
    for result in (status, asked):
        _no_traceback(result)
        assert result.exit_code == 1
        assert "bm25/bigrams.npz is damaged" in result.output, result.output


def test_missing_current_next_to_a_law_build_is_not_replaced_by_an_empty_index(
    env: Path,
) -> None:
    index_dir = env / "index"
    build = build_mini_index(index_dir)
    (index_dir / "CURRENT").unlink()  # a disk cleaned by hand, a copy cut short
    said: list[str] = []
    # before: a 0-article default build went into the folder and was served as healthy
    assert ensure_index(Settings(_env_file=None), echo=said.append) is False  # type: ignore[call-arg]
    assert [p.name for p in (index_dir / "builds").iterdir()] == [build]
    assert not (index_dir / "CURRENT").exists()
    assert build in said[0] and "CURRENT" in said[0]
    asked = CliRunner().invoke(app, ["ask", QUESTION])
    _no_traceback(asked)
    assert asked.exit_code == 1 and "CURRENT" in asked.output and build in asked.output


def test_the_faq_only_default_folder_is_still_built_and_rebuilt(env: Path) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    index_dir = env / "index"
    assert ensure_index(settings, echo=lambda _: None) is True  # a fresh install
    [first] = (index_dir / "builds").iterdir()
    assert json.loads((first / "manifest.json").read_text())["n_articles"] == 0
    (index_dir / "CURRENT").unlink()  # a second build in the same second gets its own id
    assert ensure_index(settings, echo=lambda _: None) is True  # nothing of value to protect
    assert (index_dir / "CURRENT").is_file()


# --- the server: /healthz says what is wrong --------------------------------------------------------


async def _health(client: httpx.AsyncClient) -> tuple[int, dict[str, object]]:
    response = await client.get("/healthz")
    return response.status_code, response.json()


async def test_server_without_current_says_why_and_switches_once_it_is_back(
    db: Database, fake: FakeTelegram, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    build = build_mini_index(index_dir)
    (index_dir / "CURRENT").unlink()
    async with running(make_settings(db, index_dir, fake, None), db) as r:
        status, body = await _health(r.client)
        assert (status, body["status"]) == (503, "unavailable")
        problem = str(body["index"]["problem"])  # type: ignore[index]
        assert "CURRENT" in problem and build in problem
        update = private_message(700_001, QUESTION, user_id=7001)
        assert (
            await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
        ).status_code == 200
        await workers_looked_again(r)
        assert fake.sent(7001) == []  # kept in the inbox, not answered from nothing
        switch_current(index_dir, build)  # the admin points CURRENT back: no restart needed
        assert await fake.wait_until(lambda: len(fake.sent(7001)) == 1, timeout=60)  # the first load builds the FAQ matcher: ~15 s on a slow 2-core machine
        status, body = await _health(r.client)
    assert (status, body["status"], body["index"]["problem"]) == (200, "ok", None)  # type: ignore[index]


async def test_server_with_a_damaged_build_at_start_names_the_file(
    db: Database, fake: FakeTelegram, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    build = build_mini_index(index_dir)
    _cut_in_half(index_dir / "builds" / build / "bm25" / "bigrams.npz")
    async with running(make_settings(db, index_dir, fake, None), db) as r:
        status, body = await _health(r.client)
    assert (status, body["status"]) == (503, "unavailable")
    assert "bm25/bigrams.npz is damaged" in str(body["index"]["problem"])  # type: ignore[index]


def _damaged_copy(index_dir: Path, old: str, name: str) -> None:
    target = index_dir / "builds" / name
    shutil.copytree(index_dir / "builds" / old, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["build_id"] = name
    (target / "manifest.json").write_text(json.dumps(manifest))
    _cut_in_half(target / "bm25" / "bigrams.npz")
    switch_current(index_dir, name)


async def test_damaged_new_build_keeps_the_old_one_serving_and_health_degraded(
    db: Database, fake: FakeTelegram, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    old = build_mini_index(index_dir)
    async with running(make_settings(db, index_dir, fake, None), db) as r:
        _damaged_copy(index_dir, old, "99990101-000000-damaged")

        async def degraded() -> bool:
            return (await _health(r.client))[1]["status"] == "degraded"

        await await_until(degraded, "/healthz to say degraded")
        status, body = await _health(r.client)
        assert status == 200  # it still answers: a load balancer keeps it, a monitor alerts
        index = body["index"]
        assert index["build_id"] == old  # type: ignore[index]
        assert "bm25/bigrams.npz is damaged" in index["problem"]  # type: ignore[index]
        assert f"still serving {old}" in index["problem"]  # type: ignore[index]
        update = private_message(710_001, QUESTION, user_id=7101)
        await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
        assert await fake.wait_until(lambda: len(fake.sent(7101)) == 1)
        assert "Điều 113" in fake.sent_texts(7101)[0]
        switch_current(index_dir, old)  # back to the good build: healthy again

        async def ok() -> bool:
            return (await _health(r.client))[1]["status"] == "ok"

        # switching back builds the assistant again, FAQ included
        await await_until(ok, "/healthz to say ok", timeout=90)


async def test_files_of_the_serving_build_changed_on_disk_are_reported(
    db: Database, fake: FakeTelegram, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    build = build_mini_index(index_dir)
    async with running(make_settings(db, index_dir, fake, None), db) as r:
        assert (await _health(r.client))[1]["status"] == "ok"
        # before: served from memory, /healthz stayed "ok" while `ask` and a restart failed
        _cut_in_half(index_dir / "builds" / build / "bm25" / "bigrams.npz")

        async def degraded() -> bool:
            return (await _health(r.client))[1]["status"] == "degraded"

        await await_until(degraded, "/healthz to say degraded")
        status, body = await _health(r.client)
    assert status == 200
    assert "bm25/bigrams.npz" in str(body["index"]["problem"])  # type: ignore[index]
