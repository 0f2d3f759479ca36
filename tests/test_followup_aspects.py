"""A bare follow-up asking where, with which papers, at what fee or within what time the subject's procedure is done
is answered from the article whose heading names that aspect of it (own texts; headings as in Luật Hộ tịch 2014)."""

from __future__ import annotations

import dataclasses

from bot.core import aspects, followup
from bot.core.answering import Answering
from bot.core.clean import clean_message
from bot.core.config import AssistantConfig
from bot.core.models import Citation, DocStatus, Passage
from bot.core.ports import ConversationState, FaqEntry
from tests.auxil.core_fakes import FakeRetriever
from tests.test_core_policies import MarkingWriter

CIVIL_LAW = "60/2014/QH13"


def _article(n: str, title: str, text: str, doc: str = CIVIL_LAW) -> Passage:
    return Passage(article_id=f"{doc}::{n}", doc_number=doc, doc_title="Luật", doc_type="Luật", article=n,
                   title=title, text=text, score=1.0)


PLACE_BIRTH = _article("13", "Thẩm quyền đăng ký khai sinh",
                       "Ủy ban nhân dân cấp xã nơi cư trú của người cha hoặc người mẹ thực hiện đăng ký khai sinh.")
STEPS_BIRTH = _article("16", "Thủ tục đăng ký khai sinh",
                       "Người đi đăng ký khai sinh nộp tờ khai theo mẫu và giấy chứng sinh.")
DUTY_BIRTH = _article("15", "Trách nhiệm đăng ký khai sinh",
                      "Trong thời hạn 60 ngày kể từ ngày sinh con, cha hoặc mẹ có trách nhiệm đăng ký khai sinh.")
PLACE_DEATH = _article("32", "Thẩm quyền đăng ký khai tử",
                       "Ủy ban nhân dân cấp xã nơi cư trú cuối cùng của người chết thực hiện việc đăng ký khai tử.")
FEE = _article("11", "Lệ phí hộ tịch", "Miễn lệ phí đăng ký hộ tịch khi đăng ký khai sinh, khai tử đúng hạn.")
# a heading that names a place and shares one syllable with "khai sinh": not about the birth
WORSHIP = _article("6", "Trình tự thay đổi địa điểm sinh hoạt tôn giáo tập trung",
                   "Thẩm quyền chấp thuận thay đổi địa điểm sinh hoạt tôn giáo tập trung.", "162/2017/NĐ-CP")
ARTICLES = [PLACE_BIRTH, STEPS_BIRTH, DUTY_BIRTH, PLACE_DEATH, FEE, WORSHIP]

BIRTH_QUESTION = "con em sinh duoc 3 tuan roi, bao gio thi phai di lam giay khai sinh cho chau"


def _answering(entries: list[FaqEntry] | None = None) -> Answering:
    answering = Answering(FakeRetriever(ARTICLES), None, MarkingWriter(), AssistantConfig())
    answering.entries = lambda: list(entries or [])  # type: ignore[method-assign]
    return answering


def _ask(answering: Answering, state: ConversationState, text: str) -> tuple[str, list[str]]:
    cleaned = clean_message(text)
    subject = answering.subject(state)
    assert subject is not None
    reply = answering.answer(state, cleaned, [], followup.rewrite(cleaned.text, subject), 2000)
    return reply.text, [c.article_id for c in reply.citations]


def _after(answering: Answering, question: str, cited: list[Passage]) -> ConversationState:
    state = ConversationState(1)
    answering.set_subject(state, question, None, [Citation(p.article_id, p.doc_number, p.article) for p in cited])
    return state


def test_what_a_bare_follow_up_asks() -> None:
    assert aspects.asked("làm ở đâu vậy").aspect.kind == "aspect_place"  # type: ignore[union-attr]
    assert aspects.asked("can mang theo giay gi").aspect.kind == "aspect_papers"  # type: ignore[union-attr]
    assert aspects.asked("co mat phi ko").aspect.kind == "aspect_fee"  # type: ignore[union-attr]
    assert aspects.asked("mất bao lâu").aspect.kind == "aspect_deadline"  # type: ignore[union-attr]
    own = aspects.asked("vậy đăng ký giám hộ ở đâu")
    assert own is not None and own.thing == ("dang", "ky", "giam", "ho")  # it names a thing of its own
    assert aspects.asked("chồng tôi thì sao") is None
    # a story that mentions a place is a question of its own, not an aspect of the last one
    assert aspects.asked("hàng xóm đổ rác ở đâu cũng được trước cổng nhà tôi suốt mấy tháng nay") is None


def test_where_after_a_birth_registration_question_quotes_the_article_on_who_registers_it() -> None:
    answering = _answering()
    state = _after(answering, BIRTH_QUESTION, [DUTY_BIRTH])
    text, cited = _ask(answering, state, "làm ở đâu vậy")
    assert text.startswith("[answer]") and cited == [PLACE_BIRTH.article_id]
    # the fee of the same procedure: the fee article of the law the last answers cited
    assert _ask(answering, state, "có mất phí không")[1] == [FEE.article_id]
    # ... and the papers, after the subject stayed the birth registration
    assert _ask(answering, state, "cần mang theo giấy tờ gì")[1] == [STEPS_BIRTH.article_id]


def test_the_citizens_own_words_name_the_procedure_when_the_last_answer_cited_nothing() -> None:
    answering = _answering()
    state = _after(answering, "ong ngoai em mat tuan truoc, gio nha em phai di lam giay khai tu cho ong", [])
    assert _ask(answering, state, "lam o dau")[1] == [PLACE_DEATH.article_id]


