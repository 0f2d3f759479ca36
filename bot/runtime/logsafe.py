"""Logging that never writes personal data (bot.core.pii), a bot token or a registered secret."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

from bot.core import pii

# a Telegram-style bot token: numeric bot id, colon, 30+ URL-safe characters (also inside .../bot<token>/...)
TOKEN = re.compile(r"(?<!\d)\d{5,16}:[A-Za-z0-9_-]{30,}")

_secrets: set[str] = set()
_MASKED = "_lawbot_masked"


def add_secrets(secrets: Iterable[str | None]) -> None:
    """Exact strings (tokens, webhook secrets) to mask too, whatever their format."""
    # very short values would mask ordinary words; real secrets are long
    _secrets.update(s for s in secrets if s and len(s) >= 8)


def mask_pii(text: str) -> str:
    """Replace registered secrets, bot tokens and personal data (the storage masker's rules) with placeholders."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "[secret]")
    # the token first: its numeric bot id must not be half-masked as a phone number
    text = TOKEN.sub("[token]", text)
    return pii.mask_pii(text)


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record in place: the formatted message, the exception text and the stack."""
    if getattr(record, _MASKED, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not lose the log line
        message = f"{record.msg} {record.args}"
    record.msg = mask_pii(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_pii(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_pii(record.stack_info)
    setattr(record, _MASKED, True)
    return record


class PiiFilter(logging.Filter):
    """Handler filter that masks every record passing through it (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def install_record_factory() -> None:
    """Mask records as they are created, so every handler (files, test capture, uvicorn's) gets clean text."""
    current: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(current, _MASKED, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(current(*args, **kwargs))

    setattr(factory, _MASKED, True)
    logging.setLogRecordFactory(factory)


def setup_logging(level: str | int = "INFO", *, secrets: Iterable[str | None] = ()) -> None:
    """Root logging to stderr with masking everywhere; httpx/httpcore quiet (their URLs hold tokens)."""
    add_secrets(secrets)
    install_record_factory()
    root = logging.getLogger()
    root.setLevel(level.upper() if isinstance(level, str) else level)
    if not any(getattr(h, _MASKED, False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        setattr(handler, _MASKED, True)
        root.addHandler(handler)
    for existing in root.handlers:
        if not any(isinstance(f, PiiFilter) for f in existing.filters):
            existing.addFilter(PiiFilter())
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


# loggers whose debug lines carry bot tokens (in request URLs) or whole updates
_TOKEN_LOGGERS = ("httpx", "httpcore", "telegram", "telegram.ext", "apscheduler")


def quiet_token_loggers() -> None:
    """Raise the platform libraries' loggers to WARNING whatever the root level is."""
    for name in _TOKEN_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
