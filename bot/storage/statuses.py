"""The states a stored row moves through: tickets, FAQ proposals, inbox updates and outbox messages."""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    OPEN = "open"  # waiting for a staff member
    CLAIMED = "claimed"  # a staff member took it
    RESOLVED = "resolved"


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class InboxStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"  # leased by a worker
    DONE = "done"  # answered (or deliberately ignored)
    FAILED = "failed"  # out of attempts


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # leased by a worker
    SENT = "sent"
    FAILED = "failed"


def check_in(enum: type[StrEnum]) -> str:
    """The CHECK constraint text of a status column (as the migrations wrote it)."""
    return "status IN (" + ", ".join(f"'{member.value}'" for member in enum) + ")"
