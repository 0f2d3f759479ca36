"""What a platform update means to us: a question, a button press, a notice to answer, or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.models import ButtonAction, Channel, IncomingMessage


class UpdateError(ValueError):
    """A webhook or poll payload that is not a valid update (the webhook answers 400 with the message)."""


class Notice(StrEnum):
    """Updates we answer with a fixed channel message instead of asking the assistant."""

    PROTECTED_USER = "protected_user"  # Zalo hides the text of users in protected groups (children)
    NOT_TEXT = "not_text"  # image, sticker, voice ...: ask the citizen to type the question
    INTERNAL_ERROR = (
        "internal_error"  # handling failed for good: apologise instead of staying silent
    )


@dataclass(frozen=True)
class TextEvent:
    message: IncomingMessage


@dataclass(frozen=True)
class ButtonEvent:
    channel: Channel
    user_id: str
    chat_id: str
    action: ButtonAction | None  # None: a stale or foreign button; only acknowledged
    callback_id: str | None = None  # Telegram callback query id, answered to stop the spinner
    ref: str | None = None  # what the pressed button answers (see Button.ref)


@dataclass(frozen=True)
class NoticeEvent:
    channel: Channel
    user_id: str
    chat_id: str
    notice: Notice


@dataclass(frozen=True)
class IgnoredEvent:
    reason: str


Event = TextEvent | ButtonEvent | NoticeEvent | IgnoredEvent


def event_chat(event: Event) -> str | None:
    """The chat an event belongs to (events of one chat are handled in order)."""
    if isinstance(event, TextEvent):
        return event.message.chat_id
    if isinstance(event, IgnoredEvent):
        return None
    return event.chat_id


def event_user(event: Event) -> str | None:
    """The citizen who sent it (lets /xoadulieu find their unprocessed updates)."""
    if isinstance(event, TextEvent):
        return event.message.user_id
    if isinstance(event, IgnoredEvent):
        return None
    return event.user_id
