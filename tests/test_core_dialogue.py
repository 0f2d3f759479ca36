"""Dialogue behaviour with a learned triage model and FAQ taps: emergency numbers, tickets that stay open, follow-ups."""

from __future__ import annotations

from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.core import texts
from bot.core.config import AssistantConfig
from bot.core.faq_match import FaqMatcher
from bot.core.models import ButtonAction, Channel, Citation, IncomingMessage, Reply, ReplyKind
from bot.core.ports import FaqEntry, IntentScores
from bot.core.service import Assistant
from bot.core.writer import ExtractiveWriter
from tests.auxil.core_fakes import FakeRetriever

MATERNITY = FaqEntry(
    id="t-thai-san", topic="Lao động",
    questions=["Lao động nữ sinh con được nghỉ thai sản mấy tháng?", "nghi de duoc bao lau"],
    answer="Lao động nữ được nghỉ thai sản trước và sau khi sinh con là 06 tháng.",
    citations=[Citation("20.2.LQ.139", "45/2019/QH14", "139", clause="1")],
)
LEAVE = FaqEntry(
    id="t-phep-nam", topic="Lao động",
    questions=["Một năm làm việc được nghỉ phép bao nhiêu ngày?", "phep nam may ngay"],
    answer="Làm đủ 12 tháng thì được nghỉ hằng năm 12 ngày làm việc với công việc bình thường.",
    citations=[Citation("20.2.LQ.113", "45/2019/QH14", "113", clause="1")],
)


class ScriptedIntent:
    """The IntentModel port: what a model reads in each message, as the test says it."""

    def __init__(self) -> None:
        self.next: dict[str, IntentScores] = {}

    def predict(self, text: str) -> IntentScores:
        for key, scores in self.next.items():
            if key in text:
                return scores
        return IntentScores({"answer": 0.9, "escalate": 0.05, "urgent": 0.0, "out_of_scope": 0.05})


def scores(label: str, category: str = "") -> IntentScores:
    base = {"answer": 0.02, "escalate": 0.02, "urgent": 0.02, "out_of_scope": 0.02}
    base[label] = 0.94
    return IntentScores(base, category, 0.8)


class World:
    def __init__(self) -> None:
        self.retriever = FakeRetriever()
        self.tickets = InMemoryTicketStore()
        self.intent = ScriptedIntent()
        self.assistant = Assistant(
            self.retriever, FaqMatcher([MATERNITY, LEAVE]), ExtractiveWriter(built_at=lambda: self.retriever.built_at),
            InMemoryConversationStore(), self.tickets, AssistantConfig(), intent=self.intent,
        )
        self.n = 0

    def say(self, text: str) -> Reply:
        self.n += 1
        return self.assistant.handle(IncomingMessage(Channel.ZALO, "u", "u", text, str(self.n)), 2000)


def test_urgent_message_in_words_no_list_knows_shows_emergency_numbers_first() -> None:
    w = World()
    w.intent.next["ong hang xom"] = scores("urgent", "sexual_abuse")
    r = w.say("ong hang xom hay goi con gai toi 8 tuoi sang nha roi dong cua lai")
    assert r.kind == ReplyKind.ESCALATED and r.urgent
    first_line = r.text.splitlines()[0]
    assert "113" in first_line
    assert "111" in r.text  # a child is involved


def test_request_for_a_person_in_any_wording_escalates() -> None:
    w = World()
    w.intent.next["ket noi giup"] = scores("escalate", "human_request")
    r = w.say("ket noi giup minh voi ai do o trung tam duoc khong")
    assert r.kind == ReplyKind.ESCALATED and r.ticket_id is not None


def test_messages_after_an_escalation_reach_the_ticket_until_it_is_resolved_or_moi() -> None:
    w = World()
    w.intent.next["bi kien"] = scores("escalate", "sued")
    opened = w.say("toi vua bi kien ra toa vi no tien hang")
    assert opened.kind == ReplyKind.ESCALATED
    consent = w.say("co")
    assert consent.kind == ReplyKind.INFO
    more = w.say("phep nam may ngay")  # would be an FAQ question on its own
    assert more.kind == ReplyKind.INFO and more.ticket_id == opened.ticket_id
    assert w.tickets.tickets[opened.ticket_id].citizen_messages == 1
    w.tickets.tickets[opened.ticket_id].resolved = True  # staff closed it: questions are answered again
    answered = w.say("phep nam may ngay")
    assert answered.kind == ReplyKind.ANSWER and "12 ngày" in answered.text
    w.intent.next["bi kien"] = scores("escalate", "sued")
    second = w.say("toi lai bi kien ra toa")
    w.say("/moi")
    fresh = w.say("phep nam may ngay")
    assert second.ticket_id != opened.ticket_id and fresh.kind == ReplyKind.ANSWER


def test_out_of_scope_health_question_is_refused_and_points_to_115() -> None:
    w = World()
    w.intent.next["sot"] = scores("out_of_scope", "health")
    r = w.say("be nha minh sot 39 do uong thuoc gi cho ha sot")
    assert r.kind == ReplyKind.REFUSED and "115" in r.text


