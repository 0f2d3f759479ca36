"""Follow-ups in a chat: the subject carries over, the asked fact is quoted, new questions and tickets are kept apart."""

from __future__ import annotations

import dataclasses

from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.core import followup, texts
from bot.core.clean import cue_form
from bot.core.config import AssistantConfig
from bot.core.faq_match import FaqMatcher
from bot.core.followup import (
    Subject,
    TopicVocabulary,
    answering_prior,
    clause_focus,
    is_followup,
    key_terms,
    retrieval_query,
)
from bot.core.models import Channel, Citation, IncomingMessage, Passage, Reply, ReplyKind
from bot.core.ports import FaqEntry, FaqMatch, IntentScores
from bot.core.service import Assistant
from bot.core.writer import ExtractiveWriter
from tests.auxil.core_fakes import ARTICLES, LABOUR, FakeRetriever

# Our own wording of two labour articles: one clause says when the contract is suspended, another what
# the worker gets meanwhile; one clause gives the daily limit, another the weekly one.
SUSPENSION = Passage(
    article_id="20.2.LQ.30", article="30", title="Tạm hoãn thực hiện hợp đồng lao động", score=0.0, **LABOUR,
    text=(
        "1. Các trường hợp tạm hoãn thực hiện hợp đồng lao động bao gồm:\n\na) Người lao động thực hiện nghĩa vụ "
        "quân sự;\n\nb) Người lao động bị tạm giữ, tạm giam;\n\nc) Trường hợp khác do hai bên thỏa thuận.\n\n"
        "2. Trong thời gian tạm hoãn thực hiện hợp đồng lao động, người lao động không được hưởng lương, trừ "
        "trường hợp hai bên có thỏa thuận khác."
    ),
)
HOURS = Passage(
    article_id="20.2.LQ.105", article="105", title="Thời giờ làm việc bình thường", score=0.0, **LABOUR,
    text=(
        "1. Thời giờ làm việc bình thường không quá 08 giờ trong 01 ngày.\n\n2. Trường hợp quy định theo tuần "
        "thì thời giờ làm việc bình thường không quá 10 giờ trong 01 ngày và không quá 48 giờ trong 01 tuần."
    ),
)


class Intent:
    """The IntentModel port: a question to answer, or a case for staff when it names a threat."""

    def predict(self, text: str) -> IntentScores:
        label = "escalate" if "doa giet" in text else "answer"
        base = {"answer": 0.02, "escalate": 0.02, "urgent": 0.02, "out_of_scope": 0.02}
        base[label] = 0.94
        return IntentScores(base, "human_request" if label == "escalate" else "", 0.8)


class Chat:
    def __init__(self) -> None:
        self.retriever = FakeRetriever([*ARTICLES, SUSPENSION, HOURS])
        self.tickets = InMemoryTicketStore()
        self.assistant = Assistant(self.retriever, FaqMatcher([]), ExtractiveWriter(built_at=lambda: ""),
                                   InMemoryConversationStore(), self.tickets, AssistantConfig(), intent=Intent())
        self.n = 0

    def say(self, text: str) -> Reply:
        self.n += 1
        return self.assistant.handle(IncomingMessage(Channel.ZALO, "u", "u", text, str(self.n)), 2000)


def cites(reply: Reply, article_id: str) -> bool:
    return any(c.article_id == article_id for c in reply.citations)


def test_a_follow_up_asking_another_fact_of_the_same_article_quotes_the_clause_that_holds_it() -> None:
    chat = Chat()
    first = chat.say("di nghia vu quan su thi hop dong lao dong voi cty co bi tam hoan khong")
    assert cites(first, "20.2.LQ.30") and "nghĩa vụ quân sự" in first.text
    follow = chat.say("trong thoi gian do cty co phai tra luong ko")
    assert cites(follow, "20.2.LQ.30")
    assert "không được hưởng lương" in follow.text


def test_a_follow_up_naming_a_new_aspect_is_searched_with_it_first_and_keeps_the_topic() -> None:
    chat = Chat()
    first = chat.say("cty bat lam 10 tieng 1 ngay, thoi gio lam viec binh thuong toi da bao nhieu")
    assert cites(first, "20.2.LQ.105")
    follow = chat.say("con tinh theo tuan thi sao")
    assert "lam viec" in chat.retriever.queries[-1] and "tuan" in chat.retriever.queries[-1]
    assert cites(follow, "20.2.LQ.105") and "48 giờ" in follow.text


