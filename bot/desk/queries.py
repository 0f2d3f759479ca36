"""Desk writes bot/storage does not offer: publishing an approved FAQ proposal atomically, urgency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.storage.db import Database
from bot.storage.schema import FaqProposal, Ticket, TicketEvent, utcnow
from bot.storage.statuses import ProposalStatus


class ProposalDecided(Exception):
    """Another admin approved or rejected this proposal first (or it does not exist)."""


def _event(
    s: Session,
    ticket_id: int,
    action: str,
    staff_id: int,
    detail: dict[str, Any] | None,
    now: dt.datetime,
) -> None:
    s.add(
        TicketEvent(
            ticket_id=ticket_id,
            actor="staff",
            staff_id=staff_id,
            action=action,
            detail=detail,
            created_at=now,
        )
    )


def record_ticket_event(
    db: Database,
    ticket_id: int,
    action: str,
    staff_id: int,
    detail: dict[str, Any] | None = None,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
) -> None:
    with db.session() as s:
        _event(s, ticket_id, action, staff_id, detail, clock())


def decide_proposal(
    db: Database,
    proposal_id: int,
    admin_id: int,
    *,
    approve: bool,
    note: str | None = None,
    edits: dict[str, Any] | None = None,
    publish: Callable[[Session], str] | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> str | None:
    """Approve or reject a pending proposal; raises ProposalDecided if it is no longer pending.

    On approval `publish(session)` stores the FAQ entry in this same transaction and returns its id,
    after the row was taken from 'pending': if storing fails the proposal stays pending, and two admins
    approving at once cannot publish the entry twice.
    """
    now = clock()
    with db.session() as s:
        taken = s.execute(
            sa.update(FaqProposal)
            .where(FaqProposal.id == proposal_id, FaqProposal.status == ProposalStatus.PENDING)
            .values(
                status=ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED,
                approved_by=admin_id,
                decision_note=note,
                decided_at=now,
                **(edits or {}),
            )
        )
        if not taken.rowcount:  # type: ignore[attr-defined]  # a CursorResult for UPDATE
            raise ProposalDecided(proposal_id)
        faq_id = publish(s) if approve and publish is not None else None
        if faq_id is not None:
            s.execute(
                sa.update(FaqProposal).where(FaqProposal.id == proposal_id).values(faq_id=faq_id)
            )
        ticket_id = s.scalar(sa.select(FaqProposal.ticket_id).where(FaqProposal.id == proposal_id))
        if ticket_id is not None:
            action = "faq_approved" if approve else "faq_rejected"
            _event(s, ticket_id, action, admin_id, {"proposal_id": proposal_id, "faq_id": faq_id}, now)
        return faq_id


def set_urgency(
    db: Database,
    ticket_id: int,
    urgency: str,
    staff_id: int,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
) -> str | None:
    """Change a ticket's urgency; returns the previous one (None if the ticket does not exist)."""
    now = clock()
    with db.session() as s:
        ticket = s.get(Ticket, ticket_id)
        if ticket is None:
            return None
        previous = ticket.urgency
        if previous != urgency:
            ticket.urgency = urgency
            ticket.updated_at = now
            _event(s, ticket_id, "urgency", staff_id, {"from": previous, "to": urgency}, now)
        return previous


def tickets_between(
    db: Database, start: dt.datetime, end: dt.datetime, limit: int = 50_000
) -> list[Ticket]:
    """Tickets opened in [start, end), oldest first (for the CSV export)."""
    with db.session(readonly=True) as s:
        rows = s.scalars(
            sa.select(Ticket)
            .where(Ticket.created_at >= start, Ticket.created_at < end)
            .order_by(Ticket.id)
            .limit(limit)
        ).all()
        s.expunge_all()
        return list(rows)
