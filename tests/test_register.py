"""The document register: number normalisation, status look-up, and errors that name file and entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.register import (
    RegisterError,
    article_suspended,
    document_of,
    entry_yaml,
    is_suspended,
    load_register,
    normalize_doc_number,
    status_of,
)
from retrieval.types import Document, Status
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("45/2019/qh14", "45/2019/QH14"),
        ("13/2023/ND-CP", "13/2023/NĐ-CP"),
        ("13/2023/nđ-cp", "13/2023/NĐ-CP"),
        (" 23 / 2015 / NĐ–CP ", "23/2015/NĐ-CP"),
        ("2/2011/QH13", "02/2011/QH13"),
        ("Số 12/2020/QĐ-UBND", "12/2020/QĐ-UBND"),  # UBND keeps its D
    ],
)
def test_numbers_typed_differently_find_the_same_document(typed: str, key: str) -> None:
    assert normalize_doc_number(typed) == key


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "documents.yaml"
    path.write_text("documents:\n" + body, encoding="utf-8")
    return path


def test_status_of_known_and_unknown_documents(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - {number: 45/2013/QH13, status: expired, replaced_by: 31/2024/QH15, effective: 2014-07-01}\n"
        "  - {number: 31/2024/QH15, status: in_force}\n",
    )
    register = load_register(path)
    assert status_of("45/2013/qh13", register) is Status.EXPIRED
    assert register["45/2013/QH13"].effective == "2014-07-01"  # unquoted YAML date read as ISO text
    assert status_of("99/2099/QH99", register) is Status.UNKNOWN


def test_bad_status_names_file_entry_and_allowed_values(tmp_path: Path) -> None:
    path = _write(tmp_path, "  - {number: 31/2024/QH15, status: in_force}\n  - {number: 45/2013/QH13, status: hết hiệu lực}\n")
    with pytest.raises(RegisterError) as err:
        load_register(path)
    message = str(err.value)
    assert str(path) in message and "entry 2 (45/2013/QH13)" in message and "in_force" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  - {number: 1/2020/QH14, issued: 20/11/2020}\n", "'issued' must be an ISO date"),
        ("  - {number: 1/2020/QH14, url: vbpl.vn/x}\n", "url must start with https://"),
        ("  - {number: 1/2020/QH14, titel: Luật}\n", "unknown key(s) titel"),
        ("  - {status: in_force}\n", "entry 1: 'number' is required"),
        ("  - {number: 13/2023/NĐ-CP}\n  - {number: 13/2023/ND-CP}\n", "entry 2 (13/2023/ND-CP): document listed twice"),
    ],
)
def test_bad_entries_are_reported_clearly(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(RegisterError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_register(_write(tmp_path, body))


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "  - {number: [unclosed\n")
    with pytest.raises(RegisterError, match="not valid YAML"):
        load_register(path)


# ---- suspended articles ---------------------------------------------------------------------------


def test_suspended_articles_are_parsed_and_end_on_their_date(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - {number: 101/2024/ND-CP, status: partly_expired, suspended_articles: '21, 22, 28-49, 60',"
        " suspended_until: '2027-03-01', suspended_by: 151/2025/NĐ-CP}\n"
        "  - {number: 31/2024/QH15, status: in_force}\n",
    )
    register = load_register(path)
    doc = document_of("101/2024/NĐ-CP", register)
    assert doc is not None
    assert doc.suspended_articles == ((21, 21), (22, 22), (28, 49), (60, 60))
    assert (doc.suspended_until, doc.suspended_by) == ("2027-03-01", "151/2025/NĐ-CP")
    assert is_suspended(doc, "30", on="2026-12-06") and is_suspended(doc, "Điều 60", on="2026-12-06")
    assert not is_suspended(doc, 50, on="2026-12-06") and not is_suspended(doc, "23", on="2026-12-06")
    assert is_suspended(doc, 49, on="2027-02-28")
    assert not is_suspended(doc, 49, on="2027-03-01")  # the article applies again from that day
    assert not is_suspended(document_of("31/2024/QH15", register), 30)
    assert not is_suspended(None, 30)
    assert "suspended_articles: '21, 22, 28-49, 60'" in entry_yaml(doc)  # written back as it was read


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("suspended_articles: '21, x', suspended_by: 1/2025/NĐ-CP", "suspended_articles: 'x' is not"),
        ("suspended_articles: '49-28', suspended_by: 1/2025/NĐ-CP", "runs backwards"),
        ("suspended_articles: '28-49'", "needs suspended_by"),
        ("suspended_until: '2027-03-01'", "without suspended_articles"),
    ],
)
def test_bad_suspensions_are_reported(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(RegisterError, match=expected):
        load_register(_write(tmp_path, f"  - {{number: 101/2024/NĐ-CP, {body}}}\n"))


# ---- the shipped register and the laws_extra texts -------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> dict[str, Document]:
    return load_register(REPO / "knowledge_base" / "documents.yaml")


def test_register_lists_every_laws_extra_document_with_its_dates(
    shipped: dict[str, Document], shared_data: Path
) -> None:
    """Every full text in laws_extra is a curated register entry with the text's own dates."""
    folder = shared_data / "laws_extra"
    if not folder.is_dir():
        pytest.skip("laws_extra is not present")
    files = sorted(folder.glob("*.jsonl"))
    assert files
    for path in files:
        with path.open(encoding="utf-8") as fh:
            first = json.loads(fh.readline())
        doc = document_of(first["doc_number"], shipped)
        assert doc is not None, f"{first['doc_number']} ({path.name}) is not in the register"
        assert doc.status is not Status.UNKNOWN, doc.number
        assert doc.effective == first["effective_date"], doc.number
        assert doc.issued in (None, first["issued_date"]), doc.number
        assert doc.note and "laws_extra" in doc.note, f"{doc.number}: the note should say the text is in laws_extra"


def test_decree_101_2024_land_procedures_are_suspended_until_march_2027(shipped: dict[str, Document]) -> None:
    """NĐ 151/2025 suspends Điều 21, 22, 28-49 and 60 of NĐ 101/2024 until 01/03/2027 (laws_extra PROVENANCE)."""
    doc = document_of("101/2024/NĐ-CP", shipped)
    assert doc is not None and doc.suspended_by == "151/2025/NĐ-CP"
    today = "2026-12-06"
    assert is_suspended(doc, "30", on=today)
    assert is_suspended(doc, "38", on=today)  # cấp đổi Giấy chứng nhận: now Phụ lục I NĐ 151/2025
    assert not is_suspended(doc, "27", on=today) and not is_suspended(doc, "50", on=today)
    assert not is_suspended(doc, "30", on="2027-03-01")
    assert document_of("151/2025/NĐ-CP", shipped) is not None
    # what the answer path calls with a citation or a retrieved article (number typed without Đ)
    assert article_suspended(shipped, "101/2024/ND-CP", "45", on=today)
    assert not article_suspended(shipped, "101/2024/ND-CP", "1", on=today)
    assert not article_suspended(shipped, "31/2024/QH15", "45", on=today)


@pytest.mark.parametrize("number", ["74/2025/QH15", "72/2025/QH15", "91/2025/QH15", "13/2022/QH15"])
def test_laws_whose_full_text_arrived_are_in_force_and_say_so(shipped: dict[str, Document], number: str) -> None:
    doc = document_of(number, shipped)
    assert doc is not None and doc.status is Status.IN_FORCE
    assert doc.note and "laws_extra" in doc.note and "chưa có toàn văn" not in doc.note.lower()
