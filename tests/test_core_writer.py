"""Extractive writer: quotes the right clause, cites it in full, shows status, fits the channel."""

from __future__ import annotations

import pytest

from bot.core import texts
from bot.core.clauses import split_clauses, units
from bot.core.models import Citation, Passage
from bot.core.writer import ExtractiveWriter, trim_quote
from tests.auxil.core_fakes import ARTICLES

BY_ID = {p.article_id: p for p in ARTICLES}


def own_article(number: str, title: str, text: str, doc_number: str = "1/2025/QH15") -> Passage:
    """An article we wrote for a test (not a real one): a Luật, or a Nghị định by its number."""
    decree = "NĐ-CP" in doc_number
    return Passage(article_id=f"t.{number}", doc_number=doc_number,
                   doc_title="Nghị định thử nghiệm" if decree else "Luật Thử nghiệm",
                   doc_type="Nghị định" if decree else "Luật", article=number, title=title, text=text, score=1.0)


def writer() -> ExtractiveWriter:
    return ExtractiveWriter(built_at="2025-11-20T08:00:00+00:00")


def test_answer_quotes_the_clause_and_cites_it_in_full() -> None:
    out = writer().write("nghỉ thai sản được mấy tháng", [BY_ID["20.2.LQ.139"]], 2000)
    assert out.text.startswith("Theo khoản 1 Điều 139 Bộ luật Lao động số 45/2019/QH14")
    assert "06 tháng" in out.text
    assert out.citations[0].clause == "1"
    assert "20/11/2025" in out.text  # the date the index was built
    assert out.text.rstrip().endswith(texts.DISCLAIMER)


def test_a_point_of_a_long_list_is_quoted_with_its_lead_in() -> None:
    out = writer().write("làm công việc nặng nhọc độc hại thì nghỉ phép năm mấy ngày", [BY_ID["20.2.LQ.113"]], 2000)
    assert "14 ngày làm việc" in out.text


def test_status_of_a_document_not_in_force_is_shown() -> None:
    out = writer().write("trợ cấp một lần", [BY_ID["1.1.LQ.9"], BY_ID["26/2023/QH15::38"]], 2000)
    assert "58/2014/QH13 hết hiệu lực" in out.text and "41/2024/QH15" in out.text
    assert "26/2023/QH15 chưa có hiệu lực" in out.text


@pytest.mark.parametrize("limit", [250, 400, 700, 1200, 2000, 4096])
def test_answer_fits_the_limit_and_never_cuts_a_citation(limit: int) -> None:
    passages = [BY_ID["20.2.LQ.113"], BY_ID["20.2.LQ.139"], BY_ID["20.2.LQ.25"]]
    out = writer().write("nghỉ phép năm và thai sản và thử việc bao lâu", passages, limit)
    assert len(out.text) <= limit
    for c in out.citations:
        assert c.label() in out.text
        assert c.article_id in {p.article_id for p in passages}


def test_citations_only_come_from_the_given_passages() -> None:
    out = writer().write("thử việc tối đa bao lâu", [BY_ID["20.2.LQ.25"]], 2000)
    assert {c.article_id for c in out.citations} == {"20.2.LQ.25"}


def test_no_passages_says_nothing_was_found() -> None:
    out = writer().write("gì đó", [], 2000)
    assert out.citations == [] and texts.NOTHING_FOUND in out.text


def test_citation_labels() -> None:
    assert Citation("x", "91/2015/QH13", "5", doc_title="Dân sự", doc_type="Bộ luật", clause="2", point="d").label() == \
        "điểm d khoản 2 Điều 5 Bộ luật Dân sự số 91/2015/QH13"
    assert Citation("x", "145/2020/NĐ-CP", "8", doc_title="Quy định chi tiết", doc_type="Nghị định").label() == \
        "Điều 8 Nghị định số 145/2020/NĐ-CP"


def test_clauses_and_points_are_split() -> None:
    clauses = split_clauses(BY_ID["20.2.LQ.113"].text)
    assert [n for n, _ in clauses] == ["1", "2"]
    assert [u.point for u in units(BY_ID["20.2.LQ.113"].text) if u.point] == ["a", "b", "c"]


def test_trimmed_quote_ends_at_a_boundary() -> None:
    q = trim_quote("Một hai ba bốn; năm sáu bảy tám chín mười. " * 10, 60)
    assert len(q) <= 61 and q.endswith("…")


def test_the_clause_stating_the_kind_of_figure_asked_for_is_quoted() -> None:
    # both clauses hold a figure and share the question's words alike; only one states a percentage
    article = own_article(
        "5", "Trợ cấp khi mất việc",
        "1. Thời gian hưởng trợ cấp mất việc tính theo số tháng đóng bảo hiểm theo lương, cứ đủ 12 tháng thì "
        "được hưởng 03 tháng.\n"
        "2. Mức hưởng trợ cấp mất việc hằng tháng bằng 60% tiền lương bình quân.",
    )
    asked_share = writer().write("tro cap mat viec duoc bao nhieu phan tram luong", [article], 2000)
    assert "60%" in asked_share.text and asked_share.citations[0].clause == "2"
    asked_time = writer().write("dong 2 nam thi duoc huong tro cap mat viec may thang", [article], 2000)
    assert asked_time.citations[0].clause == "1"


