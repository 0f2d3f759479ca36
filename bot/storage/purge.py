"""Retention: `lawbot purge` deletes conversations, delivered messages and closed tickets past their time."""

from __future__ import annotations

import datetime as dt
import json
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.storage.db import Database, affected
from bot.storage.schema import (
    BulletinDelivery,
    Conversation,
    InboxRecord,
    Message,
    Meta,
    OutboxRecord,
    Ticket,
    User,
    utcnow,
)
from bot.storage.statuses import InboxStatus, OutboxStatus, TicketStatus

log = logging.getLogger(__name__)

# processed update keys only guard against redelivery, which platforms give up on within a day
INBOX_KEEP_DAYS = 7


def purge(
    db: Database,
    older_than_days: int,
    *,
    now: dt.datetime | None = None,
    inbox_days: int = INBOX_KEEP_DAYS,
) -> dict[str, int]:
    """Delete what is older than `older_than_days`; returns how many rows went, per table.

    Conversations still tied to an unresolved ticket are kept whatever their age (staff need them).
    Resolved tickets go once resolved longer ago than the retention period.
    """
    if older_than_days < 0:
        raise ValueError("older_than_days must be >= 0")
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=older_than_days)
    inbox_cutoff = now - dt.timedelta(days=min(inbox_days, older_than_days))
    counts: dict[str, int] = {}
    with db.session() as s:
        counts["outbox"] = affected(
            s.execute(
                sa.delete(OutboxRecord).where(
                    OutboxRecord.status.in_((OutboxStatus.SENT, OutboxStatus.FAILED)), OutboxRecord.created_at < cutoff
                )
            )
        )
        # a bulletin's delivery rows keep their counts; whom they went to is kept only as long
        counts["bulletin_recipients"] = affected(
            s.execute(
                sa.update(BulletinDelivery)
                .where(BulletinDelivery.created_at < cutoff, BulletinDelivery.chat_id.is_not(None),
                       BulletinDelivery.status != "queued")
                .values(chat_id=None)
            )
        )
        counts["inbox"] = affected(
            s.execute(
                sa.delete(InboxRecord).where(
                    InboxRecord.status.in_((InboxStatus.DONE, InboxStatus.FAILED)),
                    InboxRecord.received_at < inbox_cutoff,
                )
            )
        )
        counts["tickets"] = affected(
            s.execute(
                sa.delete(Ticket).where(Ticket.status == TicketStatus.RESOLVED, Ticket.resolved_at < cutoff)
            )
        )

        held = sa.select(Ticket.conversation_id).where(
            Ticket.status != TicketStatus.RESOLVED, Ticket.conversation_id.is_not(None)
        )
        counts["messages"] = affected(
            s.execute(
                sa.delete(Message).where(
                    Message.created_at < cutoff, Message.conversation_id.not_in(held)
                )
            )
        )
        counts["conversations"] = affected(
            s.execute(
                sa.delete(Conversation).where(
                    Conversation.updated_at < cutoff,
                    Conversation.id.not_in(held),
                    ~sa.exists().where(Message.conversation_id == Conversation.id),
                )
            )
        )
        counts["users"] = affected(
            s.execute(
                sa.delete(User).where(
                    User.last_seen_at < cutoff,
                    ~sa.exists().where(Conversation.user_id == User.id),
                    ~sa.exists().where(Ticket.user_id == User.id),
                )
            )
        )
        record = {"at": now.isoformat(), "older_than_days": older_than_days, **counts}
        _set_meta(s, "last_purge", json.dumps(record), now)
    db.checkpoint()  # no copy of the deleted rows left in SQLite's write-ahead log
    log.info("purge older than %d days: %s", older_than_days, counts)
    return counts


def _set_meta(s: Session, key: str, value: str, now: dt.datetime) -> None:
    row = s.get(Meta, key)
    if row is None:
        s.add(Meta(key=key, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now
