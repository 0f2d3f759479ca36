"""The questions the bot could not answer with confidence: it asked to clarify, found nothing, or said it is not sure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from bot.storage.db import Database
from bot.storage.schema import Conversation, Message
from bot.storage.stats import CITIZENS_ONLY

DEFAULT_SCAN = 5000  # newest unsure questions read at most (clustering cost grows with them)


@dataclass(frozen=True)
class UnsureQuestion:
    text: str  # as stored: phone and CCCD numbers already masked
    citizen_id: int  # users.id: one citizen on one channel
    asked_at: dt.datetime
    outcome: str  # "clarify" (asked back, or nothing found) | "low_confidence" (listed articles, not sure)


def unsure_questions(
    db: Database, since: dt.datetime, until: dt.datetime | None = None, *, scan: int = DEFAULT_SCAN
) -> list[UnsureQuestion]:
    """Citizen questions in [since, until) whose reply was a clarification ("nothing found" included)
    or an answer flagged low-confidence, newest first. Replies stored before migration 0002 carry
    no low-confidence flag: of those only clarifications are found."""
    question = aliased(Message)
    unsure = sa.or_(Message.reply_kind == "clarify", Message.low_confidence.is_(True))
    q = (
        sa.select(question.text, Conversation.user_id, question.created_at, Message.reply_kind)
        .join(question, question.id == Message.reply_to_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.role == "bot", Message.created_at >= since, unsure, CITIZENS_ONLY)
        .order_by(Message.id.desc())
        .limit(scan)
    )
    if until is not None:
        q = q.where(Message.created_at < until)
    with db.session(readonly=True) as s:
        return [
            UnsureQuestion(text, user_id, asked_at, "clarify" if kind == "clarify" else "low_confidence")
            for text, user_id, asked_at, kind in s.execute(q)
            if text and text.strip()
        ]
