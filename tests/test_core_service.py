"""The assistant end to end with in-memory stores and a small fake retriever."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.core import texts
from bot.core.config import AssistantConfig
from bot.core.faq_match import FaqMatcher
from bot.core.models import ButtonAction, Channel, Citation, IncomingMessage, ReplyKind
from bot.core.ports import FaqEntry
from bot.core.service import Assistant, command_of
from bot.core.writer import ExtractiveWriter
from tests.auxil.core_fakes import FakeRetriever

FAQ = [
    FaqEntry(
        id="lao-dong-003",
        topic="Lao động",
        questions=["Thử việc tối đa bao lâu vậy mọi người?", "cty bat thu viec 3 thang co dung luat ko"],
        answer="Thời gian thử việc chỉ được thỏa thuận một lần cho một công việc, tối đa 180 ngày với người quản lý doanh nghiệp, 60 ngày với công việc cần trình độ cao đẳng trở lên.",
        citations=[Citation("20.2.LQ.25", "45/2019/QH14", "25")],
    )
]


class World:
    def __init__(self, **config: object) -> None:
        self.retriever = FakeRetriever()
        self.conversations = InMemoryConversationStore()
        self.tickets = InMemoryTicketStore()
        self.assistant = Assistant(
            self.retriever, FaqMatcher(FAQ), ExtractiveWriter(built_at=lambda: self.retriever.built_at),
            self.conversations, self.tickets, AssistantConfig(**config),  # type: ignore[arg-type]
        )
        self.n = 0

    def say(self, text: str, user: str = "u1", max_chars: int = 2000, channel: Channel = Channel.TELEGRAM):  # type: ignore[no-untyped-def]
        self.n += 1
        return self.assistant.handle(IncomingMessage(channel, user, user, text, str(self.n)), max_chars)

    def press(self, action: ButtonAction, user: str = "u1"):  # type: ignore[no-untyped-def]
        return self.assistant.handle_button(Channel.TELEGRAM, user, user, action, 2000)


@pytest.fixture
def world() -> World:
    return World()


def test_question_gets_a_cited_answer_with_disclaimer_and_buttons(world: World) -> None:
    r = world.say("chi gai minh lam xuong may, thang sau de, cong ty cho nghi thai san may thang")
    assert r.kind == ReplyKind.ANSWER and not r.low_confidence
    assert "khoản 1 Điều 139 Bộ luật Lao động số 45/2019/QH14" in r.text
    assert "06 tháng" in r.text
    assert r.text.rstrip().endswith(texts.DISCLAIMER)
    assert {b.action for b in r.buttons} == {ButtonAction.FEEDBACK_UP, ButtonAction.FEEDBACK_DOWN, ButtonAction.HUMAN}
    assert world.conversations.outbox[-1].reply is r  # every turn is recorded (and queued)


def test_vetted_faq_answers_first_with_its_citations(world: World) -> None:
    r = world.say("Thử việc tối đa bao lâu vậy mọi người?")
    assert r.kind == ReplyKind.ANSWER
    assert r.text.startswith("Thời gian thử việc chỉ được thỏa thuận")
    assert "Điều 25 Bộ luật Lao động số 45/2019/QH14" in r.text
    assert [c.article_id for c in r.citations] == ["20.2.LQ.25"]


def test_low_confidence_lists_possible_articles_and_offers_a_person() -> None:
    w = World(answer_threshold=1.01)  # above any confidence: every answer is "unsure"
    r = w.say("nghỉ thai sản được mấy tháng")
    assert r.low_confidence and "có thể liên quan" in r.text
    assert "/canbo" in r.text and r.buttons[0].action == ButtonAction.HUMAN


def test_citations_are_always_among_retrieved_or_faq_passages(world: World) -> None:
    known = {p.article_id for p in world.retriever.articles}
    for q in ["nghỉ phép năm mấy ngày", "thử việc bao lâu", "con chú con bác có được cưới nhau không",
              "làm căn cước lần đầu có mất lệ phí không", "nghỉ đẻ mấy tháng"]:
        for limit in (400, 2000, 4096):
            r = world.say(q, user=f"{q}{limit}", max_chars=limit)
            assert len(r.text) <= limit
            assert {c.article_id for c in r.citations} <= known


def test_escalation_opens_one_ticket_with_transcript_and_asks_consent(world: World) -> None:
    world.say("nghỉ thai sản được mấy tháng")
    r = world.say("Hôm qua tôi nhận giấy triệu tập của tòa án, tôi là bị đơn, tuần sau xử rồi, tôi không biết làm sao")
    assert r.kind == ReplyKind.ESCALATED and r.ticket_id == 1
    assert f"#{r.ticket_id}" in r.text and texts.CONSENT_QUESTION in r.text
    assert {b.action for b in r.buttons} == {ButtonAction.CONSENT_YES, ButtonAction.CONSENT_NO}
    ticket = world.tickets.tickets[1]
    assert ticket.draft.category == "court" and ticket.draft.urgency == "high"
    assert [t.role for t in ticket.draft.transcript] == ["user", "bot", "user"]
    again = world.say("tôi có cần luật sư không, có ai giúp tôi không")
    assert again.ticket_id == 1 and len(world.tickets.tickets) == 1
    consent = world.press(ButtonAction.CONSENT_YES)
    assert world.tickets.tickets[1].consent is True and "#1" in consent.text


def test_urgent_violence_puts_113_first_and_111_for_a_child(world: World) -> None:
    r = world.say("Chồng tôi đang đánh con tôi 5 tuổi, cầm dao dọa giết cả nhà")
    assert r.kind == ReplyKind.ESCALATED and r.urgent
    assert r.text.split("\n")[0].startswith("📞 Gọi ngay 113") and "111" in r.text
    assert r.text.index("113") < r.text.index(f"#{r.ticket_id}")
    assert world.tickets.tickets[r.ticket_id].draft.urgency == "urgent"


def test_crisis_message_is_empathetic_with_115_and_no_law(world: World) -> None:
    r = world.say("ket qua xet nghiem xau, ban trai bo di, em that su khong muon song nua, muon chet cho xong")
    assert r.kind == ReplyKind.ESCALATED and r.urgent
    assert "115" in r.text and r.citations == [] and "Điều" not in r.text
    assert world.tickets.tickets[r.ticket_id].draft.category == "crisis"


def test_out_of_scope_is_refused_politely(world: World) -> None:
    r = world.say("viết giúp em cái caption bán kem chống nắng")
    assert r.kind == ReplyKind.REFUSED and "pháp luật" in r.text and r.citations == []


def test_bad_inputs_of_citizen_eval_never_crash_echo_or_leak(shared_data: Path) -> None:
    w = World()
    cases = [json.loads(line) for line in (shared_data / "citizen_eval" / "cases_dev.jsonl").open(encoding="utf-8")]
    bad = [c for c in cases if c["kind"] == "bad_input"] + [
        {"text": "a" * 10_000}, {"text": "<img src=x onerror=alert(1)>"}, {"text": "\x00\x01\ufffd"},
        {"text": "Số CCCD của tôi là 012345678901, gọi tôi 0912345678"},
    ]
    for i, case in enumerate(bad):
        r = w.say(case["text"], user=f"bad{i}")
        assert r.text
        assert not re.search(r"https?://|www\.|\.example|<script|<img|onerror", r.text)
        assert "0199" not in r.text and "012345678901" not in r.text and "0912345678" not in r.text
    assert w.assistant.failures == 0
    stored = " ".join(m.reply.text for m in w.conversations.outbox)
    turns = [t.text for s in w.conversations._states.values() for t in s.turns]
    assert not any("012345678901" in t or "0912345678" in t for t in turns)
    assert "012345678901" not in stored


def test_follow_up_is_combined_with_the_previous_question(world: World) -> None:
    world.say("nghỉ thai sản được mấy tháng?")
    world.say("còn nếu sinh đôi thì sao?")
    assert "thai" in world.retriever.queries[-1] and "sinh doi" in world.retriever.queries[-1].replace("đôi", "doi")


def test_a_new_question_that_ends_like_a_follow_up_is_not_merged(world: World) -> None:
    world.say("nghỉ thai sản được mấy tháng?")
    world.say("sinh đôi thì sao?")  # short: leans on the previous question
    assert "thai" in world.retriever.queries[-1]
    world.say("bạn tôi nợ tiền mấy tháng nay không chịu trả thì làm sao")
    assert "thai" not in world.retriever.queries[-1] and "nợ" in world.retriever.queries[-1]


def test_new_conversation_forgets_the_previous_question(world: World) -> None:
    world.say("nghỉ thai sản được mấy tháng?")
    r = world.say("/moi")
    assert r.kind == ReplyKind.INFO
    world.say("còn nếu sinh đôi thì sao?")
    assert "thai" not in world.retriever.queries[-1]


def test_delete_my_data_removes_the_conversation(world: World) -> None:
    world.say("nghỉ thai sản được mấy tháng?")
    r = world.say("xóa dữ liệu của tôi")
    assert r.text == texts.DATA_DELETED
    state = world.conversations.state(Channel.TELEGRAM, "u1", "u1")
    assert state is None  # nothing of the conversation is left, not even the deletion turn
    # a later follow-up cannot lean on the erased question
    world.say("còn nếu làm 5 năm thì sao?")
    assert "thai" not in world.retriever.queries[-1]


def test_start_says_automated_reference_only_and_data_policy(world: World) -> None:
    r = world.say("/start@LawBot")
    assert "tự động" in r.text and "tham khảo" in r.text and "/xoadulieu" in r.text and "365" in r.text


def test_commands_work_in_words_and_on_zalo(world: World) -> None:
    assert command_of("Gặp cán bộ") == "canbo"
    assert command_of("em muốn gặp cán bộ ạ") == "canbo"
    assert command_of("/chude") == "chude"
    assert command_of("chủ đề đất đai có gì") is None
    r = world.say("gặp cán bộ", channel=Channel.ZALO)
    assert r.kind == ReplyKind.ESCALATED and len(world.tickets.tickets) == 1
    world.say("/dongy", channel=Channel.ZALO)
    assert world.tickets.tickets[1].consent is True


def test_two_thumbs_down_in_a_row_hand_the_chat_to_a_person(world: World) -> None:
    world.say("nghỉ thai sản được mấy tháng?")
    first = world.press(ButtonAction.FEEDBACK_DOWN)
    assert first.kind == ReplyKind.INFO and not world.tickets.tickets
    second = world.press(ButtonAction.FEEDBACK_DOWN)
    assert second.kind == ReplyKind.ESCALATED
    assert world.tickets.tickets[second.ticket_id].draft.category == "negative_feedback"


def test_thumbs_up_typed_on_zalo_is_feedback(world: World) -> None:
    r = world.say("👍", channel=Channel.ZALO)
    assert r.text == texts.FEEDBACK_THANKS


def test_bare_topic_gets_one_clarifying_question_then_combines(world: World) -> None:
    r = world.say("hỏi về lao động")
    assert r.kind == ReplyKind.CLARIFY and "lao động" in r.text
    world.say("nghỉ phép năm mấy ngày")
    assert "lao" in world.retriever.queries[-1]


def test_a_failing_retriever_gives_a_polite_error_not_an_exception(world: World) -> None:
    def boom(query: str, k: int = 10) -> list:  # type: ignore[type-arg]
        raise RuntimeError("index gone")

    world.retriever.search = boom  # type: ignore[method-assign]
    r = world.say("nghỉ thai sản được mấy tháng")
    assert r.kind == ReplyKind.INFO and "/canbo" in r.text
    assert world.assistant.failures == 1
    assert world.conversations.outbox[-1].reply is r


def test_escalation_still_gets_a_ticket_when_retrieval_fails(world: World) -> None:
    def boom(query: str, k: int = 10) -> list:  # type: ignore[type-arg]
        raise RuntimeError("index gone")

    world.retriever.search = boom  # type: ignore[method-assign]
    r = world.say("Tôi muốn nói chuyện với luật sư")
    assert r.kind == ReplyKind.ESCALATED and len(world.tickets.tickets) == 1


def test_protected_user_reply_points_to_111_and_113(world: World) -> None:
    r = world.assistant.protected_user_reply()
    assert "111" in r.text and "113" in r.text


def test_a_message_with_no_question_gets_a_clarifying_question(world: World) -> None:
    r = world.say("cho em hỏi về luật với ạ")
    assert r.kind == ReplyKind.CLARIFY and r.text == texts.CLARIFY_GENERIC
    assert world.retriever.queries == []


def test_a_question_without_a_subject_is_asked_what_it_is_about(world: World) -> None:
    for i, text in enumerate(["cần giấy tờ gì?", "mất bao lâu", "có bị phạt không ạ", "có phải trả không", "nộp ở đâu vậy ad",
                              "thủ tục thế nào", "có đúng luật không"]):
        r = world.say(text, user=f"v{i}")
        assert r.kind == ReplyKind.CLARIFY and r.text == texts.CLARIFY_GENERIC and not r.citations, text
    assert world.retriever.queries == []  # nothing was guessed
    # the same words after a question are a follow-up to it; real short questions are answered
    world.say("nghỉ thai sản được mấy tháng?")
    assert world.say("vậy cần giấy tờ gì?").kind != ReplyKind.CLARIFY
    assert "thai" in world.retriever.queries[-1]
    assert world.say("thử việc tối đa bao lâu", user="w").kind == ReplyKind.ANSWER


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=400), limit=st.integers(min_value=200, max_value=4096))
def test_any_input_gets_a_reply_within_the_limit(world: World, text: str, limit: int) -> None:
    r = world.say(text, max_chars=limit)
    assert r.text and len(r.text) <= limit
    assert world.assistant.failures == 0