def test_a_chain_of_follow_ups_is_read_against_the_subject_not_against_every_earlier_fragment() -> None:
    chat = Chat()
    chat.say("di nghia vu quan su thi hop dong lao dong voi cty co bi tam hoan khong")
    chat.say("neu bi tam giam thi sao")
    chat.say("trong thoi gian do cty co phai tra luong ko")
    last = chat.retriever.queries[-1]
    assert "nghia vu quan su" in last and "luong" in last
    assert "giam" not in last  # the earlier fragment is not carried into the next one


def test_a_self_contained_new_question_after_follow_ups_starts_fresh() -> None:
    chat = Chat()
    chat.say("di nghia vu quan su thi hop dong lao dong voi cty co bi tam hoan khong")
    chat.say("trong thoi gian do cty co phai tra luong ko")
    new = chat.say("cho hoi chuyen khac, em moi vao cong ty, ho bat thu viec thi toi da duoc bao nhieu ngay")
    assert "quan su" not in chat.retriever.queries[-1]
    assert new.citations[0].article_id == "20.2.LQ.25" and "Không quá" in new.text


def test_after_an_escalation_every_next_message_reaches_the_open_ticket_until_staff_close_it() -> None:
    chat = Chat()
    opened = chat.say("chu no den nha doa giet ca nha toi neu khong tra tien")
    assert opened.kind == ReplyKind.ESCALATED and opened.ticket_id is not None
    for detail in ("no ten Hung, toi nao cung den", "con neu no dap pha do thi sao",
                   "thoi gio lam viec binh thuong toi da bao nhieu"):  # a follow-up and a new question alike
        reply = chat.say(detail)
        assert reply.ticket_id == opened.ticket_id and reply.kind == ReplyKind.INFO
        assert texts.ATTACHED_TO_TICKET.format(ticket_id=opened.ticket_id) in reply.text
        assert not reply.citations
    assert chat.tickets.tickets[opened.ticket_id].citizen_messages == 3
    chat.tickets.tickets[opened.ticket_id] = dataclasses.replace(chat.tickets.tickets[opened.ticket_id],
                                                                 resolved=True)
    answered = chat.say("thoi gio lam viec binh thuong toi da bao nhieu")
    assert answered.kind == ReplyKind.ANSWER and cites(answered, "20.2.LQ.105")
    assert "chu no" not in chat.retriever.queries[-1]  # the closed case is no subject to lean on


def test_the_last_answers_articles_help_only_when_they_hold_what_is_asked() -> None:
    assert answering_prior([SUSPENSION, HOURS], "con tinh theo tuan thi sao") == [HOURS]
    assert answering_prior([SUSPENSION, HOURS], "co bi phat tien khong") == []
    assert answering_prior([SUSPENSION], "thi sao") == []  # nothing asked of its own


def test_a_follow_ups_quote_is_picked_by_its_own_words_and_its_search_leads_with_them() -> None:
    subject = Subject("cty bat lam 10 tieng 1 ngay co dung khong", key_terms("cty bat lam 10 tieng 1 ngay co dung khong"))
    standalone = followup.rewrite("the con tinh theo tuan thi sao", subject)
    assert clause_focus("the con tinh theo tuan thi sao", standalone, [HOURS]) == "tinh theo tuan thi sao"
    assert clause_focus("thi sao", standalone, [HOURS]) == standalone  # no words of its own: the whole question
    # words the articles do not use ("cưới" where the law says "kết hôn"): the whole question picks the clause
    assert clause_focus("con cuoi thi sao", standalone, [SUSPENSION]) == standalone
    query = retrieval_query("the con tinh theo tuan thi sao", standalone, subject)
    assert query.startswith(standalone) and query.count("tuan") == 2


# Our own questions for four topics: which words speak of which.
VOCABULARY = TopicVocabulary([
    ("Người cao tuổi", "ba noi 80 tuoi khong co luong huu co duoc tro cap hang thang khong"),
    ("Người cao tuổi", "nguoi cao tuoi neo don duoc tro cap gi"),
    ("Giao thông", "xe may khong co bang lai bi phat bao nhieu"),
    ("Giao thông", "chay xe may vuot den do bi phat may tien"),
    ("Lương hưu", "lam nghe nang nhoc doc hai thi duoc ve huu som may nam"),
    ("Nghỉ phép", "lam du 12 thang thi duoc nghi phep nam may ngay"),
])
ALLOWANCE = Passage(
    article_id="6.2.LQ.17", article="17", title="Đối tượng được hưởng chính sách bảo trợ xã hội", score=0.0,
    doc_number="39/2009/QH12", doc_title="Luật Người cao tuổi", doc_type="Luật",
    text="1. Người cao tuổi thuộc hộ nghèo không có người phụng dưỡng.\n\n2. Người từ đủ 80 tuổi trở lên không "
         "có lương hưu, trợ cấp bảo hiểm xã hội hằng tháng.",
)


