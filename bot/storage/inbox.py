"""The inbox: incoming updates stored durably (and de-duplicated) before the platform gets its 200, masked."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.pii import mask_payload, mask_pii
from bot.storage.db import Database, affected, insert_ignore
from bot.storage.queue import Backoff, claim_rows, release_for_retry
from bot.storage.schema import InboxRecord, utcnow
from bot.storage.statuses import InboxStatus


def mark_done(session: Session, item_id: int, *, now: dt.datetime) -> bool:
    """Mark an update processed inside the caller's transaction; False if it already was.

    The caller records the update's answer in the same transaction and keeps it only when this
    returns True: the (channel, update_key)-unique row is the de-duplication record, so an update
    is answered once even when a worker whose lease ran out finishes it too. The update key stays
    (a re-delivery is recognised); payload and sender go (personal data).
    """
    result = session.execute(
        sa.update(InboxRecord)
        .where(InboxRecord.id == item_id, InboxRecord.status != InboxStatus.DONE)
        .values(
            status=InboxStatus.DONE,
            processed_at=now,
            payload=None,
            user_key=None,
            chat_key=None,
            last_error=None,
            claimed_by=None,
        )
    )
    return bool(affected(result))


@dataclass(frozen=True)
class InboxItem:
    id: int
    channel: str
    update_key: str
    payload: dict[str, Any]
    attempts: int  # including this one
    received_at: dt.datetime
    chat_key: str | None = None


class Inbox:
    """Durable, de-duplicated queue of platform updates.

    `accept()` returns False for an update key already seen (a retried webhook, a re-polled update),
    so a delivery never produces two answers. Workers `claim()` leased batches; a worker killed
    mid-update loses nothing: its lease runs out and another worker takes the update. Updates with
    the same `chat_key` are handed out one at a time, in arrival order.
    """

    def __init__(
        self,
        db: Database,
        *,
        lease: dt.timedelta = dt.timedelta(seconds=120),
        max_attempts: int = 3,
        backoff: Backoff | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff(base=2.0, cap=60.0)
        self.clock = clock
        self.rng = rng or random.Random()

    def accept(
        self,
        channel: str,
        update_key: str,
        payload: dict[str, Any],
        *,
        chat_key: str | None = None,
        user_key: str | None = None,
    ) -> bool:
        """Store an update; False if this (channel, update_key) was already stored.

        Its text is masked first (phone, CCCD, e-mail, bank numbers; ids kept to reply): the inbox,
        and so every table and log fed from it, never holds the raw numbers, even for an update
        that fails and waits for the purge. `chat_key` (the chat id) keeps one chat's updates in
        order; `user_key` (the sender's id) lets /xoadulieu find the user's unprocessed updates.
        Both are optional.
        """
        now = self.clock()
        with self.db.session() as s:
            new_id = insert_ignore(
                s,
                InboxRecord,
                {
                    "channel": str(channel),
                    "update_key": str(update_key)[:128],
                    "chat_key": None if chat_key is None else str(chat_key),
                    "user_key": None if user_key is None else str(user_key),
                    "payload": mask_payload(payload),
                    "status": InboxStatus.PENDING.value,
                    "attempts": 0,
                    "received_at": now,
                    "next_attempt_at": now,
                },
                ["channel", "update_key"],
            )
        return new_id is not None

    def claim(self, limit: int, worker_id: str) -> list[InboxItem]:
        """Lease up to `limit` pending updates (or updates whose worker's lease expired)."""
        with self.db.session() as s:
            rows = claim_rows(
                s,
                InboxRecord,
                chat_column="chat_key",
                busy_status=InboxStatus.PROCESSING,
                limit=limit,
                worker_id=worker_id,
                now=self.clock(),
                lease=self.lease,
                max_attempts=self.max_attempts,
            )
            return [
                InboxItem(
                    id=r.id,
                    channel=r.channel,
                    update_key=r.update_key,
                    payload=dict(r.payload or {}),
                    attempts=r.attempts,
                    received_at=r.received_at,
                    chat_key=r.chat_key,
                )
                for r in rows
            ]

    def done(self, item_id: int) -> bool:
        """Processed: see `mark_done`. False if it was done already."""
        with self.db.session() as s:
            return mark_done(s, item_id, now=self.clock())

    def failed(self, item_id: int, error: str, *, retry: bool = True) -> bool | None:
        """Processing raised: try again later (True) or, out of attempts or `retry=False`, give up
        (False). None when the update was answered after all (its answer committed before the
        error): nothing to retry, nothing to apologise for."""
        error = mask_pii(error)  # an exception may quote the message
        with self.db.session() as s:
            row = s.get(InboxRecord, item_id)
            if row is None:
                return False
            if row.status == InboxStatus.DONE:
                return None
            if not retry:
                row.status = InboxStatus.FAILED
                row.last_error = error[:2000]
                row.claimed_by = None
                return False
            when = release_for_retry(
                s,
                InboxRecord,
                item_id,
                error=error,
                now=self.clock(),
                delay=self.backoff.delay(row.attempts, self.rng),
                max_attempts=self.max_attempts,
                busy_status=InboxStatus.PROCESSING,
            )
            return when is not None

    def backlog(self) -> int:
        """Updates not processed yet."""
        with self.db.session(readonly=True) as s:
            return (
                s.scalar(
                    sa.select(sa.func.count())
                    .select_from(InboxRecord)
                    .where(InboxRecord.status.in_((InboxStatus.PENDING, InboxStatus.PROCESSING)))
                )
                or 0
            )

    def seen(self, channel: str, update_key: str) -> bool:
        with self.db.session(readonly=True) as s:
            return (
                s.scalar(
                    sa.select(InboxRecord.id).where(
                        InboxRecord.channel == str(channel),
                        InboxRecord.update_key == str(update_key)[:128],
                    )
                )
                is not None
            )
