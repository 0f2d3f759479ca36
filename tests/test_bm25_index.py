"""BM25 over syllables + bigrams: finds articles from questions typed with or without diacritics."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.bm25_index import BM25Index
from retrieval.tokenize import TokenizerConfig, strip_question_phrases, syllables, terms

DOCS = [
    [
        ("Nghỉ hằng năm", 3.0),
        ("Người lao động làm việc đủ 12 tháng thì được nghỉ hằng năm 12 ngày.", 1.0),
    ],
    [
        ("Hòa giải ở cơ sở", 3.0),
        ("Hoà giải viên là người được công nhận để thực hiện hòa giải.", 1.0),
    ],
    [("Thủy lợi", 3.0), ("Công trình thuỷ lợi phải được bảo vệ.", 1.0)],
    [("Giải thích từ ngữ", 3.0), ("Tài sản chung là tài sản thuộc sở hữu của nhiều chủ thể.", 1.0)],
    [
        ("Thời giờ làm việc", 3.0),
        ("Thời giờ làm việc bình thường không quá 08 giờ trong 01 ngày.", 1.0),
    ],
    [("Phạm vi điều chỉnh", 3.0), ("Luật này quy định như thế nào về việc thế nào là đúng.", 1.0)],
    [("Nhiệm vụ của Hội đồng nhân dân", 3.0), ("Hội đồng nhân dân xã quyết định ngân sách xã.", 1.0)],
    [("Tạm hoãn gọi nhập ngũ", 3.0), ("Công dân đang học được tạm hoãn nghĩa vụ quân sự.", 1.0)],
]


@pytest.fixture(scope="module")
def index() -> BM25Index:
    return BM25Index.build(DOCS, TokenizerConfig())


def top(index: BM25Index, query: str) -> int:
    return index.search(query, 3)[0][0]


def test_accented_and_unaccented_questions_find_the_article(index: BM25Index) -> None:
    assert top(index, "Làm đủ 12 tháng được nghỉ hằng năm mấy ngày?") == 0
    assert top(index, "lam du 12 thang duoc nghi hang nam may ngay") == 0


def test_tone_placement_variants_match_each_other(index: BM25Index) -> None:
    assert top(index, "hoà giải viên là ai") == 1
    assert top(index, "bảo vệ công trình thủy lợi") == 2
    assert top(index, "bao ve cong trinh thuy loi") == 2


def test_numbers_match_with_or_without_leading_zeros(index: BM25Index) -> None:
    assert top(index, "làm việc không quá 8 giờ trong 1 ngày") == 4


def test_definition_questions_favour_the_definitions_article(index: BM25Index) -> None:
    assert top(index, "tài sản chung là gì") == 3


def test_question_boilerplate_does_not_decide_the_ranking(index: BM25Index) -> None:
    # Document 5 contains "như thế nào" verbatim; the legal words of the question must win.
    assert top(index, "Thời giờ làm việc bình thường được quy định như thế nào?") == 4
    assert syllables(strip_question_phrases("Nghỉ phép được quy định như thế nào?")) == [
        "nghỉ",
        "phép",
    ]
    assert syllables(strip_question_phrases("nghi phep duoc quy dinh nhu the nao")) == [
        "nghi",
        "phep",
    ]
    assert "là" in syllables(strip_question_phrases("Tài sản chung là gì?"))


def test_official_abbreviations_are_spelled_out(index: BM25Index) -> None:
    assert top(index, "luật quy định về HĐND") == 6
    assert top(index, "luat quy dinh ve hdnd") == 6
    plain = BM25Index.build(DOCS, TokenizerConfig(expand_abbreviations=False))
    assert top(plain, "luật quy định về HĐND") != 6


def test_chat_shorthand_is_spelled_out(index: BM25Index) -> None:
    assert top(index, "có phải đi nvqs ko") == 7
    assert top(index, "co phai di NVQS ko") == 7
    plain = BM25Index.build(DOCS, TokenizerConfig(expand_abbreviations=False))
    assert plain.search("có phải đi nvqs ko", 3) == []


def test_diacritics_are_restored_from_the_index_statistics(index: BM25Index) -> None:
    assert index.restorer.restore("cong trinh thuy loi") == "công trình thủy lợi"
    assert index.restorer.restore("nghi hang nam 12 ngay") == "nghỉ hằng năm 12 ngày"
    assert index.restorer.restore("hòa giai vien") == "hòa giải viên"  # partly typed marks are kept


def test_no_match_returns_nothing(index: BM25Index) -> None:
    assert index.search("xyzzy qwerty", 5) == []
    assert index.search("", 5) == []


def test_save_and_load_give_the_same_scores(index: BM25Index, tmp_path: Path) -> None:
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    for q in ("nghỉ hằng năm", "hoa giai vien", "công trình thủy lợi"):
        assert loaded.search(q, 3) == index.search(q, 3)
    assert loaded.config == index.config


def test_builds_saved_in_the_first_format_still_load(index: BM25Index, tmp_path: Path) -> None:
    # servers keep serving an index built before the score files were renamed
    import json

    index.save(tmp_path)
    for part in ("data", "indices", "indptr"):
        (tmp_path / f"scores.{part}.npy").rename(tmp_path / f"{part}.csc.index.npy")
    params = json.loads((tmp_path / "bm25.json").read_text())
    (tmp_path / "bm25.json").unlink()
    (tmp_path / "params.index.json").write_text(json.dumps({"num_docs": params["n_docs"], "k1": 0.9}))
    old = BM25Index.load(tmp_path, mmap=True)
    question = "thời hạn tạm trú tối đa"
    assert old.search(question, 3) == index.search(question, 3)


def test_syllables_and_reference_terms() -> None:
    assert syllables("Hoà giải, ở cơ sở (05 ngày)") == ["hòa", "giải", "ở", "cơ", "sở", "5", "ngày"]
    t = terms("nghỉ phép năm", TokenizerConfig())
    assert {"nghỉ", "nghỉ_phép", "~nghi_phep", "~nam"} <= set(t)
    assert "phép_năm" in t and "năm_nghỉ" not in t
