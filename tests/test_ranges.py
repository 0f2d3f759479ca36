"""A follow-up varying a number is answered by the sentence of the last vetted answer stating the range it falls in
(own texts)."""

from __future__ import annotations

from bot.core import ranges
from bot.core.models import Citation
from bot.core.ports import FaqEntry
from tests.test_followup_aspects import DUTY_BIRTH, _ask, after_vetted

NURSING = ("Mỗi năm được nghỉ tối đa 20 ngày cho con dưới 03 tuổi. Con từ đủ 03 tuổi đến dưới 07 tuổi thì tối đa "
           "15 ngày. Con từ đủ 07 tuổi trở lên không còn hưởng chế độ này.")


def test_a_number_falls_in_the_range_of_its_own_kind_only() -> None:
    assert ranges.sentence_holding(NURSING, "bé lớn 5 tuổi thì sao") == "Con từ đủ 03 tuổi đến dưới 07 tuổi thì tối đa 15 ngày."
    assert ranges.sentence_holding(NURSING, "con moi 2 tuoi") == "Mỗi năm được nghỉ tối đa 20 ngày cho con dưới 03 tuổi."
    assert ranges.sentence_holding(NURSING, "chau 9 tuoi roi") == "Con từ đủ 07 tuổi trở lên không còn hưởng chế độ này."
    # a sum of money is neither an age nor a duration; 25 days is beyond "at most 20 days"
    assert ranges.sentence_holding(NURSING, "nợ 5 triệu thì sao") is None
    assert ranges.sentence_holding(NURSING, "nghỉ 25 ngày được không") is None
    assert ranges.sentence_holding(NURSING, "nghỉ 5 ngày được không") is not None
    # a year is twelve months
    notice = "Báo trước ít nhất 30 ngày nếu hợp đồng có thời hạn từ 12 tháng đến 36 tháng; 03 ngày nếu dưới 12 tháng."
    assert ranges.holds(notice.split(";")[0], ranges.asked("hợp đồng 2 năm thì sao"))  # type: ignore[arg-type]
    assert not ranges.holds(notice.split(";")[0], ranges.asked("hợp đồng 6 tháng thì sao"))  # type: ignore[arg-type]
    assert ranges.asked("không có số nào") is None


def test_the_last_vetted_answer_comes_back_with_the_sentence_on_the_number_first() -> None:
    entry = FaqEntry(id="nursing-1", topic="Bảo hiểm xã hội", questions=["Con ốm thì được nghỉ chăm con mấy ngày?"],
                     answer=NURSING, citations=[Citation(DUTY_BIRTH.article_id, DUTY_BIRTH.doc_number, DUTY_BIRTH.article)])
    answering, state = after_vetted(entry)
    text, cited = _ask(answering, state, "thế bé lớn 5 tuổi thì sao")
    assert text.startswith("[faq] nursing-1") and cited == [DUTY_BIRTH.article_id]
    # a follow-up naming no number the answer's ranges hold is not served it this way
    assert answering._last_answer_again("thế còn bố thì sao", answering.subject(state), 2000) is None  # type: ignore[arg-type]


def test_the_quoted_clause_is_the_one_whose_range_holds_the_citizens_own_figure() -> None:
    from bot.core.clauses import pick_units
    from bot.core.models import Passage

    theft = Passage(article_id="x::1", doc_number="x", doc_title="Bộ luật", doc_type="Luật", article="1",
                    title="Tội trộm cắp tài sản", score=1.0, text=(
                        "1. Người nào trộm cắp tài sản trị giá từ 2.000.000 đồng đến dưới 50.000.000 đồng, thì bị phạt "
                        "cải tạo không giam giữ đến 03 năm hoặc phạt tù từ 06 tháng đến 03 năm:\n"
                        "a) Đã bị xử phạt vi phạm hành chính về hành vi chiếm đoạt tài sản mà còn vi phạm;\n"
                        "2. Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 02 năm đến 07 năm:\n"
                        "a) Chiếm đoạt tài sản trị giá từ 50.000.000 đồng đến dưới 200.000.000 đồng;\n"
                        "3. Phạm tội chiếm đoạt tài sản trị giá từ 200.000.000 đồng đến dưới 500.000.000 đồng, thì bị "
                        "phạt tù từ 07 năm đến 15 năm."))
    assert pick_units("thằng kia trộm xe máy nhà tôi 60 triệu thì bị xử sao", theft, 1)[0].clause == "2"
    assert pick_units("trom 300 trieu thi bi xu the nao", theft, 1)[0].clause == "3"
    assert pick_units("lay trom 10 trieu co bi xu ly hinh su khong", theft, 1)[0].clause == "1"


def test_the_narrowest_range_holding_the_figure_is_the_sentence_served() -> None:
    answer = ("Trộm cắp tài sản trị giá từ 2.000.000 đồng trở lên là tội phạm. "
              "Trị giá từ 50.000.000 đồng đến dưới 200.000.000 đồng thì bị phạt tù từ 02 năm đến 07 năm.")
    assert ranges.sentence_holding(answer, "còn nếu nó lấy xe máy 60 triệu thì sao", ).startswith("Trị giá từ 50.000.000")  # type: ignore[union-attr]
    assert ranges.sentence_holding(answer, "lấy 5 triệu thì sao").startswith("Trộm cắp")  # type: ignore[union-attr]


def test_of_two_open_ranges_the_one_starting_nearer_the_figure_is_narrower() -> None:
    answer = "Từ 2.000.000 đồng trở lên là tội phạm. Trộm từ 50.000.000 đồng trở lên thì bị tù từ 2 đến 7 năm."
    assert ranges.sentence_holding(answer, "còn xe 60 triệu thì sao", ).startswith("Trộm từ 50.000.000")  # type: ignore[union-attr]


def test_numbers_typed_any_way_are_read_never_an_error() -> None:
    assert ranges.asked("vay 1.000,5 trieu") == ranges.Quantity("money", 1000.5)
    assert ranges.asked("con 1,5 tuoi") == ranges.Quantity("age", 18.0)
    # odd separators are read by their digits (these once raised ValueError mid-reply)
    assert ranges.asked("12.5.6 ngày") == ranges.Quantity("time", 1256.0)
    assert ranges.asked("1,5.3 tuổi") == ranges.Quantity("age", 15.3 * 12)
    odd = "từ 1.000,5 đồng đến dưới 2,000.5 đồng"
    assert ranges.holds(odd, ranges.Quantity("money", 1500.0 / 1e6))
    assert ranges.asked("9" * 400 + " tỷ") is not None
