"""The outbox payload: one rendered reply as queued by every producer and read by every channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.models import Reply, ReplyKind


@dataclass(frozen=True)
class OutboxPayload:
    """What a channel needs to send a reply; stored as JSON in `outbox.payload`.

    `buttons` are {"label", "action"[, "ref"]} dicts, `citations` the core's citation dicts (labels are
    bolded by Telegram). `ticket_id` ties a staff reply to its ticket's transcript.
    """

    kind: str
    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    ticket_id: int | None = None
    urgent: bool = False
    low_confidence: bool = False

    @classmethod
    def from_reply(cls, reply: Reply) -> OutboxPayload:
        data = reply.to_dict()
        return cls(
            kind=reply.kind.value,
            text=reply.text,
            buttons=[{"label": b.label, "action": b.action.value, **({"ref": b.ref} if b.ref else {})}
                     for b in reply.buttons],
            citations=list(data.get("citations") or []),  # type: ignore[call-overload]
            ticket_id=reply.ticket_id,
            urgent=reply.urgent,
            low_confidence=bool(reply.low_confidence),
        )

    @classmethod
    def info(cls, text: str, *, urgent: bool = False, ticket_id: int | None = None) -> OutboxPayload:
        """A fixed message (notice, apology, staff alert): no buttons, no citations."""
        return cls(kind=ReplyKind.INFO.value, text=text, urgent=urgent, ticket_id=ticket_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "buttons": [dict(b) for b in self.buttons],
            "citations": [dict(c) for c in self.citations],
            "ticket_id": self.ticket_id,
            "urgent": self.urgent,
            "low_confidence": self.low_confidence,
        }

    @classmethod
    def from_json(cls, data: Any) -> OutboxPayload:
        """Tolerant of rows written by older versions (missing keys, wrong types become defaults)."""
        if isinstance(data, OutboxPayload):
            return data
        d = data if isinstance(data, dict) else {}
        ticket = d.get("ticket_id")
        return cls(
            kind=str(d.get("kind") or ReplyKind.INFO.value),
            text=str(d.get("text") or ""),
            buttons=[b for b in d.get("buttons") or [] if isinstance(b, dict)],
            citations=[c for c in d.get("citations") or [] if isinstance(c, dict)],
            ticket_id=ticket if isinstance(ticket, int) and not isinstance(ticket, bool) else None,
            urgent=d.get("urgent") is True,
            low_confidence=d.get("low_confidence") is True,
        )
