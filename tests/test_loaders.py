"""Loaders: every corpus in ../shared/data and law files as published become Articles with clauses."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from retrieval.loaders import attach_status, load_source, load_sources
from retrieval.types import Document, Status

LAW_TEXT = """QUỐC HỘI
Luật số: 68/2020/QH14
LUẬT CƯ TRÚ
Chương I
NHỮNG QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Luật này quy định về việc thực hiện quyền tự do cư trú của công dân Việt Nam.
Điều 2. Giải thích từ ngữ
Trong Luật này, các từ ngữ dưới đây được hiểu như sau:
1. Chỗ ở hợp pháp là nơi được sử dụng để sinh sống.
2. Cư trú là việc công dân sinh sống tại một địa điểm.
Chương II
QUYỀN, NGHĨA VỤ CỦA CÔNG DÂN VỀ CƯ TRÚ
Điều 8. Quyền của công dân về cư trú
1. Lựa chọn, quyết định nơi cư trú của mình:
a) đăng ký cư trú;
b) được bảo đảm bí mật thông tin.
2. Được khai thác thông tin về cư trú của mình.
"""


def test_phapdien_keeps_topic_source_and_dates(shared_data: Path) -> None:
    articles, report = load_sources([shared_data / "phapdien" / "articles_chude_21.jsonl"])
    assert report.total == len(articles) > 0 and not report.skipped
    by_id = {a.id: a for a in articles}
    first = articles[0]
    raw = json.loads((shared_data / "phapdien" / "articles_chude_21.jsonl").open().readline())
    assert first.id == raw["id"]
    assert first.topic == raw["chu_de_title"] and first.subtopic == raw["de_muc_title"]
    assert first.doc_number == raw["source_doc_number"] and first.number == raw["source_article"]
    assert first.source_citation.startswith("Điều")
    d, m, y = raw["effective_from"].split("/")
    assert first.effective_from == f"{y}-{m}-{d}"
    assert first.corpus == "phapdien"
    # the document title only the first article's citation carries is shared by all its articles
    titled = [a for a in by_id.values() if a.doc_number == first.doc_number]
    assert all(a.doc_title == titled[0].doc_title for a in titled)


def test_laws_extra_ids_are_doc_number_and_article(shared_data: Path) -> None:
    articles = list(load_source(shared_data / "laws_extra" / "31_2024_QH15.jsonl"))
    art = {a.id: a for a in articles}["31/2024/QH15::45"]
    assert art.doc_number == "31/2024/QH15" and art.number == "45"
    assert art.doc_title == "Luật Đất đai" and art.clauses
    assert art.effective_from == "2024-08-01"


def test_alqac_ids_are_doc_ids_and_text_does_not_repeat_the_title(shared_data: Path) -> None:
    articles = list(load_source(shared_data / "alqac" / "corpus_alqac_2022.jsonl"))
    art = {a.id: a for a in articles}["45/2019/QH14::113"]
    assert art.title == "Nghỉ hằng năm"
    assert not art.text.startswith(art.title)
    assert [c.number for c in art.clauses][:3] == ["1", "2", "3"]


def test_a_folder_is_read_file_by_file_and_non_article_files_are_reported(
    shared_data: Path,
) -> None:
    articles, report = load_sources([shared_data / "alqac"])
    assert report.imported["alqac_2023_2025"] == 2249
    assert any("questions_dev.jsonl" in s.file for s in report.skipped)  # a question file, named
    assert not any("PROVENANCE" in f for f in report.files)
    assert len({a.id for a in articles}) == len(articles)


def test_bad_lines_are_reported_with_file_and_line_and_the_rest_is_imported(tmp_path: Path) -> None:
    good = {"doc_number": "1/2020/QH14", "article": "1", "article_title": "A", "text": "Nội dung."}
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({**good, "article": "2", "text": ""}, ensure_ascii=False),
        json.dumps({**good, "article": "3"}, ensure_ascii=False),
    ]
    path = tmp_path / "law.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    articles, report = load_sources([path])
    assert [a.id for a in articles] == ["1/2020/QH14::1", "1/2020/QH14::3"]
    places = {(s.place, s.reason.split(" (")[0].split(":")[0]) for s in report.skipped}
    assert ("line 2", "bad JSON") in places
    assert any(s.place == "line 3" and "text" in s.reason for s in report.skipped)
    summary = report.summary()
    assert "Imported 2 articles" in summary and f"{path}:line 2" in summary


def _docx(path: Path, paragraphs: list[str]) -> None:
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "word/document.xml",
            f'<?xml version="1.0"?><w:document {ns}><w:body>{body}</w:body></w:document>',
        )


def test_law_files_in_every_published_format(tmp_path: Path) -> None:
    (tmp_path / "cu_tru.txt").write_text(LAW_TEXT, encoding="utf-8")
    (tmp_path / "cu_tru.md").write_text(
        LAW_TEXT.replace("Điều ", "## Điều ").replace("Chương I\n", "# Chương I\n"),
        encoding="utf-8",
    )
    html = (
        "<html><head><style>p{}</style></head><body>"
        + "".join(f"<p>{line}</p>" for line in LAW_TEXT.splitlines())
        + "</body></html>"
    )
    (tmp_path / "cu_tru.html").write_text(html, encoding="utf-8")
    _docx(tmp_path / "cu_tru.docx", LAW_TEXT.splitlines())
    for name in ("cu_tru.txt", "cu_tru.md", "cu_tru.html", "cu_tru.docx"):
        articles = list(load_source(tmp_path / name))
        assert [a.number for a in articles] == ["1", "2", "8"], name
        art = articles[2]
        assert art.id == "68/2020/QH14::8"
        assert art.doc_title == "Luật cư trú"
        assert art.path == "Chương II. QUYỀN, NGHĨA VỤ CỦA CÔNG DÂN VỀ CƯ TRÚ", name
        assert [c.number for c in art.clauses] == ["1", "2"]
        assert [p.label for p in art.clauses[0].points] == ["a", "b"]


def test_unreadable_law_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("Ghi chú không có điều luật nào.", encoding="utf-8")
    (tmp_path / "broken.docx").write_bytes(b"not a zip")
    (tmp_path / "latin1.txt").write_bytes("Điều 1. Phạm vi".encode("cp1258", errors="replace"))
    (tmp_path / "ok.txt").write_text(LAW_TEXT, encoding="utf-8")
    articles, report = load_sources([tmp_path])
    assert len(articles) == 3
    reasons = {Path(s.file).name: s.reason for s in report.skipped}
    assert "no article" in reasons["notes.txt"]
    assert ".docx" in reasons["broken.docx"]
    assert "UTF-8" in reasons["latin1.txt"]


def test_missing_source_is_reported() -> None:
    _, report = load_sources([Path("/nonexistent/corpus")])
    assert report.skipped[0].reason == "no such file or folder"


def test_attach_status_from_the_register(tmp_path: Path) -> None:
    (tmp_path / "cu_tru.txt").write_text(LAW_TEXT, encoding="utf-8")
    articles = list(load_source(tmp_path / "cu_tru.txt"))
    register = {
        "68/2020/QH14": Document(
            number="68/2020/QH14",
            type="Luật",
            title="Luật Cư trú",
            status=Status.IN_FORCE,
            effective="2021-07-01",
        )
    }
    assert attach_status(articles, register) == 3
    assert all(a.status == Status.IN_FORCE for a in articles)
    assert articles[0].effective_from == "2021-07-01"
