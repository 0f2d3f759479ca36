"""`lawbot kb import / export / check` on a small knowledge base built in a temporary folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli.kb import kb_app
from retrieval.faq import load_faq
from retrieval.register import load_register, normalize_doc_number
from retrieval.types import Status

ARTICLE_113 = (
    "1. Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động thì được nghỉ hằng năm, "
    "hưởng nguyên lương theo hợp đồng lao động như sau:\na) 12 ngày làm việc đối với người làm công việc "
    "trong điều kiện bình thường;\nb) 14 ngày làm việc đối với người lao động chưa thành niên."
)
LAW_TXT = """QUỐC HỘI
Luật số: 99/2099/QH99

LUẬT
THỬ NGHIỆM NHẬP VĂN BẢN

Chương I
QUY ĐỊNH CHUNG

Điều 1. Phạm vi điều chỉnh
Luật này quy định việc thử nghiệm nhập văn bản vào cơ sở tri thức.

Điều 2. Thời hạn
1. Thời hạn nộp hồ sơ là 15 ngày.
2. Hồ sơ nộp tại Ủy ban nhân dân cấp xã.
"""
FAQ_ROWS = [
    {
        "id": "lao-dong-001",
        "topic": "Lao động",
        "questions": "Một năm được nghỉ phép mấy ngày? | nghi phep nam duoc bao nhieu ngay",
        "answer": "Làm đủ 12 tháng thì được nghỉ 12 ngày làm việc, hưởng nguyên lương.",
        "citations": "45/2019/QH14 Điều 113 khoản 1 [20.2.LQ.113]",
        "reviewed_by": "",
        "reviewed_at": "",
    },
    {
        "id": "",  # a new row typed by staff: gets the next free id of its topic
        "topic": "Lao động",
        "questions": "Lao động chưa thành niên nghỉ phép mấy ngày?\nchua thanh nien nghi phep may ngay",
        "answer": "Người lao động chưa thành niên được nghỉ 14 ngày làm việc mỗi năm.",
        "citations": "45/2019/QH14 Điều 113 khoản 1 điểm b [20.2.LQ.113]",
        "reviewed_by": "Nguyễn Văn A",
        "reviewed_at": "2026-11-20",
    },
]

runner = CliRunner()


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:  # as a spreadsheet saves it
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(autouse=True)
def _no_desk_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kb export` adds the desk's approved entries from LAWBOT_DATABASE_URL: none here (a missing file)."""
    monkeypatch.setenv("LAWBOT_DATABASE_URL", f"sqlite:///{tmp_path}/no-database.sqlite3")


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge_base"
    (folder / "faq").mkdir(parents=True)
    (folder / "documents.yaml").write_text(
        "documents:\n"
        "  - number: 45/2019/QH14\n    type: Bộ luật\n    title: Bộ luật Lao động\n"
        "    status: in_force\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A corpus folder shaped like ../shared/data with the one article the FAQ cites."""
    folder = tmp_path / "data" / "phapdien"
    folder.mkdir(parents=True)
    rec = {
        "id": "20.2.LQ.113", "chu_de": 20, "de_muc": "20.2", "title": "Nghỉ hằng năm",
        "source_doc_number": "45/2019/QH14", "source_article": "113", "text": ARTICLE_113,
    }
    (folder / "articles_chude_20.jsonl").write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder.parent


def test_import_csv_faq_and_law_text(kb: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write_csv(src / "faq.csv", FAQ_ROWS)
    (src / "99_2099_QH99.txt").write_text(LAW_TXT, encoding="utf-8")

    result = runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])

    assert result.exit_code == 0, result.output
    records = load_faq(kb / "faq")
    assert [r.id for r in records] == ["lao-dong-001", "lao-dong-002"]
    assert records[1].questions == ["Lao động chưa thành niên nghỉ phép mấy ngày?", "chua thanh nien nghi phep may ngay"]
    assert records[1].citations[0].point == "b" and records[1].citations[0].article_id == "20.2.LQ.113"
    assert records[1].reviewed_by == "Nguyễn Văn A"
    law = [json.loads(line) for line in (kb / "laws" / "99_2099_QH99.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [a["article"] for a in law] == ["1", "2"]
    assert "15 ngày" in law[1]["text"]
    register = load_register(kb / "documents.yaml")
    new_doc = register[normalize_doc_number("99/2099/QH99")]
    assert new_doc.status is Status.UNKNOWN  # imported documents wait for a person to check them
    assert "FAQ: 2 entries added" in result.output


def test_import_same_csv_twice_updates_instead_of_duplicating(kb: Path, tmp_path: Path) -> None:
    src = tmp_path / "faq.csv"
    _write_csv(src, FAQ_ROWS[:1])
    runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])
    changed = dict(FAQ_ROWS[0], answer="Đủ 12 tháng làm việc: 12 ngày phép năm.")
    _write_csv(src, [changed])

    result = runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])

    assert result.exit_code == 0, result.output
    records = load_faq(kb / "faq")
    assert len(records) == 1 and records[0].answer == "Đủ 12 tháng làm việc: 12 ngày phép năm."


