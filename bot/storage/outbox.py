"""The outbox: replies written with the turn that produced them, delivered by workers with retries."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.payload import OutboxPayload
from bot.storage.db import Database
from bot.storage.inbox import mark_done
from bot.storage.queue import Backoff, claim_rows, release_for_retry
from bot.storage.schema import BulletinDelivery, OutboxRecord, utcnow
from bot.storage.statuses import OutboxStatus

IN_FLIGHT = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class OutboxItem:
    """One message to deliver; `parts_sent` parts of it (a long reply is split) already went."""

    id: int
    channel: str
    chat_id: str
    payload: OutboxPayload
    attempts: int  # including this one
    created_at: dt.datetime
    ticket_id: int | None = None
    message_id: int | None = None
    parts_sent: int = 0
    bulk: bool = False  # a bulletin: the worker paces these per channel


class Outbox:
    """Durable delivery queue.

    Delivery is at-least-once with exactly-once claims: N workers on one PostgreSQL never get the same
    row at the same time (SKIP LOCKED). Progress is kept per part of a split reply (`part_sent()`),
    so a retry sends only the parts not yet accepted. A part goes twice only when its outcome is
    unknown: the worker was killed between the platform accepting it and recording that, or the
    platform answered after the client's timeout (see docs/security.md, "Delivery guarantee").
    Messages to one chat leave in the order they were queued.
    """

    def __init__(
        self,
        db: Database,
        *,
        # longer than one part's send may take (client timeout 60 s, plus rate-limiter waits):
        # a lease that runs out during a slow send hands the row to a second sender
        lease: dt.timedelta = dt.timedelta(seconds=180),
        max_attempts: int = 50,
        backoff: Backoff | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.lease = lease
        # 50 tries with the default 5-minute cap keep a message alive through a ~4-hour outage
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff(base=1.0, cap=300.0)
        self.clock = clock
        self.rng = rng or random.Random()

    def enqueue(
        self,
        session: Session | None,
        channel: str,
        chat_id: str,
        payload: OutboxPayload,
        ticket_id: int | None = None,
        *,
        message_id: int | None = None,
        bulk: bool = False,
    ) -> int:
        """Queue a message inside the caller's transaction (or a new one when `session` is None).

        `bulk` (a bulletin): claimed after every conversation reply that is due, sent paced."""
        if session is None:
            with self.db.session() as own:
                return self.enqueue(
                    own, channel, chat_id, payload, ticket_id, message_id=message_id, bulk=bulk
                )
        now = self.clock()
        row = OutboxRecord(
            channel=str(channel),
            chat_id=str(chat_id),
            payload=payload.to_json(),
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            ticket_id=ticket_id,
            message_id=message_id,
            erase_after_send=False,
            bulk=bulk,
        )
        session.add(row)
        session.flush()
        return row.id

    def reply_to_update(
        self, inbox_id: int | None, channel: str, chat_id: str, payload: OutboxPayload
    ) -> bool:
        """Queue a fixed reply to an inbox update and mark the update done, in one transaction.

        False (nothing queued) when the update was answered already, e.g. by a worker whose lease
        on it ran out: each update gets one reply. `inbox_id=None` just queues.
        """
        with self.db.session() as s:
            if inbox_id is not None and not mark_done(s, inbox_id, now=self.clock()):
                return False
            self.enqueue(s, channel, chat_id, payload)
            return True

    def claim_due(self, limit: int, worker_id: str) -> list[OutboxItem]:
        """Lease up to `limit` messages that are due to `worker_id`."""
        with self.db.session() as s:
            rows = claim_rows(
                s,
                OutboxRecord,
                chat_column="chat_id",
                busy_status=OutboxStatus.SENDING,
                limit=limit,
                worker_id=worker_id,
                now=self.clock(),
                lease=self.lease,
                max_attempts=self.max_attempts,
                # replies to citizens first: a bulletin to thousands must not hold up an answer
                order_by=(OutboxRecord.bulk, OutboxRecord.id),
            )
            return [
                OutboxItem(
                    id=r.id,
                    channel=r.channel,
                    chat_id=r.chat_id,
                    payload=OutboxPayload.from_json(r.payload),
                    attempts=r.attempts,
                    created_at=r.created_at,
                    ticket_id=r.ticket_id,
                    message_id=r.message_id,
                    parts_sent=r.parts_sent or 0,
                    bulk=bool(r.bulk),
                )
                for r in rows
            ]

    def part_sent(self, item_id: int, parts: int) -> None:
        """The first `parts` parts were accepted by the platform; renews the sender's lease."""
        with self.db.session() as s:
            s.execute(
                sa.update(OutboxRecord)
                .where(OutboxRecord.id == item_id, OutboxRecord.parts_sent < parts)
                .values(parts_sent=parts, claimed_at=self.clock())
            )

    def sent(self, item_id: int) -> None:
        with self.db.session() as s:
            # locked: a concurrent /xoadulieu may be flagging this row erase_after_send right now
            row = s.get(OutboxRecord, item_id, with_for_update=True)
            if row is None:
                return
            _settle_delivery(s, item_id, "sent", self.clock())
            if row.erase_after_send:
                s.delete(row)
                return
            row.status = OutboxStatus.SENT
            row.sent_at = self.clock()
            row.last_error = None
            row.claimed_by = None

    def retry(
        self, item_id: int, error: str, retry_after: float | None = None
    ) -> dt.datetime | None:
        """A temporary failure: try again later (the platform's Retry-After wins if longer).

        Returns when the next try is due, or None if the message ran out of attempts and failed.
        """
        with self.db.session() as s:
            row = s.get(OutboxRecord, item_id, with_for_update=True)
            attempts = row.attempts if row is not None else 1
            delay = max(self.backoff.delay(attempts, self.rng), retry_after or 0.0)
            when = release_for_retry(
                s,
                OutboxRecord,
                item_id,
                error=error,
                now=self.clock(),
                delay=delay,
                max_attempts=self.max_attempts,
                busy_status=OutboxStatus.SENDING,
            )
            if when is None and row is not None and row.status == OutboxStatus.FAILED:
                _settle_delivery(s, item_id, "failed", self.clock())
                if row.erase_after_send:
                    s.delete(row)
            return when

    def failed_permanently(self, item_id: int, error: str) -> None:
        """The platform refused the message for good (blocked bot, unknown chat ...)."""
        with self.db.session() as s:
            row = s.get(OutboxRecord, item_id, with_for_update=True)
            if row is None:
                return
            _settle_delivery(s, item_id, "failed", self.clock())
            if row.erase_after_send:
                s.delete(row)
                return
            row.status = OutboxStatus.FAILED
            row.last_error = error[:2000]
            row.claimed_by = None

    def backlog(self) -> int:
        """Messages not delivered yet (pending or being sent)."""
        with self.db.session(readonly=True) as s:
            return (
                s.scalar(
                    sa.select(sa.func.count())
                    .select_from(OutboxRecord)
                    .where(OutboxRecord.status.in_(IN_FLIGHT))
                )
                or 0
            )

    def counts(self) -> dict[str, int]:
        """Rows per status (pending, sending, sent, failed)."""
        with self.db.session(readonly=True) as s:
            rows = s.execute(
                sa.select(OutboxRecord.status, sa.func.count()).group_by(OutboxRecord.status)
            ).all()
        out = dict.fromkeys([s.value for s in OutboxStatus], 0)
        out.update({status: n for status, n in rows})
        return out

    def oldest_pending_age(self) -> float | None:
        """Seconds the oldest undelivered message has waited (None when the backlog is empty)."""
        with self.db.session(readonly=True) as s:
            oldest = s.scalar(
                sa.select(sa.func.min(OutboxRecord.created_at)).where(
                    OutboxRecord.status.in_(IN_FLIGHT)
                )
            )
        if oldest is None:
            return None
        if oldest.tzinfo is None:  # min() bypasses the column type on SQLite
            oldest = _parse_sqlite_time(oldest)
        return (self.clock() - oldest).total_seconds()

    def get(self, item_id: int) -> dict[str, Any] | None:
        """Delivery status of one message (status, attempts, last_error, sent_at, next_attempt_at)."""
        with self.db.session(readonly=True) as s:
            row = s.get(OutboxRecord, item_id)
            if row is None:
                return None
            return {
                "id": row.id,
                "status": row.status,
                "attempts": row.attempts,
                "last_error": row.last_error,
                "sent_at": row.sent_at,
                "next_attempt_at": row.next_attempt_at,
                "channel": row.channel,
                "chat_id": row.chat_id,
                "parts_sent": row.parts_sent,
            }


def _settle_delivery(s: Session, item_id: int, status: str, now: dt.datetime) -> None:
    """A bulletin's delivery row keeps the outcome once the outbox row is purged."""
    s.execute(
        sa.update(BulletinDelivery)
        .where(BulletinDelivery.outbox_id == item_id, BulletinDelivery.status == "queued")
        .values(status=status, updated_at=now)
    )


def _parse_sqlite_time(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