def test_a_message_pointing_back_that_tells_a_new_situation_of_another_topic_is_a_new_question() -> None:
    elderly = Subject("ong noi 85 tuoi khong co luong huu co duoc tro cap khong",
                      key_terms("ong noi 85 tuoi khong co luong huu co duoc tro cap khong"), topic="Người cao tuổi")
    assert not is_followup("ma con xe may khong co bang lai bi phat bao nhieu", elderly, VOCABULARY,
                           previous=[ALLOWANCE])
    assert is_followup("con ba ngoai 78 tuoi thi sao", elderly, VOCABULARY, previous=[ALLOWANCE])
    leave = Subject("lam du 12 thang thi duoc nghi phep nam may ngay",
                    key_terms("lam du 12 thang thi duoc nghi phep nam may ngay"), topic="Nghỉ phép")
    annual = next(p for p in ARTICLES if p.article_id == "20.2.LQ.113")
    # words of another topic, but the annual-leave article speaks of them: still the same subject
    assert is_followup("con lam nghe nang nhoc doc hai thi sao", leave, VOCABULARY, previous=[annual])
    # after a "not sure" answer there are no articles to check with: a message pointing back continues
    assert is_followup("con lam nghe nang nhoc doc hai thi sao", leave, VOCABULARY, previous=[])


def test_a_short_question_in_the_subjects_topic_continues_it_and_a_full_one_starts_fresh() -> None:
    traffic = Subject("chay xe may vuot den do bi phat bao nhieu",
                      key_terms("chay xe may vuot den do bi phat bao nhieu"), topic="Giao thông")
    assert is_followup("co bi tru diem bang ko", traffic, VOCABULARY)  # a further fact of the same subject
    assert not is_followup("chay xe may khong co bang lai thi bi phat bao nhieu tien vay", traffic, VOCABULARY)


# Our own wording of two vetted answers on leave around a birth (the mother's months, the father's days), one on
# the time limit for discipline and one on when a worker may not be disciplined.
BIRTH = Passage(
    article_id="41/2024/QH15::53", article="53", title="Thời gian nghỉ việc hưởng chế độ thai sản khi sinh con",
    score=0.0, doc_number="41/2024/QH15", doc_title="Luật Bảo hiểm xã hội", doc_type="Luật",
    text="1. Lao động nữ sinh con được nghỉ 06 tháng.\n\n2. Lao động nam khi vợ sinh con được nghỉ 05 ngày làm việc.",
)
DISCIPLINE = Passage(
    article_id="20.2.LQ.123", article="123", title="Thời hiệu xử lý kỷ luật lao động", score=0.0, **LABOUR,
    text="1. Thời hiệu xử lý kỷ luật lao động là 06 tháng kể từ ngày xảy ra hành vi vi phạm.\n\n2. Không được xử "
         "lý kỷ luật người lao động đang nghỉ ốm đau.",
)
MOTHER = FaqEntry(
    id="own-me-sinh", topic="Thai sản", questions=["Vợ tôi sắp sinh thì được nghỉ thai sản mấy tháng?"],
    answer="Mẹ được nghỉ thai sản 06 tháng, tiền do quỹ bảo hiểm xã hội trả.",
    citations=[Citation("41/2024/QH15::53", "41/2024/QH15", "53", clause="1")],
)
FATHER = FaqEntry(
    id="own-cha-nghi", topic="Thai sản", questions=["Vợ sinh con thì chồng được nghỉ mấy ngày?"],
    answer="Bố được nghỉ 05 ngày làm việc khi vợ sinh, tiền do quỹ bảo hiểm xã hội trả.",
    citations=[Citation("41/2024/QH15::53", "41/2024/QH15", "53", clause="2")],
)
TIME_LIMIT = FaqEntry(
    id="own-thoi-hieu", topic="Kỷ luật", questions=["Thời hiệu xử lý kỷ luật lao động là bao lâu?"],
    answer="Công ty chỉ được kỷ luật trong 06 tháng kể từ ngày vi phạm.",
    citations=[Citation("20.2.LQ.123", "45/2019/QH14", "123", clause="1")],
)
SICK = FaqEntry(
    id="own-nghi-om", topic="Kỷ luật", questions=["Đang nghỉ ốm thì công ty có được kỷ luật không?"],
    answer="Không. Lúc bạn đang ốm, công ty phải chờ bạn khỏi mới được xét kỷ luật.",
    citations=[Citation("20.2.LQ.123", "45/2019/QH14", "123", clause="2")],
)


