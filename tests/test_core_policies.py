"""The core behind its writer port: any AnswerWriter formats every reply that speaks of the law; steps read in order."""

from __future__ import annotations

from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.core.config import AssistantConfig
from bot.core.dialogue import Step, read
from bot.core.faq_match import FaqMatcher
from bot.core.models import Channel, Citation, IncomingMessage, Passage, Reply, ReplyKind
from bot.core.ports import ConversationState, FaqEntry, WrittenAnswer
from bot.core.service import Assistant
from tests.auxil.core_fakes import FakeRetriever

PROBATION = FaqEntry(
    id="t-thu-viec", topic="Lao động",
    questions=["Thử việc được kéo dài tối đa bao nhiêu ngày?"],
    answer="Tối đa 180 ngày với người quản lý doanh nghiệp; 60 ngày với công việc cần trình độ cao đẳng trở lên.",
    citations=[Citation("20.2.LQ.25", "45/2019/QH14", "25")],
)


class MarkingWriter:
    """An AnswerWriter that says which of its methods wrote a reply (and cites the first passage)."""

    def write(self, question: str, passages: list[Passage], max_chars: int) -> WrittenAnswer:
        return WrittenAnswer(f"[answer] {len(passages)}", [_cite(passages[0])] if passages else [])

    def write_not_sure(self, question: str, passages: list[Passage], suggestions: list[str],
                       max_chars: int) -> WrittenAnswer:
        return WrittenAnswer(f"[not sure] {len(passages)} {len(suggestions)}", [_cite(p) for p in passages])

    def write_faq(self, entry: FaqEntry, cited: list[tuple[Citation, Passage]], max_chars: int) -> WrittenAnswer:
        return WrittenAnswer(f"[faq] {entry.id}", [_cite(p) for _, p in cited])


def _cite(p: Passage) -> Citation:
    return Citation(p.article_id, p.doc_number, p.article)


def _ask(text: str, **config: object) -> Reply:
    assistant = Assistant(FakeRetriever(), FaqMatcher([PROBATION]), MarkingWriter(), InMemoryConversationStore(),
                          InMemoryTicketStore(), AssistantConfig(**config))  # type: ignore[arg-type]
    return assistant.handle(IncomingMessage(Channel.TELEGRAM, "u", "u", text, "1"), 2000)


def test_a_vetted_answer_is_written_by_the_writer_port() -> None:
    r = _ask("Thử việc được kéo dài tối đa bao nhiêu ngày?")
    assert r.kind == ReplyKind.ANSWER and r.text == "[faq] t-thu-viec"
    assert [c.article_id for c in r.citations] == ["20.2.LQ.25"]


def test_a_sure_law_answer_is_written_by_the_writer_port() -> None:
    r = _ask("chi gai minh lam xuong may, thang sau de, cong ty cho nghi thai san may thang")
    assert r.kind == ReplyKind.ANSWER and not r.low_confidence
    assert r.text.startswith("[answer]") and r.citations


def test_not_sure_is_written_by_the_writer_port_with_the_offered_questions() -> None:
    r = _ask("thử việc được kéo dài tối đa bao nhiêu ngày", answer_threshold=1.01, faq_threshold=1.01, faq_agree_threshold=1.01,
             faq_suggest_threshold=0.0)
    assert r.low_confidence and r.text.startswith("[not sure]")
    assert r.text.endswith(" 1")  # the one vetted question, offered as a tap
    assert r.buttons[0].label == "1"


def test_what_a_text_is_depends_on_the_conversation_state() -> None:
    free = ConversationState(conversation_id=1)
    waiting = ConversationState(conversation_id=1, pending_ticket_id=7, suggestions=["a", "b"])
    assert read("👍", waiting).step == Step.FEEDBACK
    assert read("/moi", waiting).step == Step.COMMAND
    assert read("có", waiting).step == Step.CONSENT and read("có", waiting).yes
    assert read("có", free).step == Step.MESSAGE  # no ticket waits for consent: an ordinary message
    assert read("2", waiting).pick == 1 and read("2", free).step == Step.MESSAGE
    # the offered question typed by its number in words, only while questions are offered
    assert read("câu 2", waiting).pick == 1 and read("số 1 ạ", waiting).pick == 0 and read("1.", waiting).pick == 0
    assert read("cai thu 2", waiting).pick == 1 and read("câu 2", free).step == Step.MESSAGE
    assert read("câu 2 có đúng không", waiting).step == Step.MESSAGE
