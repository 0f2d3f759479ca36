"""A local fake Zalo Bot Platform API server: the methods lawbot uses, with Zalo's limits and quirks."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.auxil.fake_bot_api import FakeBotApi
from tests.auxil.waiting import first_within

TOKEN = "2468013579:zalo-TEST-token-abcdefghij"


def text_event(
    message_id: str,
    text: str | None,
    *,
    user_id: str = "zu-100",
    event_name: str = "message.text.received",
    wrapped: bool = False,
    date_ms: int | None = None,
) -> dict[str, Any]:
    """A Zalo update as the platform sends it (flat, or wrapped in {"ok": true, "result": ...})."""
    message: dict[str, Any] = {
        "from": {"id": user_id, "display_name": "Minh", "is_bot": False},
        "chat": {"id": user_id, "chat_type": "PRIVATE"},
        "message_id": message_id,
        "date": date_ms if date_ms is not None else int(time.time() * 1000),
    }
    if text is not None:
        message["text"] = text
    update = {"event_name": event_name, "message": message}
    return {"ok": True, "result": update} if wrapped else update


@dataclass
class FakeZalo(FakeBotApi):
    """Fake Zalo Bot API. `push_update` feeds getUpdates (one per call, 408 when none)."""

    token: str = TOKEN
    webhook: dict[str, Any] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _ulock: threading.Lock = field(default_factory=threading.Lock)

    def push_update(self, update: dict[str, Any]) -> None:
        with self._ulock:
            self._updates.append(update)

    def sent(self, chat_id: str | None = None) -> list[dict[str, Any]]:
        return [
            p
            for p in self.calls_to("sendMessage")
            if chat_id is None or str(p.get("chat_id")) == str(chat_id)
        ]

    def sent_texts(self, chat_id: str | None = None) -> list[str]:
        return [str(p.get("text")) for p in self.sent(chat_id)]

    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, "Method not found"
        return await handler(params)

    async def _m_getMe(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, {
            "id": "1234567890",
            "account_name": "lawbot.test",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _m_setWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
        if not url.startswith("https://"):
            return 400, "url must be https"
        if not 8 <= len(secret) <= 256:
            return 400, "secret_token must be 8-256 characters"
        self.webhook = {"url": url, "secret_token": secret, "updated_at": int(time.time() * 1000)}
        return 200, {"url": url, "updated_at": self.webhook["updated_at"]}

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        self.webhook = {}
        return 200, {"url": "", "updated_at": int(time.time() * 1000)}

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, {
            "url": self.webhook.get("url", ""),
            "updated_at": self.webhook.get("updated_at", 0),
        }

    async def _m_sendMessage(self, params: dict[str, Any]) -> tuple[int, Any]:
        text = params.get("text")
        if not params.get("chat_id"):
            return 400, "chat_id is required"
        if not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return 400, "text must be 1-2000 characters"
        return 200, {"message_id": f"bm{next(self._ids)}", "date": int(time.time() * 1000)}

    async def _m_sendChatAction(self, params: dict[str, Any]) -> tuple[int, Any]:
        if params.get("action") != "typing":
            return 400, "unsupported action"
        return 200, {}

    async def _m_getUpdates(self, params: dict[str, Any]) -> tuple[int, Any]:
        if self.webhook.get("url"):
            return 400, "getUpdates cannot be used while a webhook is set"

        def next_update() -> dict[str, Any] | None:
            with self._ulock:
                return self._updates.pop(0) if self._updates else None  # ONE update per call

        # a long poll: held open until an update arrives or the client's timeout passes
        found = await first_within(next_update, timeout=float(params.get("timeout") or 30))
        return (200, found) if found is not None else (408, "Request timeout")