class ScriptedFaq:
    """The FaqSearch port: what a matcher by meaning finds for each phrasing (entry id: score), as the test says
    it (a question glued to an earlier one reads, to it, as the earlier one)."""

    def __init__(self, entries: list[FaqEntry], found: dict[str, dict[str, float]]) -> None:
        self._entries = entries
        self.found = found

    @property
    def entries(self) -> list[FaqEntry]:
        return self._entries

    def search(self, query: str, k: int = 3) -> list[FaqMatch]:
        scores = next((v for k, v in self.found.items() if cue_form(k) == cue_form(query)), {})
        matches = [FaqMatch(e, scores[e.id]) for e in self._entries if e.id in scores]
        return sorted(matches, key=lambda m: m.score, reverse=True)[:k]


class FaqChat(Chat):
    def __init__(self, faq: ScriptedFaq) -> None:
        super().__init__()
        self.retriever = FakeRetriever([*ARTICLES, BIRTH, DISCIPLINE])
        self.assistant = Assistant(self.retriever, faq, ExtractiveWriter(built_at=lambda: ""),
                                   InMemoryConversationStore(), self.tickets, AssistantConfig(), intent=Intent())


def test_a_follow_up_naming_another_person_gets_the_vetted_answer_about_that_person() -> None:
    faq = ScriptedFaq([MOTHER, FATHER], {
        "vo toi sap sinh thi duoc nghi thai san may thang": {MOTHER.id: 0.9},
        "chong toi sap sinh thi duoc nghi thai san may thang": {FATHER.id: 0.8, MOTHER.id: 0.6}})
    chat = FaqChat(faq)
    first = chat.say("vo toi sap sinh thi duoc nghi thai san may thang")
    assert "Mẹ được nghỉ thai sản 06 tháng" in first.text
    follow = chat.say("the con chong toi thi sao")
    assert "Bố được nghỉ 05 ngày làm việc" in follow.text
    assert "Mẹ được nghỉ" not in follow.text  # not the mother's answer again


def test_a_follow_up_that_a_vetted_answer_on_the_same_articles_fits_alone_gets_that_answer() -> None:
    faq = ScriptedFaq([TIME_LIMIT, SICK], {
        "thoi hieu xu ly ky luat lao dong la bao lau": {TIME_LIMIT.id: 0.9},
        "the con luc dang nghi om thi sao": {SICK.id: 0.8},
        "thoi hieu xu ly ky luat lao dong la bao lau luc dang nghi om thi sao": {TIME_LIMIT.id: 0.7}})
    chat = FaqChat(faq)
    first = chat.say("thoi hieu xu ly ky luat lao dong la bao lau")
    assert "trong 06 tháng" in first.text
    follow = chat.say("the con luc dang nghi om thi sao")
    assert "phải chờ bạn khỏi mới được xét kỷ luật" in follow.text


def test_the_subjects_question_is_asked_again_about_the_person_a_short_follow_up_names() -> None:
    assert followup.swap_person("vo toi sap sinh duoc nghi may thang", "the con chong toi thi sao") == \
        "chong toi sap sinh duoc nghi may thang"
    assert followup.swap_person("Mẹ tôi 80 tuổi có được trợ cấp không", "còn bà nội tôi thì sao") == \
        "bà nội tôi 80 tuổi có được trợ cấp không"
    # the same person, no person, or a situation of its own: nothing to swap
    assert followup.swap_person("vo toi sap sinh duoc nghi may thang", "con vo toi thi sao") is None
    assert followup.swap_person("vo toi sap sinh duoc nghi may thang", "the con lam ca dem thi sao") is None
    assert followup.swap_person("vo toi sap sinh duoc nghi may thang", "con chong toi bi om nam vien thi sao") is None
    assert followup.person_named("thế còn chồng tôi thì sao") == "chồng"


