"""Fixed replies: the buttons under them, templates filled with contact details, paragraphs fitted to a channel."""

from __future__ import annotations

from bot.core import texts
from bot.core.config import AssistantConfig
from bot.core.models import Button, ButtonAction, Reply, ReplyKind

ANSWER_BUTTONS = [
    Button(texts.BUTTON_UP, ButtonAction.FEEDBACK_UP),
    Button(texts.BUTTON_DOWN, ButtonAction.FEEDBACK_DOWN),
    Button(texts.BUTTON_HUMAN, ButtonAction.HUMAN),
]
CONSENT_BUTTONS = [
    Button(texts.BUTTON_CONSENT_YES, ButtonAction.CONSENT_YES),
    Button(texts.BUTTON_CONSENT_NO, ButtonAction.CONSENT_NO),
]
HUMAN_BUTTON = [Button(texts.BUTTON_HUMAN, ButtonAction.HUMAN)]
FAQ_PICKS = (ButtonAction.FAQ_1, ButtonAction.FAQ_2, ButtonAction.FAQ_3)


def fill(config: AssistantConfig, template: str, **extra: object) -> str:
    """A fixed text with the deployment's contact details (hotline, legal aid, crisis line, retention)."""
    c = config
    return template.format(hotline=c.hotline, legal_aid_contact=c.legal_aid_contact,
                           retention_days=c.retention_days, crisis_line=c.crisis_line, **extra)


def error_reply(config: AssistantConfig) -> Reply:
    return Reply(ReplyKind.INFO, fill(config, texts.ERROR), buttons=list(HUMAN_BUTTON))


def join_fitting(parts: list[str], max_chars: int, optional: set[str] | None = None) -> str:
    """Join paragraphs; drop optional ones (from the end) and then trim, to stay under max_chars."""
    parts = [p for p in parts if p]
    optional = optional or set()
    text = "\n\n".join(parts)
    while len(text) > max_chars and any(p in optional for p in parts):
        drop = max(i for i, p in enumerate(parts) if p in optional)
        parts.pop(drop)
        text = "\n\n".join(parts)
    if len(text) > max_chars:
        text = text[: max(0, max_chars - 1)].rsplit(" ", 1)[0] + "…"
    return text