def test_import_rejects_bad_row_naming_file_and_row(kb: Path, tmp_path: Path) -> None:
    src = tmp_path / "faq.csv"
    bad = dict(FAQ_ROWS[0], id="lao-dong-007", questions="Chỉ có một câu hỏi có dấu?")
    _write_csv(src, [bad, FAQ_ROWS[0]])

    result = runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])

    assert result.exit_code == 1
    assert "faq.csv: lao-dong-007" in result.output
    assert "2 to 12 question variants" in result.output
    # all or nothing: the good row waits until the spreadsheet is fixed
    assert "Nothing was written" in result.output
    assert list((kb / "faq").iterdir()) == []


def test_export_csv_then_import_gives_the_same_faq(kb: Path, tmp_path: Path) -> None:
    src = tmp_path / "faq.csv"
    _write_csv(src, FAQ_ROWS)
    runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])
    out = tmp_path / "export.csv"

    result = runner.invoke(kb_app, ["export", "--format", "csv", "--out", str(out), "--kb", str(kb)])

    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Vietnamese text correctly
    second = tmp_path / "kb2"
    (second / "faq").mkdir(parents=True)
    (second / "documents.yaml").write_text((kb / "documents.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert runner.invoke(kb_app, ["import", str(out), "--to", str(second)]).exit_code == 0
    before, after = load_faq(kb / "faq"), load_faq(second / "faq")
    strip = lambda rs: [(r.id, r.topic, r.questions, r.answer, r.citations, r.reviewed_at) for r in rs]  # noqa: E731
    assert strip(before) == strip(after)


def test_export_yaml_as_folder_and_as_one_stream(kb: Path, tmp_path: Path) -> None:
    src = tmp_path / "faq.csv"
    _write_csv(src, FAQ_ROWS)
    runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])

    folder = tmp_path / "yaml_out"
    assert runner.invoke(kb_app, ["export", "--format", "yaml", "--out", str(folder), "--kb", str(kb)]).exit_code == 0
    stream = tmp_path / "all.yaml"
    assert runner.invoke(kb_app, ["export", "--format", "yaml", "--out", str(stream), "--kb", str(kb)]).exit_code == 0

    assert [r.id for r in load_faq(folder)] == ["lao-dong-001", "lao-dong-002"]
    docs = list(yaml.safe_load_all(stream.read_text(encoding="utf-8")))
    assert [e["id"] for e in docs[0]["entries"]] == ["lao-dong-001", "lao-dong-002"]


def test_check_passes_a_clean_knowledge_base(kb: Path, tmp_path: Path, data: Path) -> None:
    src = tmp_path / "faq.csv"
    _write_csv(src, FAQ_ROWS)
    runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])

    result = runner.invoke(kb_app, ["check", "--kb", str(kb), "--data", str(data)])

    assert result.exit_code == 0, result.output
    assert "FAQ: 2 entries in 1 topics" in result.output
    assert "0 error(s)" in result.output


