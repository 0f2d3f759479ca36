"""The Telegram channel: python-telegram-bot's ExtBot (custom base URL, AIORateLimiter), webhook or polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

from telegram import BotCommand
from telegram.error import InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels import texts
from bot.channels.base import PartSent, StartupError, UpdateSink
from bot.channels.events import Event
from bot.channels.outbound import TelegramOutbound
from bot.channels.telegram import parse
from bot.channels.telegram.render import MAX_TEXT
from bot.core.backoff import Backoff
from bot.core.models import Channel
from bot.core.payload import OutboxPayload

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
SEND_TIMEOUT = 60.0
# setup (getMe, webhook) retried in the background while Telegram is unreachable; polling failures
SETUP_BACKOFF = Backoff(base=2.0, cap=60.0)
POLL_BACKOFF = Backoff(base=1.0, cap=30.0)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def build_bot(
    token: str,
    api_url: str,
    *,
    rate_limit: bool = True,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> ExtBot[Any]:
    """An ExtBot talking to `api_url` (token appended), rate-limited to Telegram's flood limits."""
    return ExtBot(
        token,
        base_url=api_url,
        request=request
        or HTTPXRequest(
            connection_pool_size=64,  # above the outbox's send concurrency: no pool timeouts
            # long enough for a slow Telegram: a read timeout leaves the outcome unknown, and
            # the outbox worker's retry of an unknown send may duplicate the message
            read_timeout=SEND_TIMEOUT,
            write_timeout=SEND_TIMEOUT,
            connect_timeout=10,
            pool_timeout=5,
        ),
        get_updates_request=get_updates_request or HTTPXRequest(connection_pool_size=2),
        # no retries inside a call (not even after a 429): the outbox worker owns retries
        rate_limiter=AIORateLimiter(max_retries=0) if rate_limit else None,
    )


class TelegramChannel:
    """Implements `ChannelAdapter` for Telegram."""

    channel = Channel.TELEGRAM
    max_chars = MAX_TEXT - 196  # room for the citation footer the core may append

    def __init__(
        self,
        token: str,
        api_url: str,
        webhook_secret: str | None = None,
        *,
        rate_limit: bool = True,
        request: BaseRequest | None = None,
        poll_timeout: int = 25,
    ) -> None:
        if webhook_secret is not None and not _SECRET.match(webhook_secret):
            raise StartupError(
                "LAWBOT_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -"
            )
        self.bot = build_bot(token, api_url, rate_limit=rate_limit, request=request)
        self.webhook_secret = webhook_secret
        self.outbound = TelegramOutbound(self.bot)
        self.poll_timeout = poll_timeout
        self._setup_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return "TelegramChannel()"

    def update_key(self, payload: Any) -> str:
        return parse.update_key(payload)

    def parse(self, payload: Any) -> Event:
        return parse.parse_update(payload)

    async def start(self, public_url: str | None) -> None:
        if public_url and not self.webhook_secret:
            raise StartupError(
                "LAWBOT_PUBLIC_URL is set: set LAWBOT_TELEGRAM_WEBHOOK_SECRET too, "
                "so that forged webhook calls can be told apart"
            )
        try:
            await self._setup(public_url)
        except InvalidToken:
            raise StartupError(
                "Telegram rejected LAWBOT_TELEGRAM_TOKEN (invalid token): check it with @BotFather"
            ) from None
        except TelegramError as exc:
            # Telegram unreachable right now: serve anyway (updates wait on Telegram's side, replies
            # in our outbox) and finish the setup in the background.
            log.error("telegram setup failed (%s); retrying in the background", type(exc).__name__)
            self._setup_task = asyncio.create_task(self._setup_later(public_url))

    async def _setup(self, public_url: str | None) -> None:
        await self.bot.initialize()  # getMe: proves the token
        await self.bot.set_my_commands([BotCommand(c, d) for c, d in texts.TELEGRAM_COMMANDS])
        if public_url:
            await self.bot.set_webhook(
                url=f"{public_url.rstrip('/')}/webhooks/telegram",
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("telegram: webhook set")
        else:
            await self.bot.delete_webhook()  # getUpdates does not work while a webhook is set
            log.info("telegram: polling mode")

    async def _setup_later(self, public_url: str | None) -> None:
        attempt = 0
        while True:
            attempt += 1
            await asyncio.sleep(SETUP_BACKOFF.delay(attempt))
            try:
                await self._setup(public_url)
                return
            except InvalidToken:
                log.error("Telegram rejected LAWBOT_TELEGRAM_TOKEN (invalid token)")
                return
            except TelegramError as exc:
                log.warning("telegram setup failed again (%s)", type(exc).__name__)

    async def stop(self) -> None:
        if self._setup_task is not None:
            self._setup_task.cancel()
            await asyncio.gather(self._setup_task, return_exceptions=True)
        with contextlib.suppress(TelegramError):
            await self.bot.shutdown()

    async def poll(self, sink: UpdateSink, stopping: asyncio.Event) -> None:
        offset: int | None = None
        failures = 0
        while not stopping.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
                for update in updates:
                    # shielded: once Telegram handed us the update, store it even if we are stopping
                    await asyncio.shield(sink(str(update.update_id), update.to_dict()))
                    offset = update.update_id + 1  # confirmed to Telegram only after it is stored
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Telegram or the database is down: back off, keep the offset
                failures += 1
                delay = POLL_BACKOFF.delay(failures)
                log.warning(
                    "telegram polling failed (%s); retry in %.1fs", type(exc).__name__, delay
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), delay)

    async def send(
        self,
        chat_id: str,
        payload: OutboxPayload,
        *,
        skip: int = 0,
        progress: PartSent | None = None,
    ) -> None:
        await self.outbound.send_payload(chat_id, payload, skip=skip, progress=progress)

    async def typing(self, chat_id: str) -> None:
        await self.outbound.typing(chat_id)

    async def ack_button(self, callback_id: str | None) -> None:
        if not callback_id:
            return
        try:
            await self.bot.answer_callback_query(callback_id)
        except TelegramError as exc:  # too old (> 15 min) or already answered: harmless
            log.debug("telegram answerCallbackQuery failed: %s", type(exc).__name__)
