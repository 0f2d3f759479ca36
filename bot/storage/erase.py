"""/xoadulieu: remove one citizen's personal data from every table; their tickets stay, anonymised."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa

from bot.storage.bulletins import forget_recipient
from bot.storage.db import Database, affected
from bot.storage.schema import (
    Conversation,
    FaqProposal,
    InboxRecord,
    Message,
    OutboxRecord,
    Ticket,
    TicketEvent,
    TicketNote,
    User,
)
from bot.storage.statuses import InboxStatus, OutboxStatus, ProposalStatus
from bot.storage.subscriptions import erase_subscriber
from bot.storage.texts import REDACTED

log = logging.getLogger(__name__)

IN_FLIGHT = (OutboxStatus.PENDING, OutboxStatus.SENDING)
_SENDER_KEYS = ("from", "sender", "user", "chat")


def mentions_user(payload: Any, external_id: str) -> bool:
    """True if a raw platform update was sent by (or in the private chat of) `external_id`."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if (
                key in _SENDER_KEYS
                and isinstance(value, dict)
                and str(value.get("id")) == external_id
            ):
                return True
            if mentions_user(value, external_id):
                return True
    elif isinstance(payload, list):
        return any(mentions_user(v, external_id) for v in payload)
    return False


def erase_user(db: Database, channel: str, external_id: str, *, now: dt.datetime) -> dict[str, int]:
    """Delete the user's messages, feedback, conversations, profile, subscriptions and update payloads;
    anonymise tickets.

    Replies still in flight (e.g. the confirmation of this very deletion) are delivered, then deleted.
    On SQLite the write-ahead log is emptied afterwards, so no copy of the rows stays in `-wal`.
    Returns counts per table (no personal data, safe to log).
    """
    counts: dict[str, int] = {}
    with db.session() as s:
        user_ids = list(
            s.scalars(
                sa.select(User.id).where(User.channel == channel, User.external_id == external_id)
            )
        )
        conv_ids = list(
            s.scalars(sa.select(Conversation.id).where(Conversation.user_id.in_(user_ids)))
        )
        message_ids = sa.select(Message.id).where(Message.conversation_id.in_(conv_ids))
        ticket_ids = list(
            s.scalars(
                sa.select(Ticket.id).where(
                    sa.or_(Ticket.user_id.in_(user_ids), Ticket.conversation_id.in_(conv_ids))
                )
            )
        )

        # subscriptions go; bulletins still queued to the chat are withdrawn, and its id leaves the
        # delivery rows (the bulletin's counts stay)
        chats = {external_id, *erase_subscriber(s, channel, external_id)}
        counts["bulletins_withdrawn"] = sum(forget_recipient(s, channel, c, now) for c in chats)

        # outbox: rows in flight go once delivered; delivered rows go now. Flag first: the flag
        # locks rows still in flight, and a delivery that commits meanwhile (its row is then no
        # longer in flight) is seen by the DELETE, which reads after the UPDATE (PostgreSQL).
        ours = sa.or_(
            OutboxRecord.message_id.in_(message_ids),
            OutboxRecord.ticket_id.in_(ticket_ids),
            sa.and_(OutboxRecord.channel == channel, OutboxRecord.chat_id == external_id),
        )
        s.execute(
            sa.update(OutboxRecord)
            .where(ours, OutboxRecord.status.in_(IN_FLIGHT))
            .values(erase_after_send=True, message_id=None, ticket_id=None)
        )
        counts["outbox"] = affected(
            s.execute(sa.delete(OutboxRecord).where(ours, OutboxRecord.status.not_in(IN_FLIGHT)))
        )

        # tickets: kept for the statistics and the staff's records, without the person
        if ticket_ids:
            counts["tickets_anonymised"] = affected(
                s.execute(
                    sa.update(Ticket)
                    .where(Ticket.id.in_(ticket_ids))
                    .values(
                        question=REDACTED,
                        transcript=[],
                        draft_answer=None,
                        chat_id="",
                        user_id=None,
                        conversation_id=None,
                        consent_contact=None,
                        anonymised_at=now,
                        updated_at=now,
                    )
                )
            )
            s.execute(
                sa.update(TicketNote)
                .where(TicketNote.ticket_id.in_(ticket_ids))
                .values(text=REDACTED)
            )
            # not yet vetted by an admin, so still the citizen's own words
            s.execute(
                sa.delete(FaqProposal).where(
                    FaqProposal.ticket_id.in_(ticket_ids), FaqProposal.status == ProposalStatus.PENDING
                )
            )
            s.add_all(
                TicketEvent(ticket_id=t, actor="system", action="anonymised", created_at=now)
                for t in ticket_ids
            )

        # messages (with their sources and feedback), conversations, the user
        counts["messages"] = affected(
            s.execute(sa.delete(Message).where(Message.conversation_id.in_(conv_ids)))
        )
        counts["conversations"] = affected(
            s.execute(sa.delete(Conversation).where(Conversation.id.in_(conv_ids)))
        )
        counts["users"] = affected(s.execute(sa.delete(User).where(User.id.in_(user_ids))))

        # inbox: processed updates keep only their key (de-duplication); updates still waiting
        # are requests the citizen made and will be handled (their payload goes when done)
        finished = InboxRecord.status.in_((InboxStatus.DONE, InboxStatus.FAILED))
        scrubbed = affected(
            s.execute(
                sa.update(InboxRecord)
                .where(
                    InboxRecord.channel == channel, InboxRecord.user_key == external_id, finished
                )
                .values(payload=None, user_key=None, chat_key=None)
            )
        )
        # updates stored without a user key: look inside the few that still hold a payload
        for row in s.scalars(
            sa.select(InboxRecord).where(
                InboxRecord.channel == channel,
                InboxRecord.user_key.is_(None),
                InboxRecord.payload.is_not(None),
                finished,
            )
        ):
            if mentions_user(row.payload, external_id):
                row.payload = None
                row.chat_key = None
                scrubbed += 1
        counts["inbox"] = scrubbed
    # secure_delete zeroed the rows in the pages; the WAL still holds the pages as they were
    db.checkpoint()
    log.info("erased user data: %s", counts)
    return counts
