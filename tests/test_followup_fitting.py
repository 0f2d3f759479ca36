"""A follow-up naming a new element of its subject gets the vetted entry that speaks of it; a follow-up answered by
another entry moves the subject on (own texts; fines as in Nghị định 168/2024/NĐ-CP)."""

from __future__ import annotations

from bot.core import followup
from bot.core.answering import Answering
from bot.core.config import AssistantConfig
from bot.core.faq_pick import FaqPicker
from bot.core.followup import Subject, fitting_entry
from bot.core.models import Citation, Passage
from bot.core.ports import ConversationState, FaqEntry, FaqMatch
from tests.auxil.core_fakes import FakeRetriever
from tests.test_core_policies import MarkingWriter

TRAFFIC = "Giao thông"
MOTORBIKE = FaqEntry(
    "xe-may-bia", TRAFFIC, ["Uống bia rồi chạy xe máy có bị phạt không?", "nhau xong chay xe may ve bi phat ko"],
    "Có. Người điều khiển xe máy có nồng độ cồn bị phạt tiền và bị trừ điểm giấy phép lái xe.",
    [Citation("ND168::7", "168/2024/NĐ-CP", "7")])
BICYCLE = FaqEntry(
    "xe-dap-bia", TRAFFIC, ["Đi xe đạp mà uống rượu bia có bị phạt không?", "uong bia dap xe ve co bi phat khong"],
    "Có. Người đi xe đạp mà có nồng độ cồn bị phạt từ 100.000 đồng đến 200.000 đồng.",
    [Citation("ND168::9", "168/2024/NĐ-CP", "9")])
BICYCLE_PASSENGERS = FaqEntry(
    "xe-dap-cho-nguoi", TRAFFIC, ["Đi xe đạp chở hai người có bị phạt không?"],
    "Xe đạp chỉ được chở một người, trừ khi chở người bệnh đi cấp cứu.",
    [Citation("ND168::9", "168/2024/NĐ-CP", "9")])
SUBJECT = Subject("toi uong 1 lon bia roi chay xe may ve thi bi phat khong",
                  followup.key_terms("toi uong 1 lon bia roi chay xe may ve thi bi phat khong"), TRAFFIC,
                  ("ND168::7",), "xe-may-bia")
TOPICS = frozenset({TRAFFIC})


def _match(entry: FaqEntry, score: float) -> FaqMatch:
    return FaqMatch(entry, score, {"dense": 0.9, "lexical": 0.3})


def _passage(article_id: str, text: str = "...") -> Passage:
    return Passage(article_id=article_id, doc_number="168/2024/NĐ-CP", doc_title="Nghị định 168/2024/NĐ-CP",
                   doc_type="Nghị định", article=article_id.split("::")[1], title=article_id, text=text, score=1.0)


def test_the_entry_about_the_subject_that_names_the_new_element_fits_the_follow_up() -> None:
    candidates = [_match(MOTORBIKE, 0.6), _match(BICYCLE_PASSENGERS, 0.3), _match(BICYCLE, 0.2)]
    fit = fitting_entry("nếu là xe đạp thì sao", SUBJECT, candidates, TOPICS)
    # the bicycle entry on drinking, not the one on carrying people, nor the motorbike answer already given
    assert fit is not None and fit.entry.id == "xe-dap-bia"


def test_a_follow_up_that_names_nothing_new_or_nothing_any_entry_speaks_of_fits_none() -> None:
    candidates = [_match(MOTORBIKE, 0.6), _match(BICYCLE, 0.2)]
    assert fitting_entry("thì sao", SUBJECT, candidates, TOPICS) is None
    assert fitting_entry("nếu là xe container thì sao", SUBJECT, candidates, TOPICS) is None
    # an entry of another topic that names the element is not about the subject
    other = FaqEntry("xe-dap-mat-cap", "Tài sản", ["Xe đạp bị mất cắp thì trình báo ở đâu, bia?"], "Trình báo công an.",
                     [Citation("X::1", "1/2020/QH14", "1")])
    assert fitting_entry("nếu là xe đạp thì sao", SUBJECT, [_match(other, 0.5)], TOPICS) is None


def test_an_entry_written_with_the_element_in_one_word_still_fits() -> None:
    car = FaqEntry("o-to-bia", TRAFFIC, ["Lái ô tô mà uống bia thì bị phạt bao nhiêu?"], "Người lái ô tô có nồng độ cồn "
                   "bị phạt từ 6.000.000 đồng.", [Citation("ND168::6", "168/2024/NĐ-CP", "6")])
    fit = fitting_entry("thế còn lái oto", SUBJECT, [_match(MOTORBIKE, 0.7), _match(car, 0.1)], TOPICS)
    assert fit is not None and fit.entry.id == "o-to-bia"


