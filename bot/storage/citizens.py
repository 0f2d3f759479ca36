"""Finding or creating a citizen (user per channel) and their conversation in a chat, race-free."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.storage.db import insert_ignore
from bot.storage.schema import Conversation, User


def find_user_id(session: Session, channel: str, external_id: str) -> int | None:
    return session.scalar(
        sa.select(User.id).where(User.channel == str(channel), User.external_id == str(external_id))
    )


def ensure_user(
    session: Session,
    channel: str,
    external_id: str,
    now: dt.datetime,
    display_name: str | None = None,
    *,
    touch: bool = True,
) -> int:
    """The user's id, creating the row if needed; `touch` records `now` as last seen."""
    values = {
        "channel": str(channel),
        "external_id": str(external_id),
        "display_name": display_name[:255] if display_name else None,
        "created_at": now,
        "last_seen_at": now,
    }
    new_id = insert_ignore(session, User, values, ["channel", "external_id"])
    if new_id is not None:
        return new_id
    user_id = find_user_id(session, channel, external_id)
    assert user_id is not None  # the conflict that skipped our insert is this row
    if touch:
        changes: dict[str, object] = {"last_seen_at": now}
        if display_name:
            changes["display_name"] = display_name[:255]
        session.execute(sa.update(User).where(User.id == user_id).values(**changes))
    return user_id


def find_conversation(
    session: Session, channel: str, external_user_id: str, chat_id: str
) -> Conversation | None:
    return session.scalars(
        sa.select(Conversation)
        .join(User, User.id == Conversation.user_id)
        .where(
            User.channel == str(channel),
            User.external_id == str(external_user_id),
            Conversation.chat_id == str(chat_id),
        )
    ).one_or_none()


def ensure_conversation(
    session: Session, user_id: int, channel: str, chat_id: str, now: dt.datetime
) -> Conversation:
    insert_ignore(
        session,
        Conversation,
        {
            "user_id": user_id,
            "channel": str(channel),
            "chat_id": str(chat_id),
            "state": {},
            "started_at": now,
            "updated_at": now,
        },
        ["user_id", "chat_id"],
    )
    return session.scalars(
        sa.select(Conversation).where(
            Conversation.user_id == user_id, Conversation.chat_id == str(chat_id)
        )
    ).one()