def test_a_message_opening_like_a_follow_up_that_another_topics_answer_fits_is_new_even_after_not_sure() -> None:
    elderly = Subject("ong noi 85 tuoi khong co luong huu co duoc tro cap khong",
                      key_terms("ong noi 85 tuoi khong co luong huu co duoc tro cap khong"), topic="Người cao tuổi")
    # the last answer was a "not sure": no articles to check with, but a vetted traffic answer fits it alone
    assert not is_followup("ma con xe may khong co bang lai bi phat bao nhieu", elderly, VOCABULARY,
                           own_topic="Giao thông", previous=[])
    # pointing at what was said ("lúc đó") keeps the subject whatever else it matches
    assert is_followup("luc do xe may khong co bang lai bi phat bao nhieu", elderly, VOCABULARY,
                       own_topic="Giao thông", previous=[])



WHO_GETS = FaqEntry(
    id="own-tn-ai", topic="Thất nghiệp", questions=["Công ty giải thể thì có được hưởng trợ cấp thất nghiệp không?"],
    answer="Có, nếu đã đóng bảo hiểm thất nghiệp đủ 12 tháng trong 24 tháng trước khi nghỉ.",
    citations=[Citation("74/2025/QH15::38", "74/2025/QH15", "38", clause="1")],
)
HOW_MUCH = FaqEntry(
    id="own-tn-muc", topic="Thất nghiệp", questions=["Trợ cấp thất nghiệp mỗi tháng được bao nhiêu?"],
    answer="Mỗi tháng được 60% bình quân tiền lương đóng bảo hiểm thất nghiệp của 06 tháng liền kề.",
    citations=[Citation("74/2025/QH15::39", "74/2025/QH15", "39", clause="1")],
)
TOPICS = TopicVocabulary([
    ("Thất nghiệp", "tro cap that nghiep duoc bao nhieu"),
    ("Thất nghiệp", "nghi viec co duoc huong that nghiep"),
    ("Lao động", "cong ty giai the co phai tra luong khong"),
    ("Hợp tác xã", "hop tac xa giai the thi sao"),
    ("Doanh nghiệp", "cong ty giai the phai bao cho ai"),
], max_topics=1)
CONTRIBUTED = Passage(
    article_id="74/2025/QH15::38", article="38", title="Điều kiện hưởng trợ cấp thất nghiệp", score=0.0,
    doc_number="74/2025/QH15", doc_title="Luật Việc làm", doc_type="Luật",
    text="1. Người lao động được hưởng trợ cấp thất nghiệp khi đã đóng đủ 12 tháng trong 24 tháng.",
)
MONTHLY = Passage(
    article_id="74/2025/QH15::39", article="39", title="Mức hưởng trợ cấp thất nghiệp", score=0.0,
    doc_number="74/2025/QH15", doc_title="Luật Việc làm", doc_type="Luật",
    text="1. Mức hưởng hằng tháng bằng 60% mức bình quân tiền lương đóng bảo hiểm thất nghiệp.",
)


def test_a_short_follow_up_is_also_searched_after_only_the_words_naming_the_subjects_topic() -> None:
    subject = Subject("công ty giải thể thì có được hưởng trợ cấp thất nghiệp không",
                      key_terms("công ty giải thể thì có được hưởng trợ cấp thất nghiệp không"))
    # the situation ("công ty giải thể", words of several topics) is dropped, what names the topic kept
    assert followup.focused("mỗi tháng được bao nhiêu", subject, TOPICS) == \
        "hưởng trợ cấp thất nghiệp mỗi tháng được bao nhiêu"
    assert followup.focused("mỗi tháng được bao nhiêu", subject, None) is None


def test_a_short_follow_up_asking_another_aspect_gets_the_vetted_answer_on_that_aspect() -> None:
    first_q = "cong ty giai the thi co duoc huong tro cap that nghiep khong"
    follow_q = "moi thang duoc bao nhieu"
    found = {first_q: {WHO_GETS.id: 0.9}, f"{first_q} {follow_q}": {WHO_GETS.id: 0.7}}
    chat = FaqChat(ScriptedFaq([WHO_GETS, HOW_MUCH], found))
    chat.assistant.retriever = chat.assistant.answering.retriever = FakeRetriever([*ARTICLES, CONTRIBUTED, MONTHLY])
    vocabulary = chat.assistant.answering._vocabulary(followup.FOCUS_TOPICS)
    focused = followup.focused(follow_q, Subject(first_q), vocabulary)
    assert focused is not None and cue_form(focused) != cue_form(f"{first_q} {follow_q}")
    found[focused] = {HOW_MUCH.id: 0.85, WHO_GETS.id: 0.3}
    assert "đủ 12 tháng" in chat.say(first_q).text
    follow = chat.say(follow_q)
    assert "60% bình quân" in follow.text and cites(follow, "74/2025/QH15::39")
