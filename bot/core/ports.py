"""Ports: the protocols the core needs from the outside world (retrieval, writing, storage, sending)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.models import Channel, Citation, IncomingMessage, Passage, Reply


class Retriever(Protocol):
    """Finds law articles for a question."""

    def search(self, query: str, k: int = 10) -> list[Passage]: ...

    def get(self, article_id: str) -> Passage | None: ...

    def get_cited(self, article_id: str, doc_number: str, article: str) -> Passage | None:
        """A FAQ citation as a passage (by id, else by document number and article), or None
        when it does not resolve (the FAQ answer is then not given)."""
        ...

    @property
    def built_at(self) -> str:
        """ISO date the index was built (shown to citizens)."""
        ...


@dataclass(frozen=True)
class FaqEntry:
    id: str
    topic: str
    questions: list[str]
    answer: str
    citations: list[Citation]
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    note: str | None = None  # authoring note for reviewers (corpus caveats); not shown to citizens


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float  # calibrated similarity in [0, 1]


@dataclass(frozen=True)
class IntentScores:
    """What a learned model reads in a message: P(answer | escalate | urgent | out_of_scope) and the likeliest category."""

    labels: dict[str, float]
    category: str = ""  # e.g. "violence", "court", "health" (the category model's best guess)
    category_p: float = 0.0
    # closest cosine to the legal questions the model was trained on (FAQ questions, answerable
    # messages); None when the model ships no such prototypes
    legal: float | None = None

    def p(self, label: str) -> float:
        return self.labels.get(label, 0.0)


class IntentModel(Protocol):
    """Classifies a (cleaned) citizen message; implemented over sentence vectors outside the core."""

    def predict(self, text: str) -> IntentScores: ...


class FaqSearch(Protocol):
    """Matches a question against vetted FAQ entries."""

    def search(self, query: str, k: int = 3) -> list[FaqMatch]: ...

    @property
    def entries(self) -> list[FaqEntry]:
        """Every entry (their topics are listed by /chude)."""
        ...


@dataclass(frozen=True)
class WrittenAnswer:
    text: str
    citations: list[Citation]


class AnswerWriter(Protocol):
    """Turns a question and retrieved passages into a short cited answer."""

    def write(self, question: str, passages: list[Passage], max_chars: int) -> WrittenAnswer: ...


@dataclass
class Turn:
    role: str  # "user" | "bot" | "staff"
    text: str
    time: dt.datetime
    reply_kind: str | None = None
    sources: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class ConversationState:
    """What the core remembers between turns of one chat."""

    conversation_id: int
    turns: list[Turn] = field(default_factory=list)
    last_question: str | None = None
    negative_feedback: int = 0
    pending_ticket_id: int | None = None  # ticket awaiting the citizen's consent
    # ticket the citizen's next messages are added to, until staff resolve it or the citizen sends /moi
    open_ticket_id: int | None = None
    suggestions: list[str] = field(default_factory=list)  # FAQ ids offered as "1", "2", "3"
    last_faq_id: str | None = None  # the FAQ entry that answered the last question (never re-served to a follow-up)
    # The subject a follow-up leans on (with last_question, the standalone question last answered):
    subject_terms: list[str] = field(default_factory=list)  # its key words, as the citizen wrote them
    subject_topic: str | None = None  # the topic it belongs to (the FAQ's, or the one its words point to)
    last_article_ids: list[str] = field(default_factory=list)  # the articles the last sure answer cited


@dataclass(frozen=True)
class TicketDraft:
    channel: Channel
    user_id: str
    chat_id: str
    category: str
    urgency: str  # an Urgency
    question: str
    transcript: list[Turn]
    sources: list[tuple[str, float]]
    draft_answer: str | None
    legal_aid_hint: bool = False


@dataclass(frozen=True)
class OutgoingMessage:
    channel: Channel
    chat_id: str
    reply: Reply


class ConversationStore(Protocol):
    """Conversation history and per-chat state."""

    def load(self, channel: Channel, user_id: str, chat_id: str) -> ConversationState: ...

    def record(self, message: IncomingMessage, reply: Reply, state: ConversationState) -> None:
        """Store the user turn, the bot turn (with its sources) and the state, and queue the reply.

        With `message.inbox_id`, mark that update done in the same transaction; if it was done
        already (answered by another worker), store and queue nothing."""
        ...

    def reset(self, channel: Channel, user_id: str, chat_id: str) -> None: ...

    def record_feedback(self, channel: Channel, user_id: str, chat_id: str, positive: bool) -> int:
        """Store a 👍/👎 on the last answer; return how many 👎 in a row this conversation has."""
        ...

    def delete_user_data(self, channel: Channel, user_id: str) -> None: ...


class TicketStore(Protocol):
    """Escalations for legal-aid staff."""

    def open_ticket(self, draft: TicketDraft) -> int: ...

    def set_consent(self, ticket_id: int, consent: bool) -> None: ...

    def add_citizen_message(self, ticket_id: int) -> bool:
        """The citizen wrote again about this ticket: flag it for staff; False when it is resolved or gone."""
        ...


class Outbound(Protocol):
    """Sends a reply through a channel (used by the outbox worker, never by the core directly)."""

    async def send(self, message: OutgoingMessage) -> None: ...
