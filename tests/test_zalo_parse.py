"""Zalo updates (wrapped or flat) -> events; typed-command hints under replies (Zalo has no buttons)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.channels.events import IgnoredEvent, Notice, NoticeEvent, TextEvent, UpdateError
from bot.channels.zalo.parse import parse_update, update_key
from bot.channels.zalo.render import render
from bot.core.models import Channel
from bot.core.payload import OutboxPayload
from tests.auxil.fake_zalo import text_event


@pytest.mark.parametrize("wrapped", [False, True])
def test_text_message(wrapped: bool) -> None:
    event = parse_update(
        text_event("m-9", " Hỏi về thừa kế ", user_id="u-1", wrapped=wrapped, date_ms=1750316131602)
    )
    assert isinstance(event, TextEvent)
    msg = event.message
    assert (msg.channel, msg.user_id, msg.chat_id, msg.text, msg.message_id) == (
        Channel.ZALO,
        "u-1",
        "u-1",
        "Hỏi về thừa kế",
        "m-9",
    )
    assert msg.time == dt.datetime(2025, 6, 19, 6, 55, 31, 602000, tzinfo=dt.UTC)  # milliseconds
    assert msg.display_name == "Minh"
    assert update_key(text_event("m-9", "x", wrapped=wrapped)) == "m-9"


def test_protected_user_and_non_text_events() -> None:
    protected = parse_update(text_event("m1", None, event_name="message.unsupported.received"))
    image = parse_update(text_event("m2", None, event_name="message.image.received"))
    assert isinstance(protected, NoticeEvent) and protected.notice == Notice.PROTECTED_USER
    assert isinstance(image, NoticeEvent) and image.notice == Notice.NOT_TEXT
    assert isinstance(parse_update(text_event("m3", "x", event_name="user.follow")), IgnoredEvent)


def test_messages_from_bots_are_ignored() -> None:
    update = text_event("m4", "spam")
    update["message"]["from"]["is_bot"] = True
    assert isinstance(parse_update(update), IgnoredEvent)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "x",
        {"ok": True, "result": []},
        {
            "event_name": "message.text.received",
            "message": {"message_id": "", "from": {"id": "u"}, "chat": {"id": "u"}},
        },
    ],
)
def test_malformed(payload: object) -> None:
    with pytest.raises(UpdateError):
        parse_update(payload)


def test_buttons_become_typed_commands_within_the_limit() -> None:
    payload = {
        "text": "a " * 995,
        "buttons": [
            {"label": "👍", "action": "up"},
            {"label": "👎", "action": "down"},
            {"label": "Gặp cán bộ", "action": "human"},
        ],
    }
    parts = render(OutboxPayload.from_json(payload))
    assert all(len(p) <= 2000 for p in parts)
    assert "👍" in parts[-1] and "/canbo" in parts[-1]
    consent = render(
        OutboxPayload.from_json(
            {
                "text": "Đồng ý?",
                "buttons": [
                    {"label": "Đồng ý", "action": "consent_yes"},
                    {"label": "Không", "action": "consent_no"},
                ],
            }
        )
    )
    assert consent[0].count("/dongy") == 1 and "/khong" in consent[0]


def test_group_chats_are_ignored_private_chats_answered() -> None:
    group = text_event("m7", "Tôi bị nợ lương 3 tháng", user_id="u9")
    group["message"]["chat"] = {"id": "g1", "chat_type": "GROUP"}
    assert isinstance(parse_update(group), IgnoredEvent)
    private = text_event("m8", "Tôi bị nợ lương 3 tháng", user_id="u9")
    assert isinstance(parse_update(private), TextEvent)
