"""Follow-ups on their own: when a message continues the subject, and the standalone question it stands for."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.core import texts
from bot.core.config import AssistantConfig
from bot.core.faq_match import FaqMatcher
from bot.core.followup import (
    Subject,
    TopicVocabulary,
    best_matches,
    compact,
    covers,
    focus_sentence,
    fragment,
    is_followup,
    key_terms,
    leans_on,
    repeats,
    rewrite,
    signals,
    with_prior,
)
from bot.core.models import Channel, Citation, IncomingMessage, Passage, Reply, ReplyKind
from bot.core.ports import FaqEntry, FaqMatch, IntentScores, Turn
from bot.core.service import Assistant
from bot.core.writer import ExtractiveWriter
from tests.auxil.core_fakes import ARTICLES, LABOUR, FakeRetriever

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


def test_con_typed_with_accents_is_the_child_not_con_meaning_and() -> None:
    # with accents a citizen writes "còn" for "and as for"; a bare "con" is the child
    assert signals("con cưới thì bố mẹ được nghỉ không").starts_back is False
    assert fragment("con cưới thì bố mẹ được nghỉ không").startswith("con cưới")
    assert signals("còn ông bà mất thì sao").starts_back is True
    assert signals("con lam nghe doc hai thi sao").starts_back is True  # typed without accents: "còn"


def test_compact_keeps_the_subject_key_words_and_the_new_fragment() -> None:
    q = compact("the con chong thi duoc nghi may ngay", MATERNITY)
    assert q.startswith(" ".join(MATERNITY.terms)) and q.endswith("chong thi duoc nghi may ngay")
    assert len(q.split()) < len(rewrite("the con chong thi duoc nghi may ngay", MATERNITY).split())


def _passage(article_id: str, score: float) -> Passage:
    return Passage(article_id, "45/2019/QH14", "Bộ luật Lao động", "Bộ luật", article_id, "t", "x", score)


def test_the_previous_answers_articles_lead_a_follow_up_unless_the_new_words_find_better() -> None:
    found = [_passage("A", 10.0), _passage("B", 4.0)]
    ranked = with_prior(found, [_passage("P", 0.0)], share=0.9)
    assert [p.article_id for p in ranked] == ["A", "P", "B"] and ranked[1].score == 9.0
    lifted = with_prior(found, [_passage("B", 0.0)], share=0.9)  # found already: kept once, lifted
    assert [p.article_id for p in lifted] == ["A", "B"] and lifted[1].score == 9.0
    assert with_prior(found, [_passage("P", 0.0)], share=0.0) == found  # no prior: as retrieved


def test_faq_matches_of_several_phrasings_keep_each_entry_at_its_best() -> None:
    a = FaqEntry("a", "t", ["q"], "x", [])
    b = FaqEntry("b", "t", ["q"], "y", [])
    merged = best_matches([[FaqMatch(a, 0.4), FaqMatch(b, 0.3)], [FaqMatch(b, 0.7)]])
    assert [(m.entry.id, m.score) for m in merged] == [("b", 0.7), ("a", 0.4)]


def test_the_previous_reply_word_for_word_counts_as_a_repeat_only_for_a_different_message() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    turns = [Turn("user", "cuoi duoc nghi may ngay", now), Turn("bot", "Nghỉ 03 ngày.", now, "answer")]
    assert repeats("Nghỉ 03 ngày.", turns, "con cuoi thi sao")
    assert not repeats("Nghỉ 03 ngày.", turns, "cuoi duoc nghi may ngay")  # asked again: same answer is fine
    assert not repeats("Nghỉ 01 ngày.", turns, "con cuoi thi sao")


# --- behaviour a citizen notices (our own texts; article text as in Bộ luật Lao động 2019) ---------

PERSONAL_LEAVE = Passage(
    article_id="20.2.LQ.115", article="115", title="Nghỉ việc riêng, nghỉ không hưởng lương", score=0.0, **LABOUR,
    text=(
        "1. Người lao động được nghỉ việc riêng mà vẫn hưởng nguyên lương và phải thông báo với người sử dụng lao "
        "động trong trường hợp sau đây:\n\na) Kết hôn: nghỉ 03 ngày;\n\nb) Con đẻ, con nuôi kết hôn: nghỉ 01 ngày;"
        "\n\nc) Cha đẻ, mẹ đẻ, cha nuôi, mẹ nuôi; cha đẻ, mẹ đẻ, cha nuôi, mẹ nuôi của vợ hoặc chồng; vợ hoặc "
        "chồng; con đẻ, con nuôi chết: nghỉ 03 ngày.\n\n2. Người lao động được nghỉ không hưởng lương 01 ngày và "
        "phải thông báo với người sử dụng lao động khi ông nội, bà nội, ông ngoại, bà ngoại, anh, chị, em ruột "
        "chết; cha hoặc mẹ kết hôn; anh, chị, em ruột kết hôn."
    ),
)
WEDDING = FaqEntry(
    id="own-cuoi", topic="Lao động",
    questions=["Kết hôn thì được nghỉ mấy ngày hưởng nguyên lương?", "cuoi duoc nghi may ngay co luong"],
    answer="Người lao động kết hôn được nghỉ việc riêng 03 ngày, vẫn hưởng nguyên lương.",
    citations=[Citation("20.2.LQ.115", "45/2019/QH14", "115", clause="1")],
)
PROBATION = FaqEntry(
    id="own-thu-viec", topic="Lao động",
    questions=["Thử việc tối đa bao lâu?", "thu viec duoc bao lau"],
    answer="Thời gian thử việc tùy công việc; với công việc cần trình độ cao đẳng trở lên không quá 60 ngày.",
    citations=[Citation("20.2.LQ.25", "45/2019/QH14", "25", clause="2")],
)


class AnswerIntent:
    """The IntentModel port: every message is a question to answer unless the test says otherwise."""

    def __init__(self) -> None:
        self.escalate: set[str] = set()
        self.small_talk: set[str] = set()  # messages that, read alone, look like chat rather than a question

    def predict(self, text: str) -> IntentScores:
        label = "escalate" if any(k in text for k in self.escalate) else "answer"
        label = "out_of_scope" if text in self.small_talk else label
        base = {"answer": 0.02, "escalate": 0.02, "urgent": 0.02, "out_of_scope": 0.02}
        base[label] = 0.94
        return IntentScores(base, {"escalate": "human_request", "out_of_scope": "chitchat"}.get(label, ""), 0.8)


class Chat:
    def __init__(self) -> None:
        self.retriever = FakeRetriever([*ARTICLES, PERSONAL_LEAVE])
        self.tickets = InMemoryTicketStore()
        self.intent = AnswerIntent()
        self.assistant = Assistant(self.retriever, FaqMatcher([WEDDING, PROBATION]),
                                   ExtractiveWriter(built_at=lambda: self.retriever.built_at),
                                   InMemoryConversationStore(), self.tickets, AssistantConfig(), intent=self.intent)
        self.n = 0

    def say(self, text: str) -> Reply:
        self.n += 1
        return self.assistant.handle(IncomingMessage(Channel.TELEGRAM, "c", "c", text, str(self.n)), 4096)


def test_a_follow_up_about_another_person_gets_that_persons_answer_not_the_previous_one() -> None:
    chat = Chat()
    first = chat.say("em sắp cưới thì được nghỉ mấy ngày có lương")
    assert first.kind == ReplyKind.ANSWER and "03 ngày" in first.text
    follow = chat.say("con cưới thì sao")  # the citizen's child marries
    assert follow.kind == ReplyKind.ANSWER and follow.text != first.text
    assert any(c.article_id == "20.2.LQ.115" for c in follow.citations)
    assert "01 ngày" in follow.text


def test_a_short_follow_up_keeps_the_topic_of_the_subject() -> None:
    chat = Chat()
    chat.say("cuoi duoc nghi may ngay co luong")
    follow = chat.say("ong ba mat thi sao")
    assert "nghi" in chat.retriever.queries[-1] and "mat" in chat.retriever.queries[-1]
    assert any(c.article_id == "20.2.LQ.115" for c in follow.citations)


def test_a_self_contained_new_question_does_not_inherit_the_old_subject() -> None:
    chat = Chat()
    chat.say("cuoi duoc nghi may ngay co luong")
    new = chat.say("cong ty bat thu viec toi da duoc bao lau")
    assert "cuoi" not in chat.retriever.queries[-1]
    assert new.kind == ReplyKind.ANSWER and any(c.article_id == "20.2.LQ.25" for c in new.citations)
    assert "03 ngày" not in new.text


def test_after_an_escalation_the_next_messages_go_to_the_ticket_until_moi() -> None:
    chat = Chat()
    chat.intent.escalate.add("gap can bo")
    opened = chat.say("cong ty khong tra luong 3 thang, toi muon gap can bo tu van")
    assert opened.kind == ReplyKind.ESCALATED and opened.ticket_id is not None
    # an FAQ question on its own: it reaches the staff too, and the vetted answer comes beside the notice
    detail = chat.say("cuoi duoc nghi may ngay co luong")
    assert detail.kind == ReplyKind.INFO and detail.ticket_id == opened.ticket_id
    assert detail.text.startswith(texts.ATTACHED_AND_ANSWERED.format(ticket_id=opened.ticket_id))
    assert "03 ngày" in detail.text and detail.citations
    assert chat.tickets.tickets[opened.ticket_id].citizen_messages == 1
    case_detail = chat.say("toi da gui don cho cty tu thang truoc")  # a detail of the case: for the staff only
    assert case_detail.kind == ReplyKind.INFO and case_detail.ticket_id == opened.ticket_id
    assert texts.ATTACHED_TO_TICKET.format(ticket_id=opened.ticket_id) in case_detail.text
    assert not case_detail.citations
    assert chat.tickets.tickets[opened.ticket_id].citizen_messages == 2
    state = chat.assistant.conversations.load(Channel.TELEGRAM, "c", "c")
    assert [t.text for t in state.turns if t.role == "user"][-2:] == [  # staff read them
        "cuoi duoc nghi may ngay co luong", "toi da gui don cho cty tu thang truoc"]
    chat.say("/moi")
    fresh = chat.say("cuoi duoc nghi may ngay co luong")
    assert fresh.kind == ReplyKind.ANSWER and "03 ngày" in fresh.text
    assert chat.tickets.tickets[opened.ticket_id].citizen_messages == 2


def test_a_question_the_faq_does_not_answer_while_a_ticket_is_open_only_reaches_staff() -> None:
    chat = Chat()
    chat.intent.escalate.add("gap can bo")
    opened = chat.say("cong ty khong tra luong 3 thang, toi muon gap can bo tu van")
    state = chat.assistant.conversations.load(Channel.TELEGRAM, "c", "c")
    before = (state.last_question, state.suggestions, state.last_article_ids)
    asked = chat.say("ong ba mat thi duoc nghi may ngay")  # the law text, not a vetted answer: for the staff
    assert asked.kind == ReplyKind.INFO and asked.ticket_id == opened.ticket_id and not asked.citations
    assert texts.ATTACHED_TO_TICKET.format(ticket_id=opened.ticket_id) in asked.text
    state = chat.assistant.conversations.load(Channel.TELEGRAM, "c", "c")
    # the answer computed and not sent leaves no subject and no FAQ questions to pick with "1"
    assert (state.last_question, state.suggestions, state.last_article_ids) == before


def test_messages_after_staff_close_the_ticket_are_answered_again() -> None:
    chat = Chat()
    chat.intent.escalate.add("gap can bo")
    opened = chat.say("toi muon gap can bo de hoi ve hop dong")
    assert opened.ticket_id is not None
    chat.tickets.tickets[opened.ticket_id] = dataclasses.replace(chat.tickets.tickets[opened.ticket_id], resolved=True)
    answered = chat.say("cuoi duoc nghi may ngay co luong")
    assert answered.kind == ReplyKind.ANSWER and "03 ngày" in answered.text


def test_a_follow_up_the_last_answer_covers_is_answered_by_its_sentence_first_not_word_for_word() -> None:
    chat = Chat()
    first = chat.say("cuoi duoc nghi may ngay co luong")
    again = chat.say("ket hon duoc nghi nguyen luong may ngay")  # other words, same question
    assert again.kind == ReplyKind.ANSWER and "03 ngày" in again.text
    assert again.text != first.text
    assert focus_sentence(WEDDING.answer, "ket hon nghi may ngay") == WEDDING.answer.rstrip()


def test_a_short_question_that_reads_like_small_talk_alone_is_asked_about_the_subject() -> None:
    chat = Chat()
    chat.say("cuoi duoc nghi may ngay co luong")
    chat.intent.small_talk.add("mat bao lau moi duoc")
    assert leans_on("mat bao lau moi duoc") and not leans_on("toi muon hoi ve viec ly hon va chia tai san chung")
    searched = len(chat.retriever.queries)
    follow = chat.say("mat bao lau moi duoc")
    assert follow.kind != ReplyKind.REFUSED
    # the law was searched for the wedding leave (also for a heading naming its time limit, after that)
    assert "cuoi" in chat.retriever.queries[searched]
    chat.say("/moi")
    alone = chat.say("mat bao lau moi duoc")  # no subject: not answered about the old one
    assert alone.kind in (ReplyKind.REFUSED, ReplyKind.CLARIFY) and not alone.citations
