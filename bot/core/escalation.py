"""Escalation policy: tickets for legal-aid staff, emergency numbers first, consent, messages added to an open ticket."""

from __future__ import annotations

import logging

from bot.core import texts
from bot.core.answering import article_or_none
from bot.core.config import AssistantConfig
from bot.core.models import Category, IncomingMessage, Passage, Reply, ReplyKind, Urgency
from bot.core.pii import mask_pii
from bot.core.places import PlaceDialogue
from bot.core.ports import (
    AnswerWriter,
    ConversationState,
    Retriever,
    TicketDraft,
    TicketStore,
    Turn,
)
from bot.core.ranking import rerank
from bot.core.replies import CONSENT_BUTTONS, HUMAN_BUTTON, fill, join_fitting
from bot.core.triage import TriageResult, Verdict

log = logging.getLogger(__name__)


class Escalation:
    """Hands a case to a person: opens the ticket (with sources and a draft for staff) and asks consent."""

    def __init__(self, retriever: Retriever, writer: AnswerWriter, tickets: TicketStore,
                 config: AssistantConfig, places: PlaceDialogue | None = None) -> None:
        self.places = places  # routes a new ticket by the citizen's commune (asks for it if unknown)
        self.retriever = retriever
        self.writer = writer
        self.tickets = tickets
        self.config = config

    def escalate(self, msg: IncomingMessage, state: ConversationState, text: str, query: str,
                 result: TriageResult, max_chars: int) -> Reply:
        """Triage says a person must look at this (a dispute, a court date, violence, a crisis)."""
        head = [self.emergency_lines(result)] if result.emergency else []
        if state.pending_ticket_id is not None:
            body = texts.ESCALATED_AGAIN.format(ticket_id=state.pending_ticket_id)
            reply_text = join_fitting([*head, body, texts.CONSENT_QUESTION], max_chars)
            return Reply(ReplyKind.ESCALATED, reply_text, buttons=list(CONSENT_BUTTONS),
                         ticket_id=state.pending_ticket_id, urgent=result.urgent)
        passages: list[Passage] = []
        draft: str | None = None
        if result.category != Category.CRISIS and query.strip():
            try:
                passages = self.retriever.search(query, 5)
                if passages:
                    draft = self.writer.write(text, rerank(text, passages)[0][:2], 1500).text
            except Exception:  # staff can do without sources; the citizen must still get a ticket
                log.exception("retrieval for a ticket draft failed")
        ticket_id = self._open_ticket(msg, state, text, result.category, result.urgency, passages, draft,
                                      result.legal_aid_hint)
        if result.category == Category.CRISIS:
            parts = [fill(self.config, texts.CRISIS, ticket_id=ticket_id)]
            if "113" in result.emergency:
                parts.append(texts.EMERGENCY_LINES["113"])
            parts.append(texts.CONSENT_QUESTION)
            reply_text = join_fitting(parts, max_chars)
        else:
            parts = [*head, fill(self.config, texts.ESCALATED, ticket_id=ticket_id)]
            optional = []
            advice = texts.CATEGORY_ADVICE.get(result.category)
            if advice:
                optional.append(advice)
            if result.legal_aid_hint:
                optional.append(texts.LEGAL_AID_HINT)
            reply_text = join_fitting([*parts, *optional, texts.CONSENT_QUESTION], max_chars,
                                      optional=set(optional))
        reply = Reply(ReplyKind.ESCALATED, reply_text, buttons=list(CONSENT_BUTTONS), ticket_id=ticket_id,
                      urgent=result.urgent, sources=passages)
        return self._placed(msg, state, reply, ticket_id, result.category, text, max_chars)

    def emergency_lines(self, result: TriageResult) -> str:
        # the numbers come first, before anything else the citizen has to read
        lines = [texts.EMERGENCY_LINES[n] for n in result.emergency if n in texts.EMERGENCY_LINES]
        if result.urgent and result.category in (Category.VIOLENCE, Category.CRISIS):
            lines.append(texts.SAFETY_FIRST)
        return "\n".join(lines)

    def human(self, msg: IncomingMessage, state: ConversationState, category: Category, lead: str,
              max_chars: int) -> Reply:
        """/canbo, the button, or repeated 👎: open (or point to) a ticket and ask consent."""
        if state.pending_ticket_id is not None:
            body = texts.ESCALATED_AGAIN.format(ticket_id=state.pending_ticket_id)
            return Reply(ReplyKind.ESCALATED, join_fitting([body, texts.CONSENT_QUESTION], max_chars),
                         buttons=list(CONSENT_BUTTONS), ticket_id=state.pending_ticket_id)
        if state.open_ticket_id is not None and self.tickets.add_citizen_message(state.open_ticket_id):
            body = texts.ESCALATED_AGAIN.format(ticket_id=state.open_ticket_id)
            return Reply(ReplyKind.ESCALATED, body, ticket_id=state.open_ticket_id)
        question = state.last_question or ""
        passages: list[Passage] = []
        last_bot = next((t for t in reversed(state.turns) if t.role == "bot"), None)
        if last_bot is not None:
            passages = [p for p in (self.article(a) for a, _ in last_bot.sources[:5]) if p is not None]
        draft = last_bot.text if last_bot is not None and last_bot.reply_kind == ReplyKind.ANSWER.value else None
        ticket_id = self._open_ticket(msg, state, question or msg.text, category, Urgency.NORMAL, passages, draft, False)
        text = join_fitting([lead, fill(self.config, texts.ESCALATED, ticket_id=ticket_id), texts.CONSENT_QUESTION],
                            max_chars)
        reply = Reply(ReplyKind.ESCALATED, text, buttons=list(CONSENT_BUTTONS), ticket_id=ticket_id)
        return self._placed(msg, state, reply, ticket_id, category, question, max_chars)

    def _placed(self, msg: IncomingMessage, state: ConversationState, reply: Reply, ticket_id: int,
                category: str, question: str, max_chars: int) -> Reply:
        if self.places is None:
            return reply
        return self.places.after_ticket(msg, state, reply, ticket_id, category, question, max_chars)

    def attach(self, state: ConversationState, result: TriageResult, max_chars: int) -> Reply | None:
        """A message while a ticket is open goes to the staff handling it, not to the FAQ; None when
        staff resolved the ticket meanwhile (the message is then a new question)."""
        ticket_id = state.open_ticket_id
        if ticket_id is None:
            return None
        if not self.tickets.add_citizen_message(ticket_id):
            state.open_ticket_id = None
            return None
        head = [self.emergency_lines(result)] if result.verdict == Verdict.ESCALATE and result.emergency else []
        text = join_fitting([*head, texts.ATTACHED_TO_TICKET.format(ticket_id=ticket_id)], max_chars)
        return Reply(ReplyKind.INFO, text, ticket_id=ticket_id, urgent=result.urgent)

    def consent(self, state: ConversationState, yes: bool) -> Reply:
        """Yes or no to being contacted about the ticket that waits for it."""
        ticket_id = state.pending_ticket_id
        if ticket_id is None:
            return Reply(ReplyKind.INFO, texts.NO_PENDING_CONSENT, buttons=list(HUMAN_BUTTON))
        self.tickets.set_consent(ticket_id, yes)
        state.pending_ticket_id = None
        text = fill(self.config, texts.CONSENT_YES if yes else texts.CONSENT_NO, ticket_id=ticket_id)
        return Reply(ReplyKind.INFO, text, ticket_id=ticket_id)

    def article(self, article_id: str) -> Passage | None:
        """An article of the index by id, or None (also when the index fails: it only adds sources)."""
        return article_or_none(self.retriever, article_id)

    def _open_ticket(self, msg: IncomingMessage, state: ConversationState, question: str, category: Category | str,
                     urgency: str, passages: list[Passage], draft: str | None, legal_aid: bool) -> int:
        transcript = [*list(state.turns), Turn("user", mask_pii(msg.text or ""), msg.time)]
        ticket_id = self.tickets.open_ticket(
            TicketDraft(
                channel=msg.channel,
                user_id=msg.user_id,
                chat_id=msg.chat_id,
                category=category,
                urgency=urgency,
                question=mask_pii(question)[:4000],
                transcript=transcript,
                sources=[(p.article_id, p.score) for p in passages],
                draft_answer=draft,
                legal_aid_hint=legal_aid,
            )
        )
        # the citizen is asked to consent, and what they write next goes to this ticket
        state.pending_ticket_id = state.open_ticket_id = ticket_id
        return ticket_id
