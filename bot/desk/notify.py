"""Alerts to the optional Telegram staff group about new urgent tickets, sent through the outbox.

Only the ticket number, its category and channel go to the group, never the citizen's words: a group
chat is outside the desk's access control. The desk link lets staff open the ticket after logging in.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot.core.payload import OutboxPayload
from bot.desk import texts
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.outbox import Outbox
from bot.storage.schema import Ticket

log = logging.getLogger(__name__)

STAFF_CHANNEL = "telegram"


def alert_payload(
    ticket_id: int, category: str, channel: str, desk_url: str | None
) -> OutboxPayload:
    text = texts.STAFF_ALERT.format(
        ticket_id=ticket_id,
        category=texts.CATEGORY.get(category, category),
        channel=texts.CHANNEL.get(channel, channel),
    )
    if desk_url:
        text += "\n" + texts.STAFF_ALERT_LINK.format(url=f"{desk_url.rstrip('/')}/tickets/{ticket_id}")
    # ticket_id None: not a reply on the ticket, which keeps it out of the ticket's transcript
    return OutboxPayload.info(text, urgent=True)


class StaffNotifier:
    """`notifier(ticket_id)` queues the alert; pass `session=` to queue it in the caller's transaction."""

    def __init__(
        self,
        db: Database,
        chat_id: str,
        *,
        desk_url: str | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.db = db
        self.chat_id = str(chat_id)
        self.desk_url = desk_url
        self.outbox = outbox or Outbox(db)

    def __call__(self, ticket_id: int, *, session: Session | None = None) -> int | None:
        if session is None:
            with self.db.session() as own:
                return self(ticket_id, session=own)
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            log.warning("staff alert: ticket %s does not exist", ticket_id)
            return None
        payload = alert_payload(ticket.id, ticket.category, ticket.channel, self.desk_url)
        return self.outbox.enqueue(session, STAFF_CHANNEL, self.chat_id, payload)


def make_staff_notifier(
    db: Database, settings: Settings, *, outbox: Outbox | None = None
) -> StaffNotifier | None:
    """The notifier the app wires in, or None when no staff group is set or Telegram is off."""
    chat_id = (settings.staff_telegram_chat_id or "").strip()
    if not chat_id:
        return None
    if settings.telegram_token is None:
        log.warning("LAWBOT_STAFF_TELEGRAM_CHAT_ID is set but Telegram is off: no staff alerts")
        return None
    desk_url = f"{settings.public_url.rstrip('/')}/staff" if settings.public_url else None
    return StaffNotifier(db, chat_id, desk_url=desk_url, outbox=outbox)