def _answering() -> Answering:
    # a picker that reads the matcher's score and whether law retrieval found a cited article
    picker = FaqPicker((4.0, 3.0), (0.5, 0.0), (1.0, 1.0), 0.0, 0.9, ("score", "law_rank"))
    return Answering(FakeRetriever([]), None, MarkingWriter(), AssistantConfig(faq_picker=picker))


def test_the_fitting_entry_answers_only_when_law_retrieval_backs_it() -> None:
    answering = _answering()
    answering.retriever = FakeRetriever([_passage("ND168::9")])  # the index holds the article it cites
    candidates = [_match(MOTORBIKE, 0.6), _match(BICYCLE, 0.2)]
    # the picker alone is not sure of the bicycle entry (its score is low) ...
    assert answering._pick_faq(candidates, [_passage("ND168::9")]) is None
    backed = answering._fitting_answer("nếu là xe đạp thì sao", SUBJECT, candidates, [_passage("ND168::9")], 2000)
    assert backed is not None and backed[1].id == "xe-dap-bia"
    # ... and without retrieval finding the article it cites, the follow-up is not answered from it
    elsewhere = [_passage("ND168::50")]
    assert answering._fitting_answer("nếu là xe đạp thì sao", SUBJECT, candidates, elsewhere, 2000) is None


def test_a_follow_up_answered_by_another_entry_becomes_the_subject_of_the_next() -> None:
    answering = _answering()
    state = ConversationState(1)
    answering.set_subject(state, SUBJECT.question, MOTORBIKE, list(MOTORBIKE.citations))
    from bot.core.clean import clean_message

    cleaned = clean_message("nếu là xe đạp thì sao")
    standalone = followup.rewrite(cleaned.text, SUBJECT)
    answering.faq_search = lambda question: [_match(MOTORBIKE, 0.6), _match(BICYCLE, 0.2)]  # type: ignore[method-assign]
    answering.retriever = FakeRetriever([_passage("ND168::9", "xe đạp uống bia nồng độ cồn bị phạt")])
    reply = answering.answer(state, cleaned, [], standalone, 2000)
    assert reply.text == "[faq] xe-dap-bia" and not reply.low_confidence
    # the next follow-up ("mức phạt thế nào") is read against the bicycle question, not the motorbike one
    assert state.last_question == BICYCLE.questions[0] and state.last_faq_id == "xe-dap-bia"


CIVIL = "Hộ tịch"
DEADLINE = FaqEntry("khai-sinh-han", CIVIL, ["Sinh con bao lâu thì phải đi làm giấy khai sinh?"],
                    "Trong 60 ngày kể từ ngày sinh, cha hoặc mẹ phải đăng ký khai sinh cho con.",
                    [Citation("HT::15", "60/2014/QH13", "15")])
PLACE = FaqEntry("khai-sinh-noi", CIVIL, ["Làm giấy khai sinh cho con ở đâu?", "khai sinh cho be nop o dau"],
                 "Bạn đăng ký khai sinh tại Ủy ban nhân dân cấp xã nơi cư trú của cha hoặc mẹ.",
                 [Citation("HT::13", "60/2014/QH13", "13")])
FEE = FaqEntry("khai-sinh-phi", CIVIL, ["Làm giấy khai sinh cho bé có mất lệ phí không?"],
               "Đăng ký khai sinh đúng hạn được miễn lệ phí; việc này làm ở Ủy ban nhân dân cấp xã.",
               [Citation("HT::11", "60/2014/QH13", "11")])
BIRTH = Subject("be nha em sinh duoc hon 1 thang, han chot di lam giay khai sinh la khi nao",
                followup.key_terms("be nha em sinh duoc hon 1 thang, han chot di lam giay khai sinh la khi nao"),
                CIVIL, ("HT::15",), "khai-sinh-han")


def test_a_fragment_of_frame_words_only_takes_the_entry_whose_questions_ask_it() -> None:
    candidates = [_match(DEADLINE, 0.7), _match(FEE, 0.3), _match(PLACE, 0.2)]
    # "làm ở đâu" names nothing: the entry asked "ở đâu" answers it, not the fee entry whose answer says "làm ở"
    fit = fitting_entry("làm ở đâu vậy", BIRTH, candidates, frozenset({CIVIL}))
    assert fit is not None and fit.entry.id == "khai-sinh-noi"
    fee = fitting_entry("có mất phí không", BIRTH, candidates, frozenset({CIVIL}))
    assert fee is not None and fee.entry.id == "khai-sinh-phi"
    assert fitting_entry("thì sao ạ", BIRTH, candidates, frozenset({CIVIL})) is None
