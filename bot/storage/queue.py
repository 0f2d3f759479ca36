"""What the inbox and the outbox share: leased claims (SKIP LOCKED) and per-chat order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from bot.core.backoff import Backoff

# inbox and outbox share the values pending and failed
from bot.storage.statuses import InboxStatus

__all__ = ["Backoff", "claim_rows", "release_for_retry"]


def claim_rows(
    session: Session,
    model: Any,
    *,
    chat_column: str,
    busy_status: str,
    limit: int,
    worker_id: str,
    now: dt.datetime,
    lease: dt.timedelta,
    max_attempts: int,
    order_by: tuple[Any, ...] = (),
) -> list[Any]:
    """Lease up to `limit` due rows to `worker_id` and return them (attempts already counted).

    A row is due when it is pending and its time has come, or when its lease expired (the worker that
    held it died). Only the oldest unfinished row of each chat is handed out, so messages of one chat
    are handled in order even with several workers. On PostgreSQL, FOR UPDATE SKIP LOCKED lets
    concurrent claimers pass each other without ever getting the same row; on SQLite the session's
    BEGIN IMMEDIATE serialises claimers. `order_by`: which due rows go first (default: oldest).
    """
    stale_before = now - lease
    chat = getattr(model, chat_column)
    # rows whose lease ran out too often: a poison message that kills workers; give up on it
    session.execute(
        sa.update(model)
        .where(
            model.status == busy_status,
            model.claimed_at < stale_before,
            model.attempts >= max_attempts,
        )
        .values(status=InboxStatus.FAILED, last_error="lease expired too often", claimed_by=None)
    )
    earlier = aliased(model)
    head_of_chat = sa.or_(
        chat.is_(None),
        ~sa.exists().where(
            earlier.channel == model.channel,
            getattr(earlier, chat_column) == chat,
            earlier.id < model.id,
            earlier.status.in_((InboxStatus.PENDING, busy_status)),
        ),
    )
    due = sa.or_(
        sa.and_(model.status == InboxStatus.PENDING, model.next_attempt_at <= now),
        sa.and_(
            model.status == busy_status,
            model.claimed_at < stale_before,
            model.attempts < max_attempts,
        ),
    )
    rows = (
        session.execute(
            sa.select(model)
            .where(due, head_of_chat)
            .order_by(*(order_by or (model.id,)))
            .limit(limit)
            .with_for_update(skip_locked=True, of=model)
        )
        .scalars()
        .all()
    )
    # the rows are locked (or the database is, on SQLite): updating them in Python is safe
    for row in rows:
        row.status = busy_status
        row.claimed_at = now
        row.claimed_by = worker_id[:128]
        row.attempts += 1
    session.flush()
    return list(rows)


def release_for_retry(
    session: Session,
    model: Any,
    row_id: int,
    *,
    error: str,
    now: dt.datetime,
    delay: float,
    max_attempts: int,
    busy_status: str,
) -> dt.datetime | None:
    """Put a claimed row back for another try after `delay` seconds; None if it has no tries left."""
    row = session.get(model, row_id)
    if row is None or row.status not in (busy_status, InboxStatus.PENDING):
        return None
    row.last_error = error[:2000]
    row.claimed_by = None
    if row.attempts >= max_attempts:
        row.status = InboxStatus.FAILED
        return None
    row.status = InboxStatus.PENDING
    row.next_attempt_at = now + dt.timedelta(seconds=delay)
    return row.next_attempt_at