def test_an_article_of_a_law_no_longer_in_force_is_never_the_answer() -> None:
    old = dataclasses.replace(PLACE_BIRTH, article_id="OLD::13", doc_number="OLD", status=DocStatus.EXPIRED)
    answering = _answering()
    answering.retriever = FakeRetriever([old, *ARTICLES])  # the old law's heading comes first
    state = _after(answering, BIRTH_QUESTION, [DUTY_BIRTH])
    assert _ask(answering, state, "làm ở đâu vậy")[1] == [PLACE_BIRTH.article_id]


def test_a_heading_sharing_only_a_syllable_is_not_the_answer() -> None:
    answering = _answering()
    answering.retriever = FakeRetriever([WORSHIP, DUTY_BIRTH])  # the index holds no heading on where
    state = _after(answering, BIRTH_QUESTION, [DUTY_BIRTH])
    assert WORSHIP.article_id not in _ask(answering, state, "làm ở đâu vậy")[1]


def test_a_vetted_entry_resting_on_the_article_and_asking_the_same_answers_in_its_words() -> None:
    own_entry = FaqEntry("khai-sinh-o-dau", "Hộ tịch", ["Đăng ký khai sinh cho con ở đâu?"],
                         "Tại Ủy ban nhân dân cấp xã nơi cư trú của cha hoặc mẹ.",
                         [Citation(PLACE_BIRTH.article_id, CIVIL_LAW, "13")])
    # an entry that cites the same article beside its own basis answers another question
    other = FaqEntry("trich-luc", "Hộ tịch", ["Xin trích lục khai sinh ở đâu, có mất phí không?"],
                     "Bạn xin trích lục tại cơ quan đăng ký hộ tịch.",
                     [Citation(STEPS_BIRTH.article_id, CIVIL_LAW, "16"), Citation(PLACE_BIRTH.article_id, CIVIL_LAW, "13")])
    answering = _answering([other, own_entry])
    state = _after(answering, BIRTH_QUESTION, [DUTY_BIRTH])
    text, cited = _ask(answering, state, "làm ở đâu vậy")
    assert text == "[faq] khai-sinh-o-dau" and cited == [PLACE_BIRTH.article_id]


def test_a_short_aspect_question_continues_the_subject() -> None:
    subject = followup.Subject(BIRTH_QUESTION, followup.key_terms(BIRTH_QUESTION), "Hộ tịch")
    # it would match a vetted answer of another topic on its own ("mất tiền" of a scam), yet asks the subject's fee
    assert followup.is_followup("có mất tiền không", subject, own_topic="Lừa đảo trực tuyến")


def test_a_fragment_naming_a_thing_of_its_own_gets_its_heading_when_no_vetted_entry_answers() -> None:
    answering = _answering()
    state = _after(answering, BIRTH_QUESTION, [DUTY_BIRTH])
    # the place of another procedure than the subject's: read after the FAQ (none here), not skipped
    assert _ask(answering, state, "vậy còn đăng ký khai tử ở đâu")[1] == [PLACE_DEATH.article_id]


def test_a_follow_up_below_the_relevance_floor_lists_the_articles_its_subject_was_answered_from() -> None:
    # nothing is ever sure or relevant enough under these thresholds
    answering = Answering(FakeRetriever(ARTICLES), None, MarkingWriter(),
                          AssistantConfig(answer_threshold=1.01, relevance_floor=1.01))
    answering.entries = lambda: []  # type: ignore[method-assign]
    # a new question: an honest "found nothing", no article listed
    fresh = answering.answer(ConversationState(2), clean_message(BIRTH_QUESTION), [], None, 2000)
    assert fresh.citations == [] and "[not sure] 0" in fresh.text
    # a follow-up: "not sure", with the article the subject was answered from as possibly related
    state = _after(answering, BIRTH_QUESTION, [DUTY_BIRTH])
    text, cited = _ask(answering, state, "còn con nuôi thì sao")
    assert text.startswith("[not sure] 1") and cited == [DUTY_BIRTH.article_id]


def test_a_message_asking_two_aspects_is_answered_on_the_first_it_asks() -> None:
    both = aspects.asked("cần những giấy tờ gì, nộp ở đâu")
    assert both is not None and both.thing == ()  # the place cue's words are no thing of its own
    assert [a.aspect.kind for a in both.each()] == ["aspect_papers", "aspect_place"]
    answering = _answering()
    state = _after(answering, BIRTH_QUESTION, [DUTY_BIRTH])
    assert _ask(answering, state, "cần những giấy tờ gì, nộp ở đâu")[1] == [STEPS_BIRTH.article_id]
    state = _after(answering, BIRTH_QUESTION, [DUTY_BIRTH])
    assert _ask(answering, state, "nộp ở đâu, cần giấy gì")[1] == [PLACE_BIRTH.article_id]


def after_vetted(entry: FaqEntry) -> tuple[Answering, ConversationState]:
    """An answering whose FAQ holds `entry`, and a chat whose last answer was it (for follow-ups on a vetted answer)."""
    answering = Answering(FakeRetriever(ARTICLES), None, MarkingWriter(), AssistantConfig())
    answering.entries = lambda: [entry]  # type: ignore[method-assign]
    state = ConversationState(1)
    first = answering.faq_reply(entry, 1.0, 2000)
    assert first is not None
    answering.set_subject(state, entry.questions[0], entry, first.citations)
    return answering, state