def test_a_faq_answer_quotes_the_article_its_author_cited_first() -> None:
    from bot.core.ports import FaqEntry

    basis = own_article("10", "Thời giờ làm việc", "1. Thời giờ làm việc bình thường không quá 08 giờ trong 01 ngày.")
    # an article that repeats more of the answer's words, but is not what the answer rests on
    wordy = own_article("12", "Làm thêm", "1. Làm thêm ngoài thời giờ làm việc bình thường trong 01 ngày phải được "
                    "người lao động đồng ý và không quá số giờ làm việc bình thường trong 01 ngày.")
    entry = FaqEntry(id="t-gio", topic="Lao động", questions=["một ngày làm tối đa mấy giờ"],
                     answer="Thời giờ làm việc bình thường không quá 08 giờ trong 01 ngày; làm thêm phải được "
                            "người lao động đồng ý.",
                     citations=[Citation("t.10", "1/2025/QH15", "10"), Citation("t.12", "1/2025/QH15", "12")])
    out = writer().write_faq(entry, [(entry.citations[0], basis), (entry.citations[1], wordy)], 2000)
    assert out.citations[0].article_id == "t.10"
    assert "“Thời giờ làm việc bình thường không quá 08 giờ" in out.text


def test_a_quoted_point_keeps_the_amount_its_clause_opens_with() -> None:
    # a fine stated once in the clause's lead-in, the acts listed as points after it (decrees read so)
    fines = own_article(
        "7", "Xử phạt người điều khiển xe máy",
        "1. Phạt tiền từ 400.000 đồng đến 600.000 đồng đối với người điều khiển xe thực hiện một trong các "
        "hành vi vi phạm sau đây:\na) Không đội mũ bảo hiểm khi điều khiển xe chạy trên đường bộ, kể cả "
        "khi chở theo người ngồi sau xe;\nb) Chở theo hai người trên xe, trừ trường hợp chở người bệnh đi "
        "cấp cứu hoặc trẻ em dưới 12 tuổi;\nc) Dừng xe, đỗ xe trên cầu hoặc dưới gầm cầu vượt, ở nơi có "
        "biển cấm dừng xe, cấm đỗ xe theo quy định của pháp luật.",
        doc_number="9/2025/NĐ-CP",
    )
    for write in (lambda q: writer().write(q, [fines], 2000),
                  lambda q: writer().write_not_sure(q, [fines], [], 2000)):
        out = write("chay xe may khong doi mu bao hiem bi phat bao nhieu")
        assert "400.000 đồng đến 600.000 đồng" in out.text and "mũ bảo hiểm" in out.text


def test_a_faq_answer_quotes_the_point_its_author_named() -> None:
    from bot.core.ports import FaqEntry

    points = [
        "a) Người điều khiển xe không đội mũ bảo hiểm hoặc đội mũ bảo hiểm không cài quai đúng quy cách khi "
        "tham gia giao thông trên đường bộ;",
        "b) Chở theo người ngồi trên xe không đội mũ bảo hiểm hoặc đội mũ bảo hiểm không cài quai đúng quy "
        "cách, trừ trường hợp chở người bệnh đi cấp cứu;",
        "c) Chở theo từ 03 người trở lên trên xe, trừ trường hợp chở người bệnh đi cấp cứu, áp giải người vi phạm;",
        "d) Buông cả hai tay khi đang điều khiển xe, dùng chân điều khiển xe, ngồi về một bên điều khiển xe;",
        "đ) Sử dụng ô (dù) khi điều khiển xe, kéo theo xe khác hoặc vật khác khi đang điều khiển xe;",
    ]
    fines = own_article("8", "Xử phạt người điều khiển xe mô tô",
                        "1. Phạt tiền từ 200.000 đồng đến 400.000 đồng.\n2. Phạt tiền từ 400.000 đồng đến "
                        "600.000 đồng đối với người điều khiển xe thực hiện một trong các hành vi vi phạm sau "
                        "đây:\n" + "\n".join(points), doc_number="9/2025/NĐ-CP")
    # the answer speaks of helmets in general; its author cites the passenger's point, not the driver's
    entry = FaqEntry(id="t-mu", topic="Giao thông", questions=["chở người không đội mũ bảo hiểm phạt bao nhiêu"],
                     answer="Người điều khiển xe bị phạt từ 400.000 đồng đến 600.000 đồng khi người đi cùng "
                            "không đội mũ bảo hiểm hoặc đội mũ bảo hiểm không cài quai đúng quy cách khi tham "
                            "gia giao thông trên đường bộ.",
                     citations=[Citation("t.8", "9/2025/NĐ-CP", "8", clause="2", point="b")])
    out = writer().write_faq(entry, [(entry.citations[0], fines)], 2000)
    assert "Chở theo người ngồi trên xe không đội mũ bảo hiểm" in out.text
    assert "điểm b khoản 2 Điều 8" in out.text and out.citations[0].point == "b"
