"""SubscriptionStore on SQL: the topics (and commune) each citizen on each channel receives bulletins on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.models import Channel
from bot.core.subscriptions import Subscription, commune_key
from bot.storage.bulletins import cancel_queued
from bot.storage.db import Database, insert_ignore
from bot.storage.schema import Bulletin, Subscriber, SubscriberTopic, utcnow


def _find(s: Session, channel: str, user_id: str) -> Subscriber | None:
    return s.scalar(
        sa.select(Subscriber).where(Subscriber.channel == channel, Subscriber.external_id == user_id)
    )


def _read(s: Session, row: Subscriber | None) -> Subscription:
    if row is None:
        return Subscription()
    topics = s.scalars(
        sa.select(SubscriberTopic.topic).where(SubscriberTopic.subscriber_id == row.id).order_by(SubscriberTopic.topic)
    )
    return Subscription(tuple(topics), row.commune)


def _wants(sub: Subscription) -> Callable[[Bulletin], bool]:
    """Whether a queued bulletin still matches what the citizen now receives."""
    key = commune_key(sub.commune) if sub.commune else None

    def wanted(b: Bulletin) -> bool:
        if not set(b.topics or []) & set(sub.topics):
            return False
        return not b.commune or commune_key(b.commune) == key

    return wanted


class SqlSubscriptionStore:
    """Implements bot.core.subscriptions.SubscriptionStore."""

    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def get(self, channel: Channel, user_id: str) -> Subscription:
        with self.db.session(readonly=True) as s:
            return _read(s, _find(s, str(channel), str(user_id)))

    def subscribe(
        self, channel: Channel, user_id: str, chat_id: str, topics: Sequence[str], commune: str | None
    ) -> Subscription:
        now = self.clock()
        values = {
            "channel": str(channel), "external_id": str(user_id), "chat_id": str(chat_id),
            "commune": commune, "commune_key": commune_key(commune) if commune else None,
            "created_at": now, "updated_at": now,
        }
        with self.db.session() as s:
            new_id = insert_ignore(s, Subscriber, values, ["channel", "external_id"])
            row = _find(s, str(channel), str(user_id))
            assert row is not None
            if new_id is None:
                row.chat_id, row.updated_at = str(chat_id), now
                if commune:
                    row.commune, row.commune_key = commune, commune_key(commune)
            if topics:
                insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
                s.execute(
                    insert(SubscriberTopic)
                    .values([{"subscriber_id": row.id, "topic": t, "created_at": now} for t in dict.fromkeys(topics)])
                    .on_conflict_do_nothing(index_elements=["subscriber_id", "topic"])
                )
            s.flush()
            return _read(s, row)

    def unsubscribe(self, channel: Channel, user_id: str, topics: Sequence[str] | None) -> Subscription:
        now = self.clock()
        with self.db.session() as s:
            row = _find(s, str(channel), str(user_id))
            if row is None:
                return Subscription()
            if topics is not None:
                s.execute(sa.delete(SubscriberTopic).where(
                    SubscriberTopic.subscriber_id == row.id, SubscriberTopic.topic.in_(list(topics))))
            left = _read(s, row)
            if topics is None or not left.topics:
                left = Subscription()
                s.delete(row)  # nothing left to receive: the commune goes too
            else:
                row.updated_at = now
            cancel_queued(s, str(channel), row.chat_id, now, _wants(left))
            return left


def erase_subscriber(s: Session, channel: str, external_id: str) -> list[str]:
    """/xoadulieu: delete the subscription; returns the chats it had (their queued bulletins are withdrawn)."""
    rows = list(s.scalars(
        sa.select(Subscriber).where(Subscriber.channel == channel, Subscriber.external_id == external_id)))
    chats = [r.chat_id for r in rows]
    for r in rows:
        s.delete(r)
    return chats
