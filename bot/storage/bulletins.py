"""Bulletins: drafts, their recipients (subscribers of the chosen topics and commune) and one outbox row each, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.payload import OutboxPayload
from bot.core.subscriptions import bulletin_text, commune_key
from bot.storage.db import Database, affected, insert_ignore
from bot.storage.outbox import Outbox
from bot.storage.schema import (
    Bulletin,
    BulletinDelivery,
    OutboxRecord,
    Subscriber,
    SubscriberTopic,
    utcnow,
)
from bot.storage.statuses import OutboxStatus

# channels a bulletin can go to (the terminal has nobody to deliver to)
BULLETIN_CHANNELS = ("telegram", "zalo")
DELIVERY_STATES = ("queued", "sent", "failed", "cancelled")
MAX_TITLE = 200


@dataclass(frozen=True)
class BulletinDraft:
    """What staff compose: `topics` are FAQ topic slugs; `citation` {"article_id", "clause", "label"} or None."""

    title: str
    body: str
    topics: tuple[str, ...]
    commune: str | None = None
    channels: tuple[str, ...] = BULLETIN_CHANNELS
    citation: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The message exactly as every subscriber gets it (unsubscribe line included)."""
        basis = str(self.citation.get("label") or "") if self.citation else None
        return bulletin_text(self.title, self.body, basis or None)


@dataclass(frozen=True)
class BulletinView:
    id: int
    draft: BulletinDraft
    status: str  # draft | queued
    created_at: dt.datetime
    queued_at: dt.datetime | None
    created_by: int | None
    counts: dict[str, int] = field(default_factory=dict)  # delivery state -> recipients

    @property
    def recipients(self) -> int:
        return sum(self.counts.values())


class TooLong(ValueError):
    """The bulletin does not fit in one message of a channel it goes to: nothing was queued."""

    def __init__(self, channel: str, length: int, limit: int) -> None:
        super().__init__(f"{channel}: {length} > {limit} characters")
        self.channel, self.length, self.limit = channel, length, limit


class NotFound(LookupError):
    """No bulletin with that id."""


# (channel, text) -> None when the text fits in one message, else (its length, the limit) as the channel counts
FitCheck = Callable[[str, str], "tuple[int, int] | None"]


def _matching(topics: Iterable[str], commune: str | None, channels: Iterable[str]) -> Any:
    """The subscribers a bulletin reaches: any of its topics, its commune if it names one, its channels."""
    query = (
        sa.select(Subscriber.channel, Subscriber.chat_id)
        .join(SubscriberTopic, SubscriberTopic.subscriber_id == Subscriber.id)
        .where(SubscriberTopic.topic.in_(list(topics)), Subscriber.channel.in_(list(channels)))
        .distinct()
    )
    if commune:
        query = query.where(Subscriber.commune_key == commune_key(commune))
    return query


def _view(b: Bulletin, counts: dict[str, int]) -> BulletinView:
    draft = BulletinDraft(
        title=b.title,
        body=b.body,
        topics=tuple(str(t) for t in b.topics or []),
        commune=b.commune,
        channels=tuple(str(c) for c in b.channels or []),
        citation=dict(b.citation) if isinstance(b.citation, dict) else None,
    )
    return BulletinView(b.id, draft, b.status, b.created_at, b.queued_at, b.created_by, counts)


def _values(draft: BulletinDraft) -> dict[str, Any]:
    return {
        "title": " ".join(draft.title.split())[:MAX_TITLE],
        "body": draft.body.strip().replace("\r\n", "\n"),
        "citation": draft.citation,
        "topics": list(dict.fromkeys(draft.topics)),
        "commune": draft.commune or None,
        "channels": [c for c in BULLETIN_CHANNELS if c in draft.channels],
    }


