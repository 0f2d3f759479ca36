"""A local fake Telegram Bot API server: the methods lawbot uses, strict about HTML and limits."""

from __future__ import annotations

import html
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.auxil.fake_bot_api import FakeBotApi
from tests.auxil.waiting import first_within

TOKEN = "123456:TEST-telegram-token_abcdefghijklmnop"
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "blockquote",
    "tg-emoji",
}
_TOKEN_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z-]*)(?:\s[^<>]*)?>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|[<>&]"
)


def check_html(text: str) -> str:
    """Parse like Telegram does; return the visible text or raise ValueError("can't parse entities")."""
    stack: list[str] = []
    for m in _TOKEN_RE.finditer(text):
        token = m.group(0)
        if token in "<>&":
            raise ValueError(
                f"can't parse entities: unescaped {token!r} at byte offset {m.start()}"
            )
        if m.group(2):
            tag = m.group(2).lower()
            if tag not in ALLOWED_TAGS:
                raise ValueError(f"can't parse entities: unsupported start tag {tag!r}")
            if m.group(1):
                if not stack or stack.pop() != tag:
                    raise ValueError(f"can't parse entities: unexpected end tag {tag!r}")
            else:
                stack.append(tag)
    if stack:
        raise ValueError(f"can't parse entities: unclosed tag {stack[-1]!r}")
    return html.unescape(re.sub(r"<[^<>]+>", "", text))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def private_message(
    update_id: int,
    text: str | None,
    *,
    user_id: int = 1001,
    first_name: str = "Lan",
    message_id: int | None = None,
    date: int | None = None,
    chat_type: str = "private",
    **extra: Any,
) -> dict[str, Any]:
    """A Telegram update carrying a private text message (as the Bot API sends it)."""
    message: dict[str, Any] = {
        "message_id": message_id or update_id,
        "from": {"id": user_id, "is_bot": False, "first_name": first_name},
        "chat": {"id": user_id if chat_type == "private" else -100 - user_id, "type": chat_type},
        "date": date or int(time.time()),
        **extra,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, "message": message}


def callback_query(
    update_id: int, data: str, *, user_id: int = 1001, message_id: int = 1
) -> dict[str, Any]:
    """A Telegram update for a press on an inline button under one of the bot's messages."""
    user = {"id": user_id, "is_bot": False, "first_name": "Lan"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq{update_id}",
            "from": user,
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": 1, "is_bot": True, "first_name": "Lawbot"},
                "text": "...",
            },
        },
    }


@dataclass
class FakeTelegram(FakeBotApi):
    """Fake Telegram Bot API. `push_update` feeds getUpdates; `sent()` lists delivered messages."""

    token: str = TOKEN
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _ulock: threading.Lock = field(default_factory=threading.Lock)

    def push_update(self, update: dict[str, Any]) -> None:
        with self._ulock:
            self._updates.append(update)

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Successful sendMessage calls (optionally to one chat), in order."""
        return [
            p
            for p in self.calls_to("sendMessage")
            if chat_id is None or str(p.get("chat_id")) == str(chat_id)
        ]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        return [str(p.get("text")) for p in self.sent(chat_id)]

    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, "Not Found"
        return await handler(params)

    async def _m_getMe(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, {
            "id": 1,
            "is_bot": True,
            "first_name": "Lawbot",
            "username": "lawbot_test_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_setWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        secret = str(params.get("secret_token") or "")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            return 400, "Bad Request: secret token contains unallowed characters"
        self.webhook = {
            "url": params.get("url"),
            "secret_token": secret,
            "allowed_updates": params.get("allowed_updates"),
        }
        return 200, True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        self.webhook = {}
        return 200, True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def _m_sendMessage(self, params: dict[str, Any]) -> tuple[int, Any]:
        text = str(params.get("text") or "")
        visible = text
        if params.get("parse_mode") == "HTML":
            try:
                visible = check_html(text)
            except ValueError as exc:
                return 400, f"Bad Request: {exc}"
        if not visible.strip():
            return 400, "Bad Request: message text is empty"
        if utf16_len(visible) > 4096:
            return 400, "Bad Request: message is too long"
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if len(str(button.get("callback_data", "")).encode()) > 64:
                        return 400, "Bad Request: BUTTON_DATA_INVALID"
        chat_id = params.get("chat_id")
        return 200, {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {
                "id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0,
                "type": "private",
            },
            "text": visible,
        }

    async def _m_setMyCommands(self, params: dict[str, Any]) -> tuple[int, Any]:
        commands = params.get("commands")
        if not isinstance(commands, list) or not all(
            isinstance(c, dict) and 1 <= len(str(c.get("command", ""))) <= 32 for c in commands
        ):
            return 400, "Bad Request: invalid commands"
        self.commands = commands
        return 200, True

    async def _m_sendChatAction(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, True

    async def _m_getUpdates(self, params: dict[str, Any]) -> tuple[int, Any]:
        if self.webhook.get("url"):
            return 409, "Conflict: can't use getUpdates method while webhook is active"
        offset = int(params.get("offset") or 0)

        def ready() -> list[dict[str, Any]]:
            with self._ulock:
                # like Telegram: confirming an offset forgets every earlier update
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                return list(self._updates[:100])

        # a long poll: held open until an update arrives or the client's timeout passes
        found = await first_within(ready, timeout=float(params.get("timeout") or 0))
        return 200, found or []
