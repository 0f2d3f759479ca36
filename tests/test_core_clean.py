"""Message normalisation: what the citizen typed -> what the core matches and retrieves."""

from __future__ import annotations

from bot.core.clean import (
    clean_message,
    expand_teencode,
    extract_question,
    legal_terms,
    repair_mojibake,
    strip_markup,
)
from bot.core.pii import mask_pii
from retrieval.normalize import strip_diacritics


def test_mojibake_from_cp1252_is_repaired_including_lost_bytes() -> None:
    broken = "BÃ\xa0 ná»™i há»�i vá»� giáº¥y chá»©ng tá»\xad vÃ\xa0 há»™ kháº©u"
    assert repair_mojibake(broken) == "Bà nội hỏi về giấy chứng tử và hộ khẩu"


def test_clean_text_is_left_alone_by_mojibake_repair() -> None:
    text = "Ông bà Ãnh sinh năm 1950 ở Đà Nẵng"
    assert repair_mojibake(text) == text


def test_teencode_and_dialect_become_standard_words() -> None:
    assert expand_teencode("ko dc, e hỏi a") == "không được, em hỏi anh"
    assert expand_teencode("cty bắt làm 10 tiếng, phạt bn z mn") == "công ty bắt làm 10 tiếng, phạt bao nhiêu vậy mọi người"
    assert "20 triệu" in expand_teencode("chủ thầu chỉ đưa 20tr")
    assert expand_teencode("16 tuổi thì được chạy loại xe mô? phạt răng?").endswith("xe nào? phạt sao?")


def test_point_label_a_is_not_turned_into_anh() -> None:
    assert "điểm a" in expand_teencode("theo điểm a khoản 1")


def test_markup_and_links_are_removed_not_kept() -> None:
    s = strip_markup("![qr](http://x.example/p.png) <b>Nhận</b> ngay <script>alert(1)</script> tại http://vneid-x.example/login luật")
    assert "http" not in s.text and "<" not in s.text and "alert" not in s.text and "example" not in s.text
    assert s.had_url and s.had_html and s.had_script
    assert "luật" in s.text


def test_phone_and_id_numbers_are_masked_but_money_and_dates_are_not() -> None:
    text = "LH 0199 777 666 hoặc +84 912 345 678, CCCD 012345678901, lương 2.000.000 đồng, ngày 01/01/2026, 0,45 mg"
    masked = mask_pii(text)
    for secret in ("0199", "777 666", "912 345", "012345678901"):
        assert secret not in masked
    for kept in ("2.000.000", "01/01/2026", "0,45"):
        assert kept in masked


def test_everyday_words_gain_legal_terms() -> None:
    assert "giấy chứng nhận quyền sử dụng đất" in legal_terms("làm sổ đỏ mất bao lâu")
    assert any("thai sản" in t for t in legal_terms("vợ em sắp sinh được nghỉ đẻ mấy tháng"))
    assert "ly hôn" in legal_terms("muốn ly dị thì làm sao")


def test_splitting_property_on_divorce_is_not_read_as_an_inheritance() -> None:
    terms = legal_terms("vợ chồng ly hôn thì chia nhà thế nào")
    assert "chia tài sản khi ly hôn" in terms
    assert not any("thừa kế" in t for t in terms)
    # who the children live with is custody, not property
    terms = legal_terms("ly hôn thì chia con thế nào")
    assert "trực tiếp nuôi con sau khi ly hôn" in terms and "chia tài sản khi ly hôn" not in terms
    # when someone died, it is an inheritance; a parent's death is not a leave question unless leave is asked
    terms = legal_terms("bố mẹ mất không để lại di chúc chia nhà thế nào")
    assert any("thừa kế" in t for t in terms) and "nghỉ việc riêng" not in terms
    assert "nghỉ việc riêng" in legal_terms("bố mất được nghỉ mấy ngày")


def test_traffic_everyday_words_gain_the_decree_wording() -> None:
    assert any("tạm giữ" in t for t in legal_terms("bị công an giữ xe bao lâu thì lấy được"))
    assert any("sang tên xe" in t for t in legal_terms("xe không chính chủ có bị phạt không"))


def test_money_lent_and_not_repaid_is_searched_as_a_loan_not_as_its_amount() -> None:
    for text in ("ban toi no tien 50 trieu khong tra thi lam sao", "Tôi cho mượn 20 triệu đồng, giờ nó không trả"):
        c = clean_message(text)
        assert "vay tài sản" in strip_diacritics(c.query).replace("tai san", "tài sản") or "vay tai san" in c.query
        # the sum stays in what the citizen said, but does not steer the search
        assert "20" not in c.query and "50" not in c.query
        assert ("50" in c.text) or ("20" in c.text)
    # figures that are the law's own wording, or not money, are kept
    for text, kept in (("phạt 2.000.000 đồng có đúng không", "2.000.000"), ("con 16 tuổi có được đi làm", "16"),
                       ("điều 5 luật hôn nhân", "5")):
        assert kept in clean_message(text).query


def test_the_question_is_pulled_out_of_a_long_story() -> None:
    story = (
        "Tôi làm công nhân may ở Long An từ 2017 đến tháng 5/2025 thì nghỉ việc. Từ đó tôi ở nhà buôn bán nhỏ, "
        "không đi làm công ty nào, cũng không đóng bảo hiểm tự nguyện. Chồng tôi thì chạy xe ôm, hai đứa con đi học. "
        "Giờ tôi muốn rút bảo hiểm xã hội một lần thì có được không?"
    )
    q = extract_question(story)
    assert q.startswith("Giờ tôi muốn rút") and "Long An" not in q


def test_unaccented_question_gives_a_folded_query() -> None:
    c = clean_message("vo em sap sinh, duoc nghi thai san bao lau vay")
    assert c.plain
    assert c.query == strip_diacritics(c.query)  # matched on folded terms only
    assert "thai san" in c.query


def test_clean_message_truncates_huge_input() -> None:
    c = clean_message("hỏi " * 5000, max_chars=2000)
    assert c.truncated and len(c.text) <= 2100


def test_colloquial_nhap_khau_for_a_person_means_registering_residence() -> None:
    assert "nhập hộ khẩu" in clean_message("Nhập khẩu cho vợ về nhà chồng cần gì").text
    assert "ho khau" in clean_message("nhap khau vao nha ong ba ngoai duoc ko").text
    # goods are still imported
    assert "hộ khẩu" not in clean_message("nhập khẩu ô tô cũ vào Việt Nam chịu thuế gì").text
