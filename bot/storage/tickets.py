"""TicketStore on SQL, plus what the staff desk needs: queue, detail, claim, notes, replies, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.payload import OutboxPayload
from bot.core.ports import TicketDraft
from bot.storage.citizens import ensure_conversation, ensure_user
from bot.storage.db import Database, affected
from bot.storage.outbox import Outbox
from bot.storage.schema import (
    Conversation,
    Message,
    MessageSource,
    OutboxRecord,
    StaffUser,
    Ticket,
    TicketEvent,
    TicketNote,
    User,
    utcnow,
)
from bot.storage.statuses import TicketStatus

# An unresolved ticket of the same chat and message opened this recently is the same request (a redelivery
# or a second worker finishing an update whose lease ran out), not a new one.
SAME_TICKET_WINDOW = dt.timedelta(minutes=10)

URGENCY_ORDER = ("urgent", "high", "normal")
UNRESOLVED = (TicketStatus.OPEN, TicketStatus.CLAIMED)


class TicketError(Exception):
    """A ticket operation that cannot be done."""


class TicketNotFound(TicketError, LookupError):
    pass


class TicketUnreachable(TicketError):
    """The citizen cannot be written to: their data was deleted, or they declined to be contacted."""


@dataclass(frozen=True)
class TicketRow:
    """A line of the staff queue."""

    id: int
    status: str
    category: str
    urgency: str
    channel: str
    question: str  # the first 200 characters
    created_at: dt.datetime
    updated_at: dt.datetime
    assignee_id: int | None
    assignee_email: str | None
    consent_contact: bool | None
    legal_aid_hint: bool
    first_staff_reply_at: dt.datetime | None
    resolved_at: dt.datetime | None
    anonymised: bool
    service_point_id: int | None = None  # whose queue (None: the central queue)
    commune_code: str | None = None


# list_queue(point=CENTRAL): the tickets no service point has (unknown place, or no point there)
CENTRAL = 0


@dataclass(frozen=True)
class Delivery:
    """Where an outgoing message is: pending, sending, sent or failed."""

    outbox_id: int
    status: str
    attempts: int
    last_error: str | None
    sent_at: dt.datetime | None


@dataclass(frozen=True)
class TranscriptEntry:
    role: str  # "user" | "bot" | "staff"
    text: str
    time: dt.datetime | None
    reply_kind: str | None = None
    sources: list[tuple[str, float]] = field(default_factory=list)
    message_id: int | None = None
    staff_id: int | None = None
    staff_email: str | None = None
    delivery: Delivery | None = None


@dataclass(frozen=True)
class NoteView:
    id: int
    staff_id: int | None
    staff_email: str | None
    text: str
    created_at: dt.datetime


@dataclass(frozen=True)
class EventView:
    id: int
    actor: str
    staff_id: int | None
    staff_email: str | None
    action: str
    detail: dict[str, Any] | None
    created_at: dt.datetime


@dataclass(frozen=True)
class TicketDetail:
    row: TicketRow
    question: str
    chat_id: str
    draft_answer: str | None
    sources: list[tuple[str, float]]
    transcript: list[TranscriptEntry]
    notes: list[NoteView]
    events: list[EventView]
    conversation_id: int | None


@dataclass(frozen=True)
class QueueCounts:
    open: int
    claimed: int
    resolved: int
    urgent_unresolved: int  # the desk's badge
    unassigned_open: int
    by_category: dict[str, int]  # unresolved tickets per category


def _urgency_rank() -> sa.ColumnElement[int]:
    return sa.case({u: i for i, u in enumerate(URGENCY_ORDER)}, value=Ticket.urgency, else_=9)


def _email(emails: dict[int, str], staff_id: int | None) -> str | None:
    return emails.get(staff_id) if staff_id is not None else None


def _turn_json(turn: Any) -> dict[str, Any]:
    time = getattr(turn, "time", None)
    return {
        "role": turn.role,
        "text": turn.text,
        "time": time.isoformat() if isinstance(time, dt.datetime) else None,
        "reply_kind": turn.reply_kind,
        "sources": [[a, float(sc)] for a, sc in turn.sources],
    }


class SqlTicketStore:
    """Implements bot.core.ports.TicketStore; every change writes a ticket_events row."""

    def __init__(
        self,
        db: Database,
        *,
        outbox: Outbox | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.outbox = outbox or Outbox(db, clock=clock)
        self.clock = clock

    # ------------------------------------------------------------------ the core's port

    def open_ticket(self, draft: TicketDraft) -> int:
        """A new ticket for the draft, or the chat's unresolved ticket opened for the same message a moment ago
        (the same update handled twice is one request for a person)."""
        now = self.clock()
        channel = str(draft.channel)
        with self.db.session() as s:
            uid = ensure_user(s, channel, draft.user_id, now)
            conv = ensure_conversation(s, uid, channel, draft.chat_id, now)
            # the chat's row is locked while we look: two workers redoing one update (a lease ran out while
            # the first was still at it) open one ticket, not two
            s.execute(sa.select(Conversation.id).where(Conversation.id == conv.id).with_for_update())
            same = s.scalars(
                sa.select(Ticket.id).where(
                    Ticket.channel == channel,
                    Ticket.chat_id == str(draft.chat_id),
                    Ticket.status.in_(UNRESOLVED),
                    Ticket.question == draft.question,
                    Ticket.created_at >= now - SAME_TICKET_WINDOW,
                ).order_by(Ticket.id).limit(1)
            ).first()
            if same is not None:
                return int(same)
            ticket = Ticket(
                status=TicketStatus.OPEN,
                category=draft.category[:64],
                urgency=draft.urgency if draft.urgency in URGENCY_ORDER else "normal",
                channel=channel,
                chat_id=str(draft.chat_id),
                user_id=uid,
                conversation_id=conv.id,
                question=draft.question,
                transcript=[_turn_json(t) for t in draft.transcript],
                sources=[[a, float(sc)] for a, sc in draft.sources],
                draft_answer=draft.draft_answer,
                legal_aid_hint=draft.legal_aid_hint,
                created_at=now,
                updated_at=now,
            )
            s.add(ticket)
            s.flush()
            self._event(
                s,
                ticket.id,
                "opened",
                actor="bot",
                detail={"category": ticket.category, "urgency": ticket.urgency},
            )
            return ticket.id

    def set_consent(self, ticket_id: int, consent: bool) -> None:
        now = self.clock()
        with self.db.session() as s:
            ticket = self._ticket(s, ticket_id)
            ticket.consent_contact = consent
            ticket.updated_at = now
            if ticket.user_id is not None:
                s.execute(
                    sa.update(User)
                    .where(User.id == ticket.user_id)
                    .values(consent_contact=consent, consent_at=now)
                )
            self._event(s, ticket_id, "consent", actor="citizen", detail={"consent": consent})

    def add_citizen_message(self, ticket_id: int) -> bool:
        """The citizen wrote again (the message itself is in the conversation the desk shows):
        the ticket moves up as updated; False when it is resolved or deleted."""
        now = self.clock()
        with self.db.session() as s:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None or ticket.status == TicketStatus.RESOLVED:
                return False
            ticket.updated_at = now
            self._event(s, ticket_id, "citizen_message", actor="citizen", detail={})
            return True

    # ------------------------------------------------------------------ desk: reading

    def list_queue(
        self,
        status: str | Sequence[str] | None = None,
        category: str | None = None,
        channel: str | None = None,
        assignee: int | None = None,
        *,
        unassigned: bool = False,
        urgency: str | None = None,
        point: int | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[TicketRow]:
        """Tickets by urgency then age (oldest first); status None means not yet resolved.

        `point`: one service point's queue (CENTRAL: the tickets of no point); None: every queue."""
        statuses = (
            UNRESOLVED if status is None else (status,) if isinstance(status, str) else status
        )
        q = (
            sa.select(Ticket, StaffUser.email)
            .outerjoin(StaffUser, StaffUser.id == Ticket.assignee_id)
            .where(Ticket.status.in_(list(statuses)))
        )
        if category:
            q = q.where(Ticket.category == category)
        if channel:
            q = q.where(Ticket.channel == str(channel))
        if assignee is not None:
            q = q.where(Ticket.assignee_id == assignee)
        if unassigned:
            q = q.where(Ticket.assignee_id.is_(None))
        if urgency:
            q = q.where(Ticket.urgency == urgency)
        if point is not None:
            q = q.where(Ticket.service_point_id.is_(None) if point == CENTRAL else Ticket.service_point_id == point)
        q = q.order_by(_urgency_rank(), Ticket.created_at, Ticket.id).limit(limit).offset(offset)
        with self.db.session(readonly=True) as s:
            return [self._row(t, email) for t, email in s.execute(q)]

    def counts(self) -> QueueCounts:
        with self.db.session(readonly=True) as s:
            by_status = dict(
                s.execute(sa.select(Ticket.status, sa.func.count()).group_by(Ticket.status)).all()
            )
            unresolved = Ticket.status.in_(UNRESOLVED)
            urgent = s.scalar(
                sa.select(sa.func.count()).where(unresolved, Ticket.urgency == "urgent")
            )
            unassigned = s.scalar(
                sa.select(sa.func.count()).where(
                    Ticket.status == TicketStatus.OPEN, Ticket.assignee_id.is_(None)
                )
            )
            by_category = dict(
                s.execute(
                    sa.select(Ticket.category, sa.func.count())
                    .where(unresolved)
                    .group_by(Ticket.category)
                ).all()
            )
        return QueueCounts(
            open=by_status.get(TicketStatus.OPEN, 0),
            claimed=by_status.get(TicketStatus.CLAIMED, 0),
            resolved=by_status.get(TicketStatus.RESOLVED, 0),
            urgent_unresolved=urgent or 0,
            unassigned_open=unassigned or 0,
            by_category=by_category,
        )

    def categories(self) -> list[str]:
        with self.db.session(readonly=True) as s:
            return sorted(s.scalars(sa.select(Ticket.category).distinct()))

    def get(self, ticket_id: int, *, max_messages: int = 500) -> TicketDetail | None:
        """The ticket with its whole conversation (delivery status of each reply), notes and audit trail."""
        with self.db.session(readonly=True) as s:
            found = s.execute(
                sa.select(Ticket, StaffUser.email)
                .outerjoin(StaffUser, StaffUser.id == Ticket.assignee_id)
                .where(Ticket.id == ticket_id)
            ).one_or_none()
            if found is None:
                return None
            ticket, email = found
            emails = dict(s.execute(sa.select(StaffUser.id, StaffUser.email)).all())
            transcript = (
                self._live_transcript(s, ticket.conversation_id, emails, max_messages)
                if ticket.conversation_id is not None
                else [
                    TranscriptEntry(
                        role=t.get("role", "user"),
                        text=t.get("text", ""),
                        time=dt.datetime.fromisoformat(t["time"]) if t.get("time") else None,
                        reply_kind=t.get("reply_kind"),
                        sources=[(a, sc) for a, sc in t.get("sources", [])],
                    )
                    for t in ticket.transcript or []
                ]
            )
            notes = [
                NoteView(n.id, n.staff_id, _email(emails, n.staff_id), n.text, n.created_at)
                for n in s.scalars(
                    sa.select(TicketNote)
                    .where(TicketNote.ticket_id == ticket_id)
                    .order_by(TicketNote.id)
                )
            ]
            events = [
                EventView(
                    e.id,
                    e.actor,
                    e.staff_id,
                    _email(emails, e.staff_id),
                    e.action,
                    e.detail,
                    e.created_at,
                )
                for e in s.scalars(
                    sa.select(TicketEvent)
                    .where(TicketEvent.ticket_id == ticket_id)
                    .order_by(TicketEvent.id)
                )
            ]
            return TicketDetail(
                row=self._row(ticket, email),
                question=ticket.question,
                chat_id=ticket.chat_id,
                draft_answer=ticket.draft_answer,
                sources=[(a, sc) for a, sc in ticket.sources or []],
                transcript=transcript,
                notes=notes,
                events=events,
                conversation_id=ticket.conversation_id,
            )

    def _live_transcript(
        self, s: Session, conversation_id: int, emails: dict[int, str], limit: int
    ) -> list[TranscriptEntry]:
        messages = s.scalars(
            sa.select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id.desc())
            .limit(limit)
        ).all()[::-1]
        ids = [m.id for m in messages]
        sources: dict[int, list[tuple[str, float]]] = {}
        deliveries: dict[int, Delivery] = {}
        if ids:
            for mid, article_id, score in s.execute(
                sa.select(MessageSource.message_id, MessageSource.article_id, MessageSource.score)
                .where(MessageSource.message_id.in_(ids))
                .order_by(MessageSource.message_id, MessageSource.rank)
            ):
                sources.setdefault(mid, []).append((article_id, score))
            for o in s.scalars(
                sa.select(OutboxRecord)
                .where(OutboxRecord.message_id.in_(ids))
                .order_by(OutboxRecord.id)
            ):
                assert o.message_id is not None
                deliveries[o.message_id] = Delivery(
                    o.id, o.status, o.attempts, o.last_error, o.sent_at
                )
        return [
            TranscriptEntry(
                role=m.role,
                text=m.text,
                time=m.created_at,
                reply_kind=m.reply_kind,
                sources=sources.get(m.id, []),
                message_id=m.id,
                staff_id=m.staff_id,
                staff_email=_email(emails, m.staff_id),
                delivery=deliveries.get(m.id),
            )
            for m in messages
        ]

    # ------------------------------------------------------------------ desk: acting

    def claim(self, ticket_id: int, staff_id: int) -> bool:
        """Take an unassigned ticket; False if another staff member has it (or it is resolved)."""
        now = self.clock()
        with self.db.session() as s:
            self._ticket(s, ticket_id)
            taken = affected(
                s.execute(
                    sa.update(Ticket)
                    .where(
                        Ticket.id == ticket_id,
                        Ticket.status.in_(UNRESOLVED),
                        sa.or_(Ticket.assignee_id.is_(None), Ticket.assignee_id == staff_id),
                    )
                    .values(status=TicketStatus.CLAIMED, assignee_id=staff_id, updated_at=now)
                )
            )
            if taken:
                self._event(s, ticket_id, "claimed", staff_id=staff_id)
            return bool(taken)

    def assign(self, ticket_id: int, assignee_id: int | None, by_staff_id: int) -> None:
        """Give the ticket to someone (None: back to the open queue)."""
        now = self.clock()
        with self.db.session() as s:
            ticket = self._ticket(s, ticket_id)
            previous = ticket.assignee_id
            ticket.assignee_id = assignee_id
            if ticket.status != TicketStatus.RESOLVED:
                ticket.status = TicketStatus.CLAIMED if assignee_id is not None else TicketStatus.OPEN
            ticket.updated_at = now
            self._event(
                s,
                ticket_id,
                "assigned",
                staff_id=by_staff_id,
                detail={"from": previous, "to": assignee_id},
            )

    def add_note(self, ticket_id: int, staff_id: int, text: str) -> int:
        now = self.clock()
        with self.db.session() as s:
            ticket = self._ticket(s, ticket_id)
            note = TicketNote(ticket_id=ticket_id, staff_id=staff_id, text=text, created_at=now)
            s.add(note)
            ticket.updated_at = now
            s.flush()
            self._event(s, ticket_id, "note", staff_id=staff_id, detail={"note_id": note.id})
            return note.id

    def reply(
        self,
        ticket_id: int,
        staff_id: int,
        text: str,
        *,
        citations: list[dict[str, Any]] | None = None,
    ) -> int:
        """Write to the citizen: a staff message in the conversation and its outbox row, together.

        Returns the message id (its delivery shows in get()). The first reply sets
        first_staff_reply_at; replying to an unassigned ticket assigns it to the replier.
        """
        now = self.clock()
        with self.db.session() as s:
            ticket = self._ticket(s, ticket_id)
            if ticket.anonymised_at is not None or not ticket.chat_id:
                raise TicketUnreachable("the citizen deleted their data")
            if ticket.consent_contact is False:
                raise TicketUnreachable("the citizen declined to be contacted")
            conv_id = ticket.conversation_id
            if conv_id is None or s.get(Conversation, conv_id) is None:
                # the conversation was purged (retention): start a new one in the same chat
                if ticket.user_id is None:
                    raise TicketUnreachable("the ticket has no citizen any more")
                conv_id = ensure_conversation(
                    s, ticket.user_id, ticket.channel, ticket.chat_id, now
                ).id
                ticket.conversation_id = conv_id
            message = Message(
                conversation_id=conv_id,
                role="staff",
                text=text,
                ticket_id=ticket_id,
                staff_id=staff_id,
                created_at=now,
            )
            s.add(message)
            s.flush()
            payload = OutboxPayload(
                kind="staff", text=text, citations=list(citations or []), ticket_id=ticket_id
            )
            outbox_id = self.outbox.enqueue(
                s, ticket.channel, ticket.chat_id, payload, ticket_id, message_id=message.id
            )
            if ticket.first_staff_reply_at is None:
                ticket.first_staff_reply_at = now
            if ticket.assignee_id is None:
                ticket.assignee_id = staff_id
                if ticket.status == TicketStatus.OPEN:
                    ticket.status = TicketStatus.CLAIMED
            ticket.updated_at = now
            self._event(
                s,
                ticket_id,
                "replied",
                staff_id=staff_id,
                detail={"message_id": message.id, "outbox_id": outbox_id},
            )
            return message.id

    def resolve(self, ticket_id: int, staff_id: int) -> None:
        now = self.clock()
        with self.db.session() as s:
            ticket = self._ticket(s, ticket_id)
            if ticket.status == TicketStatus.RESOLVED:
                return
            ticket.status = TicketStatus.RESOLVED
            ticket.resolved_at = now
            ticket.updated_at = now
            self._event(s, ticket_id, "resolved", staff_id=staff_id)

    def reopen(self, ticket_id: int, staff_id: int) -> None:
        now = self.clock()
        with self.db.session() as s:
            ticket = self._ticket(s, ticket_id)
            if ticket.status != TicketStatus.RESOLVED:
                return
            ticket.status = TicketStatus.CLAIMED if ticket.assignee_id is not None else TicketStatus.OPEN
            ticket.resolved_at = None
            ticket.updated_at = now
            self._event(s, ticket_id, "reopened", staff_id=staff_id)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _ticket(s: Session, ticket_id: int) -> Ticket:
        ticket = s.get(Ticket, ticket_id)
        if ticket is None:
            raise TicketNotFound(f"ticket {ticket_id} does not exist")
        return ticket

    def _event(
        self,
        s: Session,
        ticket_id: int,
        action: str,
        *,
        actor: str = "staff",
        staff_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        s.add(
            TicketEvent(
                ticket_id=ticket_id,
                actor=actor,
                staff_id=staff_id,
                action=action,
                detail=detail,
                created_at=self.clock(),
            )
        )

    @staticmethod
    def _row(t: Ticket, assignee_email: str | None) -> TicketRow:
        return TicketRow(
            id=t.id,
            status=t.status,
            category=t.category,
            urgency=t.urgency,
            channel=t.channel,
            question=t.question[:200],
            created_at=t.created_at,
            updated_at=t.updated_at,
            assignee_id=t.assignee_id,
            assignee_email=assignee_email,
            consent_contact=t.consent_contact,
            legal_aid_hint=t.legal_aid_hint,
            first_staff_reply_at=t.first_staff_reply_at,
            resolved_at=t.resolved_at,
            anonymised=t.anonymised_at is not None,
            service_point_id=t.service_point_id,
            commune_code=t.commune_code,
        )