def test_a_suggested_faq_question_is_a_tap_and_the_number_serves_it() -> None:
    w = World()
    # a question the FAQ matches only weakly: offered, not answered
    r = w.say("so ngay phep cua nguoi lao dong tinh the nao khi lam chua du nam")
    if r.kind == ReplyKind.ANSWER and not r.low_confidence:
        return  # the FAQ answered it outright: nothing to tap (the matcher is allowed to be sure)
    assert "1." in r.text and any(b.action == ButtonAction.FAQ_1 for b in r.buttons)
    picked = w.say("1")
    assert picked.kind == ReplyKind.ANSWER and picked.citations
    assert texts.FAQ_SOURCES in picked.text


def test_an_offered_question_pressed_under_an_older_reply_serves_the_question_it_showed() -> None:
    w = World()
    w.say("phep nam may ngay")  # the chat has moved on since that button was shown
    r = w.assistant.handle_button(Channel.ZALO, "u", "u", ButtonAction.FAQ_1, 2000, ref=MATERNITY.id)
    assert r.kind == ReplyKind.ANSWER and "06 tháng" in r.text
    gone = w.assistant.handle_button(Channel.ZALO, "u", "u", ButtonAction.FAQ_1, 2000, ref="t-removed")
    assert texts.SUGGESTION_GONE in gone.text  # an entry no longer served is said to be gone


def test_a_different_follow_up_never_gets_the_previous_faq_answer_again() -> None:
    w = World()
    first = w.say("nghi de duoc bao lau")
    assert first.kind == ReplyKind.ANSWER and "06 tháng" in first.text
    follow = w.say("the con chong thi sao")
    assert "Lao động nữ được nghỉ thai sản trước và sau khi sinh con là 06 tháng." not in follow.text


def test_every_urgent_case_carries_emergency_numbers() -> None:
    from bot.core.triage import Verdict, triage

    result = triage("ba toi 70 tuoi di khoi nha tu sang hom kia, mat tich 2 ngay roi khong lien lac duoc")
    assert result.verdict == Verdict.ESCALATE and result.urgent  # a missing person: no cue gives numbers
    assert result.emergency == ("113",)


def _state(w: World):  # type: ignore[no-untyped-def]
    return w.assistant.conversations.load(Channel.ZALO, "u", "u")


def test_the_subject_is_kept_as_state_and_a_short_follow_up_keeps_the_topic() -> None:
    w = World()
    first = w.say("cho hoi phep nam may ngay vay")
    assert first.kind == ReplyKind.ANSWER and "12 ngày" in first.text
    state = _state(w)
    assert state.last_faq_id == "t-phep-nam" and state.subject_topic == "Lao động"
    assert state.last_article_ids == ["20.2.LQ.113"] and "phep" in state.subject_terms
    follow = w.say("con lam nghe nang nhoc doc hai thi sao")
    # the retriever was asked about annual leave AND the new fragment, not about "nặng nhọc" alone
    assert "phep" in w.retriever.queries[-1] and "nang nhoc" in w.retriever.queries[-1]
    assert follow.kind == ReplyKind.ANSWER and any(c.article_id == "20.2.LQ.113" for c in follow.citations)
    assert "14 ngày" in follow.text


def test_thanks_in_between_does_not_end_the_subject() -> None:
    w = World()
    w.say("nghi de duoc bao lau")
    assert w.say("cam on nhe").kind == ReplyKind.INFO
    w.say("neu sinh doi thi sao")
    assert "nghi de" in w.retriever.queries[-1] and "sinh doi" in w.retriever.queries[-1]


def test_a_self_contained_new_question_starts_fresh() -> None:
    w = World()
    w.say("nghi de duoc bao lau")
    w.say("cty bat thu viec 3 thang moi ky hop dong thi co dung luat khong")
    assert "de" not in w.retriever.queries[-1].split() and "thu viec" in w.retriever.queries[-1]
    assert _state(w).last_faq_id is None  # the maternity answer is no longer the subject


def test_an_escalation_ends_the_subject_and_later_messages_reach_the_ticket() -> None:
    w = World()
    w.say("nghi de duoc bao lau")
    w.intent.next["chong danh"] = scores("urgent", "violence")
    opened = w.say("toi vua bi chong danh, dang tron o nha hang xom")
    assert opened.kind == ReplyKind.ESCALATED
    state = _state(w)
    assert state.last_question is None and state.subject_terms == [] and state.last_faq_id is None
    more = w.say("the con con nho thi sao")  # reads like a follow-up: still goes to the staff
    assert more.ticket_id == opened.ticket_id and more.kind == ReplyKind.INFO
    assert w.tickets.tickets[opened.ticket_id].citizen_messages == 1


def test_a_follow_up_the_previous_faq_answer_already_covers_may_get_it_again() -> None:
    w = World()
    w.say("nghi de duoc bao lau")
    again = w.say("con truoc va sau khi sinh thi sao")  # the maternity answer speaks of exactly this
    assert again.kind == ReplyKind.ANSWER and "06 tháng" in again.text