def test_check_reports_broken_citation_with_file_and_entry(kb: Path, tmp_path: Path, data: Path) -> None:
    broken = dict(
        FAQ_ROWS[0],
        answer="Làm đủ 12 tháng thì được nghỉ 16 ngày.",  # 16 is not in Điều 113
        citations="45/2019/QH14 Điều 113 [20.2.LQ.113]; 10/2099/QH99 Điều 5 [20.2.LQ.999]",
    )
    src = tmp_path / "faq.csv"
    _write_csv(src, [broken])
    runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])

    result = runner.invoke(kb_app, ["check", "--kb", str(kb), "--data", str(data)])

    assert result.exit_code == 1
    out = result.output
    assert "lao-dong.yaml: lao-dong-001: citation 2 (10/2099/QH99 Điều 5 [20.2.LQ.999])" in out
    assert "document 10/2099/QH99 is not in documents.yaml" in out
    assert "article_id 20.2.LQ.999 not found in the corpus" in out
    assert "number(s) not in the text of the cited articles: 16" in out


def test_check_without_corpus_says_what_it_skipped(kb: Path, tmp_path: Path) -> None:
    src = tmp_path / "faq.csv"
    _write_csv(src, FAQ_ROWS[:1])
    runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])

    result = runner.invoke(kb_app, ["check", "--kb", str(kb), "--data", str(tmp_path / "absent")])

    assert result.exit_code == 0, result.output
    assert "NOT checked" in result.output


