"""FAQ proposals: staff answers saved as FAQ candidates, live once an admin approves them."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.storage.db import Database
from bot.storage.schema import FaqProposal, utcnow
from bot.storage.statuses import ProposalStatus


@dataclass(frozen=True)
class Proposal:
    id: int
    question: str
    answer: str
    citations: list[Any]
    status: str  # a ProposalStatus
    proposed_by: int | None
    approved_by: int | None
    ticket_id: int | None
    topic: str | None
    faq_id: str | None
    decision_note: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None


def _proposal(p: FaqProposal) -> Proposal:
    return Proposal(
        id=p.id,
        question=p.question,
        answer=p.answer,
        citations=list(p.citations or []),
        status=p.status,
        proposed_by=p.proposed_by,
        approved_by=p.approved_by,
        ticket_id=p.ticket_id,
        topic=p.topic,
        faq_id=p.faq_id,
        decision_note=p.decision_note,
        created_at=p.created_at,
        decided_at=p.decided_at,
    )


class FaqProposalStore:
    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def propose(
        self,
        question: str,
        answer: str,
        citations: list[Any],
        proposed_by: int | None,
        *,
        ticket_id: int | None = None,
        topic: str | None = None,
    ) -> int:
        with self.db.session() as s:
            p = FaqProposal(
                question=question,
                answer=answer,
                citations=citations,
                proposed_by=proposed_by,
                ticket_id=ticket_id,
                topic=topic,
                status=ProposalStatus.PENDING,
                created_at=self.clock(),
            )
            s.add(p)
            s.flush()
            return p.id

    def get(self, proposal_id: int) -> Proposal | None:
        with self.db.session(readonly=True) as s:
            p = s.get(FaqProposal, proposal_id)
            return _proposal(p) if p else None

    def list(self, status: str | None = ProposalStatus.PENDING, limit: int = 200) -> builtins.list[Proposal]:
        q = sa.select(FaqProposal).order_by(FaqProposal.id.desc()).limit(limit)
        if status:
            q = q.where(FaqProposal.status == status)
        with self.db.session(readonly=True) as s:
            return [_proposal(p) for p in s.scalars(q)]

    def decide(
        self,
        proposal_id: int,
        admin_id: int,
        approve: bool,
        *,
        note: str | None = None,
        faq_id: str | None = None,
    ) -> Proposal:
        """Approve or reject a pending proposal; `faq_id` records the entry written on approval."""
        with self.db.session() as s:
            p = s.get(FaqProposal, proposal_id, with_for_update=True)
            if p is None:
                raise LookupError(proposal_id)
            if p.status != ProposalStatus.PENDING:
                raise ValueError(f"proposal {proposal_id} is already {p.status}")
            p.status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
            p.approved_by = admin_id
            p.decision_note = note
            p.faq_id = faq_id
            p.decided_at = self.clock()
            s.flush()
            return _proposal(p)
