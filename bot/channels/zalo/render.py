"""Rendered reply (outbox payload) -> Zalo text messages: plain text, buttons become typed-command hints."""

from __future__ import annotations

from typing import Any

from bot.channels import texts
from bot.channels.split import split_text
from bot.channels.zalo.client import MAX_TEXT_LENGTH
from bot.core.models import ButtonAction
from bot.core.payload import OutboxPayload

_HINT_FOR = {
    ButtonAction.FEEDBACK_UP: "feedback",
    ButtonAction.FEEDBACK_DOWN: "feedback",
    ButtonAction.HUMAN: "human",
    ButtonAction.CONSENT_YES: "consent",
    ButtonAction.CONSENT_NO: "consent",
    ButtonAction.FAQ_1: "faq",
    ButtonAction.FAQ_2: "faq",
    ButtonAction.FAQ_3: "faq",
    ButtonAction.CHOICE_1: "choice",
    ButtonAction.CHOICE_2: "choice",
    ButtonAction.CHOICE_3: "choice",
    ButtonAction.CHOICE_4: "choice",
}


def hints(buttons: list[dict[str, Any]]) -> list[str]:
    """One line per kind of button, in the order the buttons come."""
    seen: list[str] = []
    for b in buttons:
        try:
            key = _HINT_FOR[ButtonAction(str(b.get("action")))]
        except (KeyError, ValueError):
            continue
        if key not in seen:
            seen.append(key)
    return [texts.ZALO_HINTS[k] for k in seen]


def render(payload: OutboxPayload, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """The messages to send: the answer split under 2,000 characters, hints appended to the last part."""
    text = payload.text.strip()
    lines = hints(payload.buttons)
    footer = "\n".join(lines)
    parts = split_text(text, limit) if text else []
    if footer:
        if parts and len(parts[-1]) + 2 + len(footer) <= limit:
            parts[-1] = f"{parts[-1]}\n\n{footer}"
        else:
            parts.append(footer)
    return parts
