"""Law structure: Chương/Mục/Điều in a document, khoản and điểm in an article, best clause."""

from __future__ import annotations

from retrieval.parse import best_clause, split_clauses, split_law
from retrieval.tokenize import syllables
from retrieval.types import Article

ANNUAL_LEAVE = (
    "1. Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động thì được nghỉ hằng năm, "
    "hưởng nguyên lương theo hợp đồng lao động như sau:\n\n"
    "a) 12 ngày làm việc đối với người làm công việc trong điều kiện bình thường;\n\n"
    "b) 14 ngày làm việc đối với người lao động chưa thành niên, lao động là người khuyết tật;\n\n"
    "c) 16 ngày làm việc đối với người làm nghề, công việc đặc biệt nặng nhọc, độc hại.\n\n"
    "2. Người lao động làm việc chưa đủ 12 tháng thì số ngày nghỉ hằng năm theo tỷ lệ tương ứng "
    "với số tháng làm việc.\n\n"
    "3. Trường hợp do thôi việc, bị mất việc làm mà chưa nghỉ hằng năm thì được người sử dụng "
    "lao động thanh toán tiền lương cho những ngày chưa nghỉ."
)


def test_clauses_and_points_are_split_in_order() -> None:
    clauses = split_clauses(ANNUAL_LEAVE)
    assert [c.number for c in clauses] == ["1", "2", "3"]
    assert [p.label for p in clauses[0].points] == ["a", "b", "c"]
    assert clauses[0].points[1].text.startswith("14 ngày làm việc")
    assert clauses[2].text.startswith("3. Trường hợp do thôi việc")


def test_point_d_with_stroke_and_out_of_sequence_numbers() -> None:
    text = (
        "Giới thiệu chung.\n1. Các hành vi:\na) một;\nb) hai;\nc) ba;\nd) bốn;\nđ) năm.\n"
        "2019. Dòng này không phải khoản.\n2. Khoản hai."
    )
    clauses = split_clauses(text)
    assert [c.number for c in clauses] == ["1", "2"]
    assert [p.label for p in clauses[0].points] == ["a", "b", "c", "d", "đ"]
    assert "2019. Dòng này" in clauses[0].text  # a stray number does not open a clause


def test_article_without_numbered_clauses_has_none() -> None:
    assert split_clauses("Luật này quy định về cư trú của công dân.") == []


def test_split_law_finds_chapters_sections_and_articles() -> None:
    law = split_law(
        "QUỐC HỘI\nLuật số: 45/2019/QH14\nBỘ LUẬT LAO ĐỘNG\n"
        "Chương I\nNHỮNG QUY ĐỊNH CHUNG\n"
        "Điều 1. Phạm vi điều chỉnh\nBộ luật này quy định tiêu chuẩn lao động.\n"
        "Chương trình đào tạo nghề là một khái niệm, không phải tiêu đề chương.\n"
        "Chương II. HỢP ĐỒNG LAO ĐỘNG\nMục 1. GIAO KẾT HỢP ĐỒNG\n"
        "Điều 13. Hợp đồng lao động\n1. Hợp đồng lao động là sự thỏa thuận.\n2. Trường hợp khác.\n"
    )
    assert "45/2019/QH14" in law.header
    first, second = law.articles
    assert (first.number, first.title, first.path) == (
        "1",
        "Phạm vi điều chỉnh",
        "Chương I. NHỮNG QUY ĐỊNH CHUNG",
    )
    assert "Chương trình đào tạo" in first.text
    assert second.number == "13"
    assert second.path == "Chương II. HỢP ĐỒNG LAO ĐỘNG / Mục 1. GIAO KẾT HỢP ĐỒNG"
    assert [c.number for c in split_clauses(second.text)] == ["1", "2"]


def _article(text: str) -> Article:
    return Article(
        id="x",
        doc_number="45/2019/QH14",
        number="113",
        title="Nghỉ hằng năm",
        text=text,
        clauses=split_clauses(text),
    )


def test_best_clause_follows_the_question_with_or_without_diacritics() -> None:
    article = _article(ANNUAL_LEAVE)
    q1 = syllables("nghỉ việc mà chưa nghỉ hằng năm thì có được thanh toán tiền lương không")
    assert best_clause(article, q1).number == "3"
    q2 = syllables("lam viec chua du 12 thang thi nghi hang nam tinh theo ty le the nao")
    assert best_clause(article, q2).number == "2"


def test_best_clause_is_none_without_clauses() -> None:
    assert best_clause(_article("Luật này quy định về cư trú."), ["cư", "trú"]) is None
