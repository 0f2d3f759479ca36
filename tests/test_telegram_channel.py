"""The Telegram channel with the real python-telegram-bot client against a local fake Bot API server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from telegram.request import HTTPXRequest

from bot.channels.base import PermanentDeliveryError, StartupError, TemporaryDeliveryError
from bot.channels.events import (
    ButtonEvent,
    IgnoredEvent,
    Notice,
    NoticeEvent,
    TextEvent,
    UpdateError,
)
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.parse import callback_data, parse_update
from bot.channels.telegram.render import render
from bot.core.models import ButtonAction, Channel
from bot.core.payload import OutboxPayload
from tests.auxil.fake_telegram import (
    TOKEN,
    FakeTelegram,
    callback_query,
    check_html,
    private_message,
)

BUTTONS = [
    {"label": "👍", "action": "up"},
    {"label": "👎", "action": "down"},
    {"label": "Gặp cán bộ", "action": "human"},
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    with fake.running():
        yield fake


@pytest.fixture
def fake(server: FakeTelegram) -> FakeTelegram:
    server.up()
    server.calls.clear()
    server.webhook = {}
    return server


def make_channel(
    fake: FakeTelegram, *, token: str = TOKEN, secret: str | None = "s3cret_Token-1"
) -> TelegramChannel:
    return TelegramChannel(
        token,
        f"{fake.base_url}/bot",
        secret,
        request=HTTPXRequest(read_timeout=1.0, connect_timeout=1.0),
        poll_timeout=1,
    )


@pytest.fixture
async def channel(fake: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    ch = make_channel(fake)
    await ch.start(None)
    yield ch
    await ch.stop()


# --- parsing -------------------------------------------------------------------------------


def test_private_text_becomes_a_message() -> None:
    event = parse_update(private_message(7, "  Nghỉ phép năm bao nhiêu ngày?  ", user_id=42))
    assert isinstance(event, TextEvent)
    msg = event.message
    assert (msg.channel, msg.user_id, msg.chat_id) == (Channel.TELEGRAM, "42", "42")
    assert msg.text == "Nghỉ phép năm bao nhiêu ngày?"
    assert msg.display_name == "Lan"


def test_command_addressed_to_the_bot_is_normalised() -> None:
    event = parse_update(private_message(8, "/canbo@lawbot_test_bot"))
    assert isinstance(event, TextEvent) and event.message.text == "/canbo"


def test_group_messages_and_other_updates_are_ignored() -> None:
    assert isinstance(parse_update(private_message(9, "hi", chat_type="group")), IgnoredEvent)
    assert isinstance(
        parse_update({"update_id": 10, "edited_message": private_message(1, "x")["message"]}),
        IgnoredEvent,
    )


def test_photo_asks_to_type_the_question() -> None:
    event = parse_update(
        private_message(
            11, None, photo=[{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
        )
    )
    assert isinstance(event, NoticeEvent) and event.notice == Notice.NOT_TEXT


def test_button_press_becomes_a_button_event() -> None:
    event = parse_update(callback_query(12, callback_data(ButtonAction.FEEDBACK_DOWN), user_id=42))
    assert isinstance(event, ButtonEvent)
    assert (event.action, event.chat_id, event.callback_id) == (
        ButtonAction.FEEDBACK_DOWN,
        "42",
        "cq12",
    )
    forged = parse_update(callback_query(13, "lb:drop_tables"))
    assert isinstance(forged, ButtonEvent) and forged.action is None


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"update_id": "12"},
        {"update_id": True},
        {"update_id": 1, "message": "hello"},
        {"update_id": 1, "message": {"chat": 3}},
        {
            "update_id": 1,
            "message": {"message_id": 1, "chat": {"id": 1, "type": "private"}, "date": "x"},
        },
    ],
)
def test_malformed_updates_are_rejected_with_a_reason(payload: Any) -> None:
    with pytest.raises(UpdateError):
        parse_update(payload)


# --- rendering -----------------------------------------------------------------------------


def test_citizen_html_is_escaped_and_citations_are_bold() -> None:
    payload = {
        "text": "Bạn hỏi: <script>alert('x')</script> & <b>\nCăn cứ: khoản 1 Điều 113 Bộ luật Lao động số 45/2019/QH14",
        "citations": [{"label": "khoản 1 Điều 113 Bộ luật Lao động số 45/2019/QH14"}],
        "buttons": BUTTONS,
    }
    [message] = render(OutboxPayload.from_json(payload))
    visible = check_html(message.html)  # Telegram's parser would accept it ...
    assert visible == payload["text"]  # ... and show exactly the text, not markup
    assert "<b>khoản 1 Điều 113 Bộ luật Lao động số 45/2019/QH14</b>" in message.html
    assert "<script>" not in message.html


def test_long_answer_is_split_on_article_boundaries_with_keyboard_last() -> None:
    article = "Điều {n}. Nghỉ hằng năm\n" + ("Người lao động làm việc đủ 12 tháng được nghỉ. " * 45)
    text = "\n".join(article.format(n=n) for n in (111, 112, 113, 114))  # ~8,700 characters
    parts = render(OutboxPayload.from_json({"text": text, "buttons": BUTTONS}))
    assert len(parts) >= 3
    assert all(len(p.plain) <= 4096 for p in parts)
    assert all(p.plain.startswith("Điều 11") for p in parts)
    assert [p.keyboard is not None for p in parts] == [False] * (len(parts) - 1) + [True]


# --- talking to the (fake) Bot API ----------------------------------------------------------


async def test_invalid_token_is_a_clear_startup_error(fake: FakeTelegram) -> None:
    ch = make_channel(fake, token="999:not-the-token")
    with pytest.raises(StartupError, match="LAWBOT_TELEGRAM_TOKEN"):
        await ch.start(None)


def test_webhook_secret_must_use_telegram_characters(fake: FakeTelegram) -> None:
    with pytest.raises(StartupError):
        make_channel(fake, secret="has spaces!")


async def test_webhook_mode_registers_url_and_secret(fake: FakeTelegram) -> None:
    ch = make_channel(fake)
    await ch.start("https://bot.example.org/")
    assert fake.webhook["url"] == "https://bot.example.org/webhooks/telegram"
    assert fake.webhook["secret_token"] == "s3cret_Token-1"
    assert [c["command"] for c in fake.commands][:4] == ["start", "help", "chude", "canbo"]
    await ch.stop()
    no_secret = make_channel(fake, secret=None)
    with pytest.raises(StartupError, match="WEBHOOK_SECRET"):
        await no_secret.start("https://bot.example.org")


async def test_polling_stores_each_update_once(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    assert fake.calls_to("deleteWebhook")  # polling needs the webhook gone
    got: list[tuple[str, dict[str, Any]]] = []

    async def sink(key: str, payload: dict[str, Any]) -> bool:
        got.append((key, payload))
        return True

    fake.push_update(private_message(501, "Câu hỏi 1"))
    fake.push_update(private_message(502, "Câu hỏi 2"))
    stopping = asyncio.Event()
    task = asyncio.create_task(channel.poll(sink, stopping))
    assert await fake.wait_until(lambda: len(got) >= 2, timeout=5)
    # more polls, until a new update comes through: the confirmed ones must not come again
    fake.push_update(private_message(503, "Câu hỏi 3"))
    assert await fake.wait_until(lambda: any(k == "503" for k, _ in got), timeout=5)
    stopping.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [k for k, _ in got] == ["501", "502", "503"]
    assert parse_update(got[0][1]).message.text == "Câu hỏi 1"  # type: ignore[union-attr]


async def test_send_renders_html_and_keyboard(fake: FakeTelegram, channel: TelegramChannel) -> None:
    await channel.send("42", OutboxPayload.from_json({"text": "1 < 2 & 3 > 2", "buttons": BUTTONS}))
    [sent] = fake.sent("42")
    assert sent["parse_mode"] == "HTML"
    assert check_html(sent["text"]) == "1 < 2 & 3 > 2"
    row = sent["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in row] == ["👍", "👎", "Gặp cán bộ"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in row)


async def test_send_failures_are_classified(fake: FakeTelegram, channel: TelegramChannel) -> None:
    fake.fail_next(1, 502, methods={"sendMessage"})
    with pytest.raises(TemporaryDeliveryError):
        await channel.send("42", OutboxPayload.info("x"))
    fake.rate_limit_next(1, retry_after=3, methods={"sendMessage"})
    with pytest.raises(TemporaryDeliveryError) as info:
        await channel.send("42", OutboxPayload.info("x"))
    assert info.value.retry_after == 3
    fake.fail_next(1, 403, methods={"sendMessage"})  # the citizen blocked the bot
    with pytest.raises(PermanentDeliveryError):
        await channel.send("42", OutboxPayload.info("x"))
    fake.hang_next(1, seconds=2, methods={"sendMessage"})
    with pytest.raises(TemporaryDeliveryError) as timed_out:
        await channel.send("42", OutboxPayload.info("x"))
    assert timed_out.value.unknown  # the request left: Telegram may have delivered it


async def test_typing_and_button_ack(fake: FakeTelegram, channel: TelegramChannel) -> None:
    await channel.typing("42")
    await channel.ack_button("cq1")
    assert fake.calls_to("sendChatAction") == [{"chat_id": "42", "action": "typing"}]
    assert fake.calls_to("answerCallbackQuery")[0]["callback_query_id"] == "cq1"


async def test_token_not_logged(fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    ch = make_channel(fake)
    await ch.start(None)
    fake.fail_next(1, 500, methods={"sendMessage"})
    with pytest.raises(TemporaryDeliveryError) as info:
        await ch.send("42", OutboxPayload.info("x"))
    await ch.stop()
    assert TOKEN not in caplog.text
    assert TOKEN not in str(info.value)
