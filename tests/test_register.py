"""The document register: number normalisation, status look-up, and errors that name file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.register import RegisterError, load_register, normalize_doc_number, status_of
from retrieval.types import Status


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
