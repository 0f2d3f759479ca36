"""A follow-up one sentence of the last vetted answer already answers gets that answer again, the sentence first (own texts)."""

from __future__ import annotations

from bot.core import followup
from bot.core.models import Citation
from bot.core.ports import FaqEntry
from tests.test_followup_aspects import DUTY_BIRTH, _ask, after_vetted

LEAVE = ("Làm đủ 12 tháng thì được nghỉ hằng năm hưởng nguyên lương: 12 ngày nếu làm công việc bình thường; "
         "14 ngày nếu làm nghề nặng nhọc, độc hại, nguy hiểm; 16 ngày nếu làm nghề đặc biệt nặng nhọc.")


def test_the_sentence_holding_most_of_the_follow_ups_own_words() -> None:
    assert followup.sentence_covering(LEAVE, "thế còn làm nghề độc hại, nặng nhọc thì sao") == \
        "14 ngày nếu làm nghề nặng nhọc, độc hại, nguy hiểm;"
    # one shared word is not enough, nor words the answer does not hold
    assert followup.sentence_covering(LEAVE, "còn nghề giáo viên thì sao") is None
    assert followup.sentence_covering(LEAVE, "vậy nghỉ ốm thì được trả lương không") is None


def test_the_last_vetted_answer_comes_back_for_a_follow_up_it_already_answers() -> None:
    entry = FaqEntry(id="leave-1", topic="Lao động", questions=["Làm một năm được mấy ngày phép năm?"], answer=LEAVE,
                     citations=[Citation(DUTY_BIRTH.article_id, DUTY_BIRTH.doc_number, DUTY_BIRTH.article)])
    answering, state = after_vetted(entry)
    text, _ = _ask(answering, state, "còn làm nghề nặng nhọc độc hại thì sao")
    assert text.startswith("[faq] leave-1")
    text, _ = _ask(answering, state, "còn nghề giáo viên thì sao")
    assert not text.startswith("[faq]")


def test_the_laws_term_for_the_follow_ups_words_finds_the_sentence_too() -> None:
    paternity = ("Chồng đang đóng bảo hiểm xã hội được nghỉ 05 ngày làm việc khi vợ sinh con. "
                 "Được nghỉ 07 ngày làm việc nếu vợ sinh phải phẫu thuật hoặc sinh con dưới 32 tuần tuổi.")
    # "mổ đẻ" is nowhere in the answer; its term "sinh con phải phẫu thuật" is
    assert followup.sentence_covering(paternity, "nếu vợ phải mổ đẻ thì sao") == \
        "Được nghỉ 07 ngày làm việc nếu vợ sinh phải phẫu thuật hoặc sinh con dưới 32 tuần tuổi."


def test_a_bare_at_most_asks_the_sentence_stating_the_upper_bound() -> None:
    pension = "Lương hưu bằng 45% mức bình quân tiền lương. Mỗi năm đóng thêm được cộng 2%, tối đa 75%."
    assert followup.sentence_covering(pension, "thế tối đa được bao nhiêu") == "Mỗi năm đóng thêm được cộng 2%, tối đa 75%."
    assert followup.sentence_covering(pension, "ít nhất thì sao") is None  # no lower bound stated


def test_the_sentence_put_first_when_an_answer_is_served_again_is_the_one_that_answers() -> None:
    pension = "Lương hưu bằng 45% mức bình quân tiền lương. Mỗi năm đóng thêm được cộng 2%, tối đa 75%."
    # a bare bound names no word of its own: the sentence stating it still comes first
    assert followup.focus_sentence(pension, "thế tối đa được bao nhiêu") == "Mỗi năm đóng thêm được cộng 2%, tối đa 75%."
