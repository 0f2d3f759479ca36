"""ConversationStore on SQL: history and state per chat; each turn is stored with its reply queued."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.models import Channel, IncomingMessage, Reply
from bot.core.payload import OutboxPayload
from bot.core.ports import ConversationState, Turn
from bot.storage.citizens import ensure_conversation, ensure_user, find_conversation
from bot.storage.db import Database, insert_ignore
from bot.storage.erase import erase_user
from bot.storage.inbox import mark_done
from bot.storage.outbox import Outbox
from bot.storage.schema import Conversation, Feedback, Message, MessageSource, Ticket, utcnow

log = logging.getLogger(__name__)

# the CLI prints its replies itself: nothing to deliver
UNDELIVERED_CHANNELS = frozenset({Channel.CLI.value})
# state key (kept beside the core's fields) holding the last message id before /moi
_HISTORY_AFTER = "history_after_id"


def _confidence(reply: Reply) -> float | None:
    value = getattr(reply, "confidence", None)  # used if the core ever reports one
    if isinstance(value, int | float):
        return float(value)
    # numpy scores (from the index) are not something the database drivers can bind
    return max((float(p.score) for p in reply.sources), default=None)


def _topic(reply: Reply) -> str | None:
    topic = next((p.topic for p in reply.sources if p.topic), None)
    return topic[:64] if topic else None


class SqlConversationStore:
    """Implements bot.core.ports.ConversationStore.

    One conversation row per (user, chat); /moi keeps the history for staff but hides it from the
    core. `record()` writes both turns, the sources, the state and the outbox row in one transaction:
    either the citizen gets an answer that is on record, or nothing happened.
    """

    def __init__(
        self,
        db: Database,
        *,
        outbox: Outbox | None = None,
        history: int = 12,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.outbox = outbox or Outbox(db, clock=clock)
        self.history = history
        self.clock = clock

    # ------------------------------------------------------------------ reading

    def load(self, channel: Channel, user_id: str, chat_id: str) -> ConversationState:
        with self.db.session(readonly=True) as s:
            conv = find_conversation(s, channel, user_id, chat_id)
            if conv is not None:
                return self._state(s, conv)
        now = self.clock()
        with self.db.session() as s:
            uid = ensure_user(s, channel, user_id, now, touch=False)
            return self._state(s, ensure_conversation(s, uid, channel, chat_id, now))

    def _state(self, s: Session, conv: Conversation) -> ConversationState:
        state = conv.state or {}
        after = int(state.get(_HISTORY_AFTER) or 0)
        rows = s.scalars(
            sa.select(Message)
            .where(Message.conversation_id == conv.id, Message.id > after)
            .order_by(Message.id.desc())
            .limit(self.history)
        ).all()[::-1]
        sources: dict[int, list[tuple[str, float]]] = {}
        bot_ids = [m.id for m in rows if m.role == "bot"]
        if bot_ids:
            for mid, article_id, score in s.execute(
                sa.select(MessageSource.message_id, MessageSource.article_id, MessageSource.score)
                .where(MessageSource.message_id.in_(bot_ids))
                .order_by(MessageSource.message_id, MessageSource.rank)
            ):
                sources.setdefault(mid, []).append((article_id, score))
        return ConversationState(
            conversation_id=conv.id,
            turns=[
                Turn(
                    role=m.role,
                    text=m.text,
                    time=m.created_at,
                    reply_kind=m.reply_kind,
                    sources=sources.get(m.id, []),
                )
                for m in rows
            ],
            last_question=state.get("last_question"),
            negative_feedback=int(state.get("negative_feedback") or 0),
            pending_ticket_id=state.get("pending_ticket_id"),
            open_ticket_id=state.get("open_ticket_id"),
            suggestions=[str(x) for x in state.get("suggestions") or []][:3],
            last_faq_id=state.get("last_faq_id"),
            # rows stored before the subject was kept load without one (the next question sets it)
            subject_terms=[str(x) for x in state.get("subject_terms") or []],
            subject_topic=state.get("subject_topic"),
            last_article_ids=[str(x) for x in state.get("last_article_ids") or []],
            place=dict(state.get("place") or {}),
        )

    # ------------------------------------------------------------------ writing

    def record(self, message: IncomingMessage, reply: Reply, state: ConversationState) -> None:
        now = self.clock()
        channel = str(message.channel)
        with self.db.session() as s:
            # first, so that a second answer to the same update writes nothing at all (and, on
            # PostgreSQL, waits for a concurrent first one on the row lock, then sees it done)
            if message.inbox_id is not None and not mark_done(s, message.inbox_id, now=now):
                log.info("update %s was answered already; not answering twice", message.inbox_id)
                return
            uid = ensure_user(s, channel, message.user_id, now, message.display_name)
            conv = s.get(Conversation, state.conversation_id)
            if conv is None or conv.user_id != uid or conv.chat_id != str(message.chat_id):
                # deleted (/xoadulieu) or purged since load(): attach the turn to a live conversation
                conv = ensure_conversation(s, uid, channel, message.chat_id, now)
            question = Message(
                conversation_id=conv.id,
                role="user",
                text=message.text,
                external_id=str(message.message_id)[:128] if message.message_id else None,
                created_at=now,
            )
            s.add(question)
            s.flush()
            answer = Message(
                conversation_id=conv.id,
                role="bot",
                text=reply.text,
                reply_kind=reply.kind.value,
                reply_to_id=question.id,
                topic=_topic(reply),
                confidence=_confidence(reply),
                low_confidence=bool(getattr(reply, "low_confidence", False)),
                ticket_id=reply.ticket_id,
                created_at=now,
            )
            s.add(answer)
            s.flush()
            s.add_all(
                MessageSource(
                    message_id=answer.id, rank=rank, article_id=p.article_id, score=float(p.score)
                )
                for rank, p in enumerate(reply.sources)
            )
            conv.state = {
                **(conv.state or {}),
                "last_question": state.last_question,
                "negative_feedback": state.negative_feedback,
                "pending_ticket_id": state.pending_ticket_id,
                "open_ticket_id": state.open_ticket_id,
                "suggestions": list(state.suggestions),
                "last_faq_id": state.last_faq_id,
                "subject_terms": list(state.subject_terms),
                "subject_topic": state.subject_topic,
                "last_article_ids": list(state.last_article_ids),
                "place": dict(state.place),
            }
            conv.updated_at = now
            if reply.ticket_id is not None:
                s.execute(
                    sa.update(Ticket)
                    .where(Ticket.id == reply.ticket_id, Ticket.conversation_id.is_(None))
                    .values(conversation_id=conv.id)
                )
            if channel not in UNDELIVERED_CHANNELS and reply.text.strip():
                self.outbox.enqueue(
                    s,
                    channel,
                    str(message.chat_id),
                    OutboxPayload.from_reply(reply),
                    reply.ticket_id,
                    message_id=answer.id,
                )

    def reset(self, channel: Channel, user_id: str, chat_id: str) -> None:
        """/moi: forget the state and hide earlier turns from the core (staff still see them)."""
        now = self.clock()
        with self.db.session() as s:
            conv = find_conversation(s, channel, user_id, chat_id)
            if conv is None:
                return
            last_id = s.scalar(
                sa.select(sa.func.max(Message.id)).where(Message.conversation_id == conv.id)
            )
            conv.state = {_HISTORY_AFTER: last_id or 0}
            conv.reset_at = now
            conv.updated_at = now

    def record_feedback(self, channel: Channel, user_id: str, chat_id: str, positive: bool) -> int:
        """👍/👎 on the last bot reply (pressing again changes the vote); returns 👎 in a row."""
        now = self.clock()
        with self.db.session() as s:
            conv = find_conversation(s, channel, user_id, chat_id)
            if conv is None:
                return 0
            state = dict(conv.state or {})
            count = int(state.get("negative_feedback") or 0)
            last_bot = s.scalar(
                sa.select(Message.id)
                .where(
                    Message.conversation_id == conv.id,
                    Message.role == "bot",
                    Message.id > int(state.get(_HISTORY_AFTER) or 0),
                )
                .order_by(Message.id.desc())
                .limit(1)
            )
            if last_bot is None:
                return count
            previous = s.scalar(sa.select(Feedback.positive).where(Feedback.message_id == last_bot))
            values = {"message_id": last_bot, "positive": positive, "created_at": now}
            if insert_ignore(s, Feedback, values, ["message_id"]) is None:
                s.execute(
                    sa.update(Feedback)
                    .where(Feedback.message_id == last_bot)
                    .values(positive=positive, created_at=now)
                )
            if positive:
                count = 0
            elif previous is not False:  # a second 👎 on the same answer is not a new one
                count += 1
            state["negative_feedback"] = count
            conv.state = state
            conv.updated_at = now
            ensure_user(s, channel, user_id, now)
            return count

    def delete_user_data(self, channel: Channel, user_id: str) -> None:
        """/xoadulieu: see bot.storage.erase.erase_user."""
        erase_user(self.db, str(channel), str(user_id), now=self.clock())
