"""Ports: the protocols the core needs from the outside world (retrieval, writing, storage, sending)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.models import Category, Channel, Citation, IncomingMessage, Passage, Reply


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
    # what the score was computed from, and how well the entry's answer reads as an answer to the
    # question (bot/adapters/faq_search.py); the core's FAQ picker reads them, empty when unknown
    features: Mapping[str, float] = field(default_factory=dict, compare=False, hash=False)


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
    """The only way the core formats what it says about the law: quotes, citations, status footer."""

    def write(self, question: str, passages: list[Passage], max_chars: int) -> WrittenAnswer:
        """A short cited answer from the ranked passages (the best first)."""
        ...

    def write_not_sure(self, question: str, passages: list[Passage], suggestions: list[str],
                       max_chars: int) -> WrittenAnswer:
        """An honest "not sure": the possibly related passages (none: nothing found), the vetted
        questions offered as "1", "2", "3", and the offer of a person."""
        ...

    def write_faq(self, entry: FaqEntry, cited: list[tuple[Citation, Passage]], max_chars: int) -> WrittenAnswer:
        """The vetted answer first, then its basis; `cited` pairs each of the entry's citations with
        the article it resolved to (citations that did not resolve are left out)."""
        ...


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
    # The subject a follow-up leans on (with last_question, the last question asked on its own):
    subject_terms: list[str] = field(default_factory=list)  # its key words, as the citizen wrote them
    subject_topic: str | None = None  # the topic it belongs to (the FAQ's, or the one its words point to)
    last_article_ids: list[str] = field(default_factory=list)  # the articles the last sure answer cited
    # the commune question in progress (bot/core/places.py): which ticket waits for it, the communes
    # offered, the one awaiting confirmation, failed tries; empty when nothing is asked
    place: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketDraft:
    channel: Channel
    user_id: str
    chat_id: str
    category: Category | str  # a Category, or the label triage's category model gave the case
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


@dataclass(frozen=True)
class Commune:
    """A commune-level unit (xã, phường, đặc khu) since the two-level local government of 01/7/2025."""

    code: str  # the official code
    name: str  # "Xã Tân Phú", "Phường 3"
    province_code: str
    province: str  # "Tỉnh Đồng Nai"
    aliases: tuple[str, ...] = ()  # former names citizens may still use


@dataclass(frozen=True)
class ServicePoint:
    """Where a citizen can get help: legal-aid centre or branch, commune justice officer, mediation group."""

    id: int
    kind: str  # legal_aid_centre | legal_aid_branch | justice_officer | mediation_group
    name: str
    address: str
    phone: str
    hours: str
    province_code: str
    whole_province: bool = False  # serves the province as a whole rather than this commune by name


class PlaceDirectory(Protocol):
    """The register of communes and service points, and the commune each citizen told us."""

    def communes(self) -> Sequence[Commune]:
        """Every known commune (the same object until the register changes, so matchers can cache)."""
        ...

    def points_for(self, commune_code: str) -> list[ServicePoint]:
        """Active points serving the commune by name, then those serving its whole province."""
        ...

    def citizen_commune(self, channel: Channel, user_id: str) -> str | None: ...

    def remember_commune(self, channel: Channel, user_id: str, commune_code: str | None) -> None:
        """Keep (None: forget) the citizen's commune; it goes with the rest of their data."""
        ...

    def route_ticket(self, ticket_id: int, commune_code: str | None, point_id: int | None,
                     mediation_offered: bool = False) -> None:
        """Put the ticket in the point's queue (None: the central queue) and note its commune."""
        ...


class Outbound(Protocol):
    """Sends a reply through a channel (used by the outbox worker, never by the core directly)."""

    async def send(self, message: OutgoingMessage) -> None: ...


@dataclass(frozen=True)
class QuizQuestion:
    """One multiple-choice question; `correct` indexes `options`; the citation resolves to an article."""

    id: int
    text: str
    options: list[str]
    correct: int
    explanation: str
    citation: str  # e.g. "khoản 1 Điều 8 Luật Hòa giải ở cơ sở số 35/2013/QH13"
    article_id: str


@dataclass(frozen=True)
class QuizView:
    id: int
    title: str
    questions: list[QuizQuestion]


@dataclass(frozen=True)
class QuizAttempt:
    """A citizen's run through one quiz: which questions they answered and how many right."""

    id: int
    quiz_id: int
    answered: dict[int, int]  # question id -> chosen option
    score: int
    finished: bool


class QuizBook(Protocol):
    """Published quizzes and citizens' attempts (the staff desk writes the quizzes)."""

    def published(self) -> list[QuizView]: ...

    def active_attempt(self, channel: Channel, user_id: str) -> QuizAttempt | None:
        """The citizen's unfinished attempt at a still-published quiz, if any."""
        ...

    def start(self, channel: Channel, user_id: str, quiz_id: int) -> QuizAttempt:
        """A fresh attempt (any unfinished one is abandoned)."""
        ...

    def answer(self, attempt_id: int, question_id: int, choice: int, correct: bool, last: bool) -> QuizAttempt:
        """Record one answer (a repeated answer to the same question is ignored); `last` finishes it."""
        ...