def test_imported_law_text_is_checked_without_the_shared_corpus(kb: Path, tmp_path: Path) -> None:
    """A province's own document imported into the knowledge base can back FAQ entries on its own."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "99_2099_QH99.txt").write_text(LAW_TXT, encoding="utf-8")
    row = dict(
        FAQ_ROWS[0],
        id="thu-tuc-001",
        topic="Thủ tục",
        questions="Nộp hồ sơ trong bao lâu? | nop ho so trong bao lau",
        answer="Bạn nộp hồ sơ tại UBND cấp xã trong 20 ngày.",  # the law says 15
        citations="99/2099/QH99 Điều 2 [99/2099/QH99::2]",
    )
    _write_csv(src / "faq.csv", [row])
    assert runner.invoke(kb_app, ["import", str(src), "--to", str(kb)]).exit_code == 0

    result = runner.invoke(kb_app, ["check", "--kb", str(kb), "--data", str(tmp_path / "absent")])

    assert result.exit_code == 1
    assert "thu-tuc-001: number(s) not in the text of the cited articles: 20" in result.output


def test_import_phapdien_jsonl_keeps_ids_and_registers_the_document(kb: Path, tmp_path: Path) -> None:
    rec = {
        "id": "4.5.LQ.7", "chu_de": 4, "de_muc": "4.5", "title": "Người được trợ giúp pháp lý",
        "source_citation": "Điều 7 Luật số 11/2017/QH14 Trợ giúp pháp lý ngày 20/06/2017 của Quốc hội, "
        "có hiệu lực thi hành kể từ ngày 01/01/2018",
        "source_doc_number": "11/2017/QH14", "source_article": "7", "effective_from": "01/01/2018",
        "text": "1. Người có công với cách mạng.\n2. Người thuộc hộ nghèo.",
    }
    src = tmp_path / "articles_chude_04.jsonl"
    src.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")

    result = runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])

    assert result.exit_code == 0, result.output
    copied = json.loads((kb / "phapdien" / "articles_chude_04.jsonl").read_text(encoding="utf-8"))
    assert copied["id"] == "4.5.LQ.7"
    doc = load_register(kb / "documents.yaml")[normalize_doc_number("11/2017/QH14")]
    assert doc.status is Status.UNKNOWN and doc.effective == "2018-01-01"


def test_yaml_export_imports_back(kb: Path, tmp_path: Path) -> None:
    src = tmp_path / "faq.csv"
    _write_csv(src, FAQ_ROWS)
    runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])
    stream = tmp_path / "all.yaml"
    runner.invoke(kb_app, ["export", "--format", "yaml", "--out", str(stream), "--kb", str(kb)])
    second = tmp_path / "kb2"
    (second / "faq").mkdir(parents=True)

    result = runner.invoke(kb_app, ["import", str(stream), "--to", str(second)])

    assert result.exit_code == 0, result.output
    assert [r.answer for r in load_faq(second / "faq")] == [r.answer for r in load_faq(kb / "faq")]


def _import_rows(kb: Path, tmp_path: Path, rows: list[dict[str, str]]) -> None:
    src = tmp_path / "rows.csv"
    _write_csv(src, rows)
    result = runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])
    assert result.exit_code == 0, result.output


FIVE = (
    "Một năm được nghỉ phép mấy ngày? | nghi phep nam duoc bao nhieu ngay | Phép năm có bao nhiêu ngày? | "
    "Làm đủ 12 tháng được nghỉ mấy ngày phép? | ngay phep nam la bao nhieu"
)


def test_check_refuses_an_expired_document_even_with_a_note(kb: Path, tmp_path: Path) -> None:
    with (kb / "documents.yaml").open("a", encoding="utf-8") as fh:
        fh.write("  - {number: 10/2012/QH13, type: Bộ luật, status: expired, replaced_by: 45/2019/QH14}\n")
    row = dict(FAQ_ROWS[0], questions=FIVE, citations="10/2012/QH13 Điều 111 [20.2.LQ.111]")
    _import_rows(kb, tmp_path, [row])
    path = kb / "faq" / "lao-dong.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("note: null", "note: Luật cũ"), encoding="utf-8")

    result = runner.invoke(kb_app, ["check", "--kb", str(kb), "--data", str(tmp_path / "absent")])

    assert result.exit_code == 1, result.output
    assert "lao-dong-001: citation 1 (10/2012/QH13 Điều 111 [20.2.LQ.111]): document is expired; cite 45/2019/QH14 instead" in result.output


def test_check_refuses_a_suspended_article_but_not_its_neighbours(kb: Path, tmp_path: Path) -> None:
    with (kb / "documents.yaml").open("a", encoding="utf-8") as fh:
        fh.write(
            "  - {number: 101/2024/NĐ-CP, type: Nghị định, status: partly_expired, suspended_articles: '21, 22, 28-49, 60',"
            " suspended_until: '2999-03-01', suspended_by: 151/2025/NĐ-CP}\n"
        )
    suspended = dict(
        FAQ_ROWS[0], id="dat-dai-001", topic="Đất đai", answer="Cấp đổi sổ đỏ làm theo thủ tục của Nghị định.",
        questions="Cấp đổi sổ đỏ thế nào? | cap doi so do | Đổi sổ đỏ cũ ở đâu? | doi so do cu | Sổ đỏ rách thì đổi sao?",
        citations="101/2024/NĐ-CP Điều 38 [101/2024/NĐ-CP::38]",
    )
    in_force = dict(
        suspended, id="dat-dai-002", answer="Điều tra đất đai do Nhà nước thực hiện.",
        questions="Ai điều tra đất đai? | ai dieu tra dat dai | Điều tra cơ bản đất đai là gì? | "
        "dieu tra co ban dat dai | Cơ quan nào điều tra đất?",
        citations="101/2024/NĐ-CP Điều 5 [101/2024/NĐ-CP::5]",
    )
    _import_rows(kb, tmp_path, [suspended, in_force])

    result = runner.invoke(kb_app, ["check", "--kb", str(kb), "--data", str(tmp_path / "absent")])

    assert result.exit_code == 1, result.output
    assert "dat-dai-001: citation 1 (101/2024/NĐ-CP Điều 38 [101/2024/NĐ-CP::38]): Điều 38 is suspended by 151/2025/NĐ-CP until 2999-03-01" in result.output
    assert "dat-dai-002" not in result.output
    assert "1 error(s), 0 warning(s)" in result.output


def test_check_refuses_two_entries_asking_the_same_question(kb: Path, tmp_path: Path, data: Path) -> None:
    first = dict(FAQ_ROWS[0], questions=FIVE)
    # same words without diacritics and another order of punctuation: the same question
    same = dict(
        FAQ_ROWS[1], id="lao-dong-002",
        questions="Lao động chưa thành niên nghỉ phép mấy ngày? | MOT NAM DUOC NGHI PHEP MAY NGAY | a | b | c",
    )
    # one extra word in a long question: Jaccard 15/16 >= 0.9
    near = dict(
        FAQ_ROWS[1], id="lao-dong-003",
        questions="Người chưa thành niên đi làm một năm nghỉ phép bao nhiêu ngày vậy ạ | x1 | x2 | x3 | x4",
    )
    near_twin = dict(
        FAQ_ROWS[1], id="lao-dong-004",
        questions="Người chưa thành niên đi làm một năm được nghỉ phép bao nhiêu ngày vậy ạ | y1 | y2 | y3 | y4",
    )
    different = dict(
        FAQ_ROWS[1], id="lao-dong-005",
        questions="Người khuyết tật đi làm một năm nghỉ phép bao nhiêu ngày vậy ạ | z1 | z2 | z3 | z4",
    )
    _import_rows(kb, tmp_path, [first, same, near, near_twin, different])

    result = runner.invoke(kb_app, ["check", "--kb", str(kb), "--data", str(data)])

    assert result.exit_code == 1, result.output
    out = result.output
    assert "lao-dong-002: question 'MOT NAM DUOC NGHI PHEP MAY NGAY' is also a question of lao-dong-001" in out
    assert "lao-dong-004: question 'Người chưa thành niên đi làm một năm được nghỉ phép bao nhiêu ngày vậy ạ' nearly repeats" in out
    assert "lao-dong-005" not in out  # 'khuyết tật' instead of 'chưa thành niên': another question
    assert "2 error(s)" in out


def test_check_warns_about_entries_with_fewer_than_five_variants_and_counts_them(
    kb: Path, tmp_path: Path, data: Path
) -> None:
    _import_rows(kb, tmp_path, [dict(FAQ_ROWS[0], questions=FIVE), FAQ_ROWS[1]])

    result = runner.invoke(kb_app, ["check", "--kb", str(kb), "--data", str(data)])

    assert result.exit_code == 0, result.output  # a warning: writers are topping entries up
    assert "[warning] " in result.output and "lao-dong-002: has 2 question variant(s); write 5" in result.output
    assert "FAQ: 2 entries in 1 topics, 7 question variants" in result.output
    assert "  Lao động: 2 entries, 7 variants" in result.output
    assert "0 error(s), 1 warning(s)" in result.output
    assert runner.invoke(kb_app, ["check", "--kb", str(kb), "--data", str(data), "--strict"]).exit_code == 1


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt, name", [("csv", "faq.csv"), ("yaml", "faq_folder")])
def test_importing_an_unchanged_export_of_the_shipped_faq_changes_no_file(
    tmp_path: Path, fmt: str, name: str
) -> None:
    # the shipped FAQ: answers full of quotes and semicolons, many files written by hand
    shipped = Path(__file__).resolve().parents[1] / "knowledge_base"
    kb = tmp_path / "kb"
    (kb / "faq").mkdir(parents=True)
    for path in (shipped / "faq").glob("*.yaml"):
        (kb / "faq" / path.name).write_bytes(path.read_bytes())
    (kb / "documents.yaml").write_bytes((shipped / "documents.yaml").read_bytes())
    before = _files(kb)
    out = tmp_path / name

    assert runner.invoke(kb_app, ["export", "--format", fmt, "--out", str(out), "--kb", str(kb)]).exit_code == 0
    result = runner.invoke(kb_app, ["import", str(out), "--to", str(kb)])

    assert result.exit_code == 0, result.output[-2000:]
    assert "0 entries added, 0 updated" in result.output
    assert _files(kb) == before


def test_a_spreadsheet_edit_rewrites_only_its_topic_file(kb: Path, tmp_path: Path) -> None:
    src = tmp_path / "faq.csv"
    other = dict(FAQ_ROWS[0], id="dan-su-001", topic="Dân sự")
    _write_csv(src, [FAQ_ROWS[0], other])
    assert runner.invoke(kb_app, ["import", str(src), "--to", str(kb)]).exit_code == 0
    before = _files(kb)
    edited = dict(FAQ_ROWS[0], answer=FAQ_ROWS[0]["answer"] + " Nghỉ phép chưa hết được thanh toán.")
    _write_csv(src, [edited, other])

    result = runner.invoke(kb_app, ["import", str(src), "--to", str(kb)])

    assert "0 entries added, 1 updated" in result.output
    after = _files(kb)
    assert [name for name in before if before[name] != after[name]] == ["faq/lao-dong.yaml"]
