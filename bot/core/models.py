"""Value objects that cross the core's boundary: messages in, replies out, retrieved passages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    TELEGRAM = "telegram"
    ZALO = "zalo"
    CLI = "cli"


class ReplyKind(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATED = "escalated"
    REFUSED = "refused"
    INFO = "info"


class Urgency(StrEnum):
    """How soon a person must look at an escalated case."""

    URGENT = "urgent"  # danger now: emergency numbers first, staff alerted
    HIGH = "high"  # a deadline or liberty at stake (court date, arrest)
    NORMAL = "normal"


class Category(StrEnum):
    """Why a case went to a person: the ticket's category (stored as its value; never rename one).

    Triage's category model may name a case otherwise; such a ticket keeps that label as it is."""

    CRISIS = "crisis"
    INJURY = "injury"
    VIOLENCE = "violence"
    MISSING_PERSON = "missing_person"
    CHILD_ABDUCTION = "child_abduction"
    ELDER_ABUSE = "elder_abuse"
    ARREST = "arrest"
    COURT = "court"
    WORKPLACE_ACCIDENT = "workplace_accident"
    LABOUR_EXPLOITATION = "labour_exploitation"
    FRAUD = "fraud"
    DENUNCIATION = "denunciation"
    COMPLAINT = "complaint"
    DRAFTING = "drafting"
    DISPUTE = "dispute"
    HUMAN_REQUEST = "human_request"  # /canbo, "gặp cán bộ", the button
    NEGATIVE_FEEDBACK = "negative_feedback"  # 👎 in a row
    LOW_CONFIDENCE = "low_confidence"


class DocStatus(StrEnum):
    IN_FORCE = "in_force"
    PARTLY_EXPIRED = "partly_expired"
    EXPIRED = "expired"
    NOT_YET_IN_FORCE = "not_yet_in_force"
    SUSPENDED = "suspended"  # this article, today: suspended by a later document (the register says until when)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class IncomingMessage:
    """One citizen message, already parsed by a channel adapter."""

    channel: Channel
    user_id: str
    chat_id: str
    text: str
    message_id: str
    time: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    display_name: str | None = None
    # the stored platform update this came from: recording the answer marks it done in the same
    # transaction, so an update is answered once (None: CLI, evaluation)
    inbox_id: int | None = None


@dataclass(frozen=True)
class Passage:
    """A retrieved law article (or FAQ entry) as the core sees it."""

    article_id: str
    doc_number: str
    doc_title: str
    doc_type: str
    article: str
    title: str
    text: str
    score: float
    status: DocStatus = DocStatus.UNKNOWN
    best_clause: str | None = None
    clause_no: str | None = None
    topic: str | None = None
    effective_from: str | None = None
    replaced_by: str | None = None


@dataclass(frozen=True)
class Citation:
    """A reference the bot relies on; always resolves to an article in the index."""

    article_id: str
    doc_number: str
    article: str
    doc_title: str = ""
    doc_type: str = ""
    clause: str | None = None
    status: DocStatus = DocStatus.UNKNOWN
    point: str | None = None  # điểm (letter) inside the clause

    def label(self) -> str:
        """Full Vietnamese citation, e.g. 'khoản 1 Điều 113 Bộ luật Lao động số 45/2019/QH14'."""
        head = f"khoản {self.clause} Điều {self.article}" if self.clause else f"Điều {self.article}"
        if self.point and self.clause:
            head = f"điểm {self.point} {head}"
        return f"{head} {self.document_name()} số {self.doc_number}".replace("  ", " ").strip()

    def document_name(self) -> str:
        """'Bộ luật Dân sự', 'Luật Cư trú'; decrees and circulars by type only ('Nghị định')."""
        kind, title = self.doc_type.strip(), self.doc_title.strip()
        if not kind:
            return title or "văn bản"
        if kind.casefold() in _NAMED_TYPES:
            if not title or title.casefold().startswith(kind.casefold()):
                return title or kind
            return f"{kind} {title}"
        return kind


# Document types cited with their name ("Luật Cư trú"); others by type and number ("Nghị định số ...").
_NAMED_TYPES = frozenset({"luật", "bộ luật", "pháp lệnh", "hiến pháp"})


class ButtonAction(StrEnum):
    FEEDBACK_UP = "up"
    FEEDBACK_DOWN = "down"
    HUMAN = "human"
    CONSENT_YES = "consent_yes"
    CONSENT_NO = "consent_no"
    FAQ_1 = "faq1"  # pick the first / second / third FAQ question offered
    FAQ_2 = "faq2"
    FAQ_3 = "faq3"
    CHOICE_1 = "choice1"  # quiz options A-D
    CHOICE_2 = "choice2"
    CHOICE_3 = "choice3"
    CHOICE_4 = "choice4"


@dataclass(frozen=True)
class Button:
    label: str
    action: ButtonAction
    # what the button answers (a quiz question id, an offered FAQ entry id): a press under an older
    # reply is then read against what that reply showed, not against what the chat shows now
    ref: str = ""


@dataclass
class Reply:
    """What the core answers; channels render it."""

    kind: ReplyKind
    text: str
    citations: list[Citation] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    ticket_id: int | None = None
    urgent: bool = False
    # Passages the answer was built from (stored with the turn for the staff desk).
    sources: list[Passage] = field(default_factory=list)
    # Retrieval / FAQ confidence of an answer, and whether the bot said it is unsure.
    confidence: float | None = None
    low_confidence: bool = False
    # /xoadulieu: erase the citizen's data once this reply is queued (storage delivers, then deletes it).
    erase_user_data: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "text": self.text,
            "citations": [
                {
                    "article_id": c.article_id,
                    "doc_number": c.doc_number,
                    "article": c.article,
                    "clause": c.clause,
                    "point": c.point,
                    "label": c.label(),
                    "status": c.status.value,
                }
                for c in self.citations
            ],
            "ticket_id": self.ticket_id,
            "urgent": self.urgent,
            "low_confidence": self.low_confidence,
        }