class BulletinStore:
    """Drafts and sending. `queue()` is idempotent: one delivery row per (bulletin, recipient), unique in
    the database, is written with its outbox row in one transaction, so a retry, a double click or two
    senders at once queue each recipient once."""

    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    # -- drafts --------------------------------------------------------------------------------

    def create(self, draft: BulletinDraft, *, created_by: int | None = None, key: str | None = None) -> int:
        """A new draft; with `key` (a script's), the bulletin already made with that key, if any."""
        values = {**_values(draft), "status": "draft", "created_by": created_by, "created_at": self.clock(),
                  "key": key}
        with self.db.session() as s:
            if key is None:
                row = Bulletin(**values)
                s.add(row)
                s.flush()
                return row.id
            new_id = insert_ignore(s, Bulletin, values, ["key"])
            if new_id is not None:
                return new_id
            found = s.scalar(sa.select(Bulletin.id).where(Bulletin.key == key))
            assert found is not None  # the conflict that skipped our insert is this row
            return found

    def update(self, bulletin_id: int, draft: BulletinDraft) -> bool:
        """Change a draft; False once it was sent (what went out is not rewritten)."""
        with self.db.session() as s:
            return bool(affected(s.execute(
                sa.update(Bulletin).where(Bulletin.id == bulletin_id, Bulletin.status == "draft")
                .values(**_values(draft))
            )))

    def get(self, bulletin_id: int) -> BulletinView | None:
        with self.db.session(readonly=True) as s:
            row = s.get(Bulletin, bulletin_id)
            if row is None:
                return None
            return _view(row, _counts(s, [bulletin_id]).get(bulletin_id, {}))

    def recent(self, limit: int = 50) -> list[BulletinView]:
        with self.db.session(readonly=True) as s:
            rows = list(s.scalars(sa.select(Bulletin).order_by(Bulletin.id.desc()).limit(limit)))
            counts = _counts(s, [r.id for r in rows])
            return [_view(r, counts.get(r.id, {})) for r in rows]

    # -- recipients and sending ----------------------------------------------------------------

    def recipient_counts(self, draft: BulletinDraft) -> dict[str, int]:
        """Subscribers the draft would reach now, per channel."""
        out = dict.fromkeys([c for c in BULLETIN_CHANNELS if c in draft.channels], 0)
        if not draft.topics or not out:
            return out
        with self.db.session(readonly=True) as s:
            for channel, _chat in s.execute(_matching(draft.topics, draft.commune, out)):
                out[channel] += 1
        return out

    def queue(self, bulletin_id: int, outbox: Outbox, fits: FitCheck) -> int:
        """Queue the bulletin for every matching subscriber not queued yet; returns how many were added.

        Raises TooLong (nothing queued) when the text does not fit in one message of a channel it goes
        to, NotFound for an unknown id."""
        with self.db.session() as s:
            # the row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE locks the file) serialises senders
            row = s.get(Bulletin, bulletin_id, with_for_update=True)
            if row is None:
                raise NotFound(bulletin_id)
            view = _view(row, {})
            text = view.draft.text
            for channel in view.draft.channels:
                over = fits(channel, text)
                if over is not None:
                    raise TooLong(channel, *over)
            payload = OutboxPayload.info(text)
            now = self.clock()
            added = 0
            if view.draft.topics and view.draft.channels:
                recipients = s.execute(_matching(view.draft.topics, view.draft.commune, view.draft.channels)).all()
                for channel, chat_id in recipients:
                    delivery = insert_ignore(s, BulletinDelivery, {
                        "bulletin_id": bulletin_id, "channel": channel, "chat_id": chat_id,
                        "status": "queued", "created_at": now, "updated_at": now,
                    }, ["bulletin_id", "channel", "chat_id"])
                    if delivery is None:
                        continue  # queued by an earlier (or concurrent) send
                    outbox_id = outbox.enqueue(s, channel, chat_id, payload, bulk=True)
                    s.execute(sa.update(BulletinDelivery).where(BulletinDelivery.id == delivery)
                              .values(outbox_id=outbox_id))
                    added += 1
            row.status = "queued"
            row.queued_at = row.queued_at or now
            return added


def _counts(s: Session, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Recipients per delivery state; the outbox row's state wins while it exists (it moves first)."""
    out: dict[int, dict[str, int]] = {i: dict.fromkeys(DELIVERY_STATES, 0) for i in ids}
    if not ids:
        return out
    state = sa.case(
        (OutboxRecord.status == OutboxStatus.SENT.value, "sent"),
        (OutboxRecord.status == OutboxStatus.FAILED.value, "failed"),
        else_=BulletinDelivery.status,
    )
    rows = s.execute(
        sa.select(BulletinDelivery.bulletin_id, state, sa.func.count())
        .outerjoin(OutboxRecord, OutboxRecord.id == BulletinDelivery.outbox_id)
        .where(BulletinDelivery.bulletin_id.in_(list(ids)))
        .group_by(BulletinDelivery.bulletin_id, state)
    ).all()
    for bulletin_id, status, n in rows:
        out[bulletin_id][str(status)] = out[bulletin_id].get(str(status), 0) + int(n)
    return out


def cancel_queued(
    s: Session,
    channel: str,
    chat_id: str,
    now: dt.datetime,
    still_wanted: Callable[[Bulletin], bool] = lambda _b: False,
) -> int:
    """Bulletins queued to this chat and not yet being sent are withdrawn, unless `still_wanted`.

    A row a worker is sending right now goes (it cannot be recalled) and counts as sent."""
    rows = s.execute(
        sa.select(BulletinDelivery, Bulletin)
        .join(Bulletin, Bulletin.id == BulletinDelivery.bulletin_id)
        .where(
            BulletinDelivery.channel == channel,
            BulletinDelivery.chat_id == chat_id,
            BulletinDelivery.status == "queued",
        )
    ).all()
    cancelled = 0
    for delivery, bulletin in rows:
        if still_wanted(bulletin):
            continue
        if delivery.outbox_id is not None:
            gone = affected(s.execute(sa.delete(OutboxRecord).where(
                OutboxRecord.id == delivery.outbox_id, OutboxRecord.status == OutboxStatus.PENDING.value)))
            if not gone and s.get(OutboxRecord, delivery.outbox_id) is not None:
                continue  # being sent or sent already
        delivery.status = "cancelled"
        delivery.outbox_id = None
        delivery.updated_at = now
        cancelled += 1
    return cancelled


def forget_recipient(s: Session, channel: str, chat_id: str, now: dt.datetime) -> int:
    """/xoadulieu: withdraw what is still queued to the chat and clear its id from the delivery rows."""
    cancelled = cancel_queued(s, channel, chat_id, now)
    s.execute(
        sa.update(BulletinDelivery)
        .where(BulletinDelivery.channel == channel, BulletinDelivery.chat_id == chat_id)
        .values(chat_id=None, updated_at=now)
    )
    return cancelled
