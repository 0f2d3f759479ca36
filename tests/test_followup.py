"""Follow-ups on their own: when a message continues the subject, and the standalone question it stands for."""

from __future__ import annotations

import pytest

from bot.core.followup import (
    Subject,
    TopicVocabulary,
    covers,
    fragment,
    is_followup,
    key_terms,
    rewrite,
    signals,
)

# A small FAQ vocabulary: the citizens' words for three topics (our own wording).
VOCAB = TopicVocabulary([
    ("Bảo hiểm xã hội", "vợ sinh con thì chồng được nghỉ thai sản mấy ngày"),
    ("Bảo hiểm xã hội", "dong bhxh bao lau thi duoc huong thai san"),
    ("Bảo hiểm xã hội", "nghi om duoc bao hiem tra may ngay"),
    ("Cư trú", "thue tro bao lau phai dang ky tam tru"),
    ("Cư trú", "dang ky tam tru can giay to gi"),
    ("Giao thông", "xe may vuot den do bi phat bao nhieu"),
    ("Giao thông", "o to cho qua so nguoi bi phat the nao"),
    ("Thừa kế", "bo me mat khong de lai di chuc thi chia tai san the nao"),
    ("Thừa kế", "con nuoi co duoc huong thua ke khong"),
    ("Lao động", "cty bat tang ca qua gio co dung luat khong"),
    ("Lao động", "thu viec toi da bao lau"),
    ("Đăng ký", "dang ky xong bao lau thi co ket qua"),
    ("Đăng ký", "dang ky o dau"),
    ("Đăng ký", "thu tuc dang ky the nao"),
    ("Hộ tịch", "dang ky khai sinh can giay to gi"),
    ("Đất đai", "lam so do can giay to gi"),
    ("Căn cước", "mat the can cuoc lam lai o dau"),
    ("Lao động", "nghi viec roi muon quay lai lam"),
])

MATERNITY = Subject("vo toi sap sinh, dong bhxh duoc 8 thang thi co duoc huong thai san khong",
                    key_terms("vo toi sap sinh, dong bhxh duoc 8 thang thi co duoc huong thai san khong"),
                    topic="Bảo hiểm xã hội")
RESIDENCE = Subject("moi thue tro o quan 7 thi bao lau phai dang ky tam tru",
                    key_terms("moi thue tro o quan 7 thi bao lau phai dang ky tam tru"), topic="Cư trú")
INHERITANCE = Subject("ba toi mat khong de lai di chuc, nha dat chia the nao",
                      key_terms("ba toi mat khong de lai di chuc, nha dat chia the nao"), topic="Thừa kế")


@pytest.mark.parametrize("text", [
    "the con chong thi sao",  # "thế còn ..." points back
    "vay neu sinh mo thi sao",
    "trường hợp sinh đôi thì được bao nhiêu",
    "con nuoi thi co duoc khong",  # "con nuôi" is a child, but the closing frame still points back
    "mức phạt bao nhiêu?",  # too short to carry a subject
    "nop o dau",
    "can nhung giay to gi",
    "don do phai ghi nhung gi",  # "đơn đó": anaphora
    "thời gian đó được hưởng bao nhiêu",
    "nếu không có giấy tờ thì sao",
])
def test_short_and_pointing_back_messages_continue_the_subject(text: str) -> None:
    assert is_followup(text, MATERNITY, VOCAB)


@pytest.mark.parametrize("text", [
    # self-contained questions about something else start fresh
    "xe may vuot den do bi phat bao nhieu",
    "cty bat tang ca 5 tieng moi ngay co dung luat khong",
    "thue tro o quan 3 thi bao lau phai dang ky tam tru vay ban",
    # long: a question of its own even though it ends like a follow-up
    "ban toi muon 50 trieu tu nam ngoai den gio khong chiu tra, toi phai lam sao de doi lai thi sao",
])
def test_a_self_contained_new_question_is_not_a_follow_up(text: str) -> None:
    assert not is_followup(text, MATERNITY, VOCAB)


def test_a_message_the_faq_answers_about_another_topic_starts_fresh() -> None:
    assert not is_followup("tang ca qua gio", MATERNITY, VOCAB, own_topic="Lao động")
    # ... but pointing back wins: "còn ... thì sao" leans on the subject whatever it names
    assert is_followup("con tang ca thi sao", MATERNITY, VOCAB, own_topic="Lao động")


def test_without_a_subject_nothing_is_a_follow_up() -> None:
    assert not is_followup("the con chong thi sao", None, VOCAB)
    assert not is_followup("nop o dau", Subject(""), VOCAB)


def test_generic_words_alone_do_not_make_a_new_subject() -> None:
    # "đăng ký", "bao lâu" are used under many topics: the message still needs its subject
    assert is_followup("dang ky xong thi bao lau moi phai lam lai", RESIDENCE, VOCAB)


def test_con_before_a_child_word_is_not_read_as_con_meaning_and() -> None:
    assert signals("con nuoi co duoc chia khong").starts_back is False
    assert signals("con lam nghe nang nhoc thi sao").starts_back is True
    assert signals("còn con nuôi thì sao").starts_back is True
    assert signals("con 9 tuoi thi sao").starts_back is False  # a child of nine, not "còn 9 tuổi"
    assert fragment("con nuoi thi sao") == "con nuoi thi sao"  # nothing stripped from "con nuôi"


def test_rewrite_keeps_the_subject_question_and_the_new_fragment() -> None:
    q = rewrite("the con chong thi duoc nghi may ngay", MATERNITY)
    assert q.startswith(MATERNITY.question)  # the subject as the citizen put it
    assert q.endswith("chong thi duoc nghi may ngay")  # what is asked now, without "thế còn"


def test_rewrite_of_a_fragment_with_a_new_entity() -> None:
    q = rewrite("con nuoi thi co duoc khong", INHERITANCE)
    assert "con nuoi" in q and "di chuc" in q


def test_a_chain_of_follow_ups_stays_bounded() -> None:
    subject = RESIDENCE
    for fragment_text in ["can giay to gi", "nop o dau", "mat bao lau", "co mat phi khong"] * 5:
        subject = Subject(rewrite(fragment_text, subject), topic="Cư trú")
    assert len(subject.question.split()) <= 45 and subject.question.startswith("moi thue tro")


def test_key_terms_keep_accents_and_drop_function_words() -> None:
    assert key_terms("Tôi muốn hỏi đăng ký tạm trú ở đâu vậy?") == ("muốn", "đăng", "ký", "tạm", "trú")
    assert len(key_terms(" ".join(f"tu{i}" for i in range(30)))) == 12


def test_topic_vocabulary_knows_topical_words_and_ignores_shared_ones() -> None:
    assert VOCAB.topics(signals("dang ky tam tru").content) == {"Cư trú"}
    assert VOCAB.topics(signals("dang ky").content) == set()  # said under three topics
    assert VOCAB.best_topic(signals("huong thai san").content) == "Bảo hiểm xã hội"
    assert VOCAB.unknown(["tam", "tru", "xyzabc"]) == ["xyzabc"]


def test_covers_tells_whether_the_previous_answer_already_speaks_of_the_follow_up() -> None:
    answer = "Làm đủ 12 tháng được nghỉ 12 ngày; làm nghề nặng nhọc, độc hại được nghỉ 14 ngày."
    assert covers(answer, "con lam nghe nang nhoc doc hai thi sao")
    assert not covers(answer, "the con chong thi duoc nghi may ngay")
    assert not covers(answer, "thi sao")
