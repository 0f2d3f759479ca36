"""Realistic desk data written through the real stores: citizen turns, escalations, staff replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.core.models import Channel, IncomingMessage, Passage, Reply, ReplyKind
from bot.core.ports import TicketDraft
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import Database
from bot.storage.tickets import SqlTicketStore


def passage(article_id: str, score: float, topic: str = "Lao động") -> Passage:
    return Passage(
        article_id=article_id,
        doc_number="45/2019/QH14",
        doc_title="Bộ luật Lao động",
        doc_type="Bộ luật",
        article=article_id.rsplit(".", 1)[-1],
        title="",
        text="",
        score=score,
        topic=topic,
    )


def record_turn(
    db: Database,
    question: str,
    answer: str,
    kind: ReplyKind = ReplyKind.ANSWER,
    *,
    channel: Channel = Channel.TELEGRAM,
    user: str = "5001",
    chat: str | None = None,
    sources: Sequence[tuple[str, float]] = (("20.2.LQ.113", 0.8),),
    topic: str = "Lao động",
    when: dt.datetime | None = None,
    ticket_id: int | None = None,
) -> None:
    """One citizen question and the bot's reply, stored as the running bot stores them."""
    when = when or dt.datetime.now(dt.UTC)
    store = SqlConversationStore(db, clock=lambda: when)
    chat = chat or user
    state = store.load(channel, user, chat)
    store.record(
        IncomingMessage(channel, user, chat, question, f"m{when.timestamp()}", when),
        Reply(
            kind=kind,
            text=answer,
            sources=[passage(a, s, topic) for a, s in sources],
            ticket_id=ticket_id,
        ),
        state,
    )


def escalate(
    db: Database,
    question: str,
    *,
    urgency: str = "normal",
    category: str = "lao-dong",
    channel: Channel = Channel.TELEGRAM,
    user: str = "5001",
    sources: Sequence[tuple[str, float]] = (("20.2.LQ.113", 0.44),),
    draft: str | None = None,
    when: dt.datetime | None = None,
) -> int:
    """The citizen asks, the bot hands the case to staff: a ticket on the same conversation."""
    when = when or dt.datetime.now(dt.UTC)
    tickets = SqlTicketStore(db, clock=lambda: when)
    ticket_id = tickets.open_ticket(
        TicketDraft(
            channel=channel,
            user_id=user,
            chat_id=user,
            category=category,
            urgency=urgency,
            question=question,
            transcript=[],
            sources=list(sources),
            draft_answer=draft,
        )
    )
    record_turn(
        db,
        question,
        "Câu hỏi của bạn cần cán bộ trợ giúp pháp lý xem xét. Mình đã chuyển cho cán bộ, "
        "bạn sẽ nhận được trả lời trong cuộc trò chuyện này.",
        ReplyKind.ESCALATED,
        channel=channel,
        user=user,
        sources=sources,
        when=when,
        ticket_id=ticket_id,
    )
    return ticket_id
