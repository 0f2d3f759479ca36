"""The Zalo channel: our ZaloClient, webhook (X-Bot-Api-Secret-Token) or getUpdates long polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bot.channels.base import PartSent, StartupError, UpdateSink
from bot.channels.events import Event
from bot.channels.outbound import ZaloOutbound
from bot.channels.zalo import parse
from bot.channels.zalo.client import MAX_TEXT_LENGTH, ZaloClient, ZaloError, ZaloUnauthorized
from bot.core.backoff import Backoff
from bot.core.models import Channel
from bot.core.payload import OutboxPayload

log = logging.getLogger(__name__)

# setup (getMe, webhook) retried in the background while Zalo is unreachable; polling failures;
# storing a polled update (it exists only in our hands: retried until the database takes it)
SETUP_BACKOFF = Backoff(base=2.0, cap=60.0)
POLL_BACKOFF = Backoff(base=1.0, cap=30.0)
STORE_BACKOFF = Backoff(base=0.5, cap=10.0, jitter=0.0)


class ZaloChannel:
    """Implements `ChannelAdapter` for the Zalo Bot Platform."""

    channel = Channel.ZALO
    max_chars = MAX_TEXT_LENGTH - 150  # room for the typed-command hints under the answer

    def __init__(
        self,
        client: ZaloClient,
        webhook_secret: str | None = None,
        *,
        poll_timeout: int = 30,
    ) -> None:
        if webhook_secret is not None and not 8 <= len(webhook_secret) <= 256:
            raise StartupError("LAWBOT_ZALO_WEBHOOK_SECRET must be 8-256 characters")
        self.client = client
        self.webhook_secret = webhook_secret
        self.outbound = ZaloOutbound(client)
        self.poll_timeout = poll_timeout
        self._setup_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return "ZaloChannel()"

    def update_key(self, payload: Any) -> str:
        return parse.update_key(payload)

    def parse(self, payload: Any) -> Event:
        return parse.parse_update(payload)

    async def start(self, public_url: str | None) -> None:
        if public_url and not self.webhook_secret:
            raise StartupError(
                "LAWBOT_PUBLIC_URL is set: set LAWBOT_ZALO_WEBHOOK_SECRET (8-256 characters) too"
            )
        try:
            await self._setup(public_url)
        except ZaloUnauthorized:
            raise StartupError(
                "Zalo rejected LAWBOT_ZALO_TOKEN (401 invalid or expired token): copy it again "
                "from the Zalo Bot Creator"
            ) from None
        except ZaloError as exc:
            # Zalo unreachable right now: serve anyway and finish the setup in the background.
            log.error("zalo setup failed (%s); retrying in the background", exc.description)
            self._setup_task = asyncio.create_task(self._setup_later(public_url))

    async def _setup(self, public_url: str | None) -> None:
        await self.client.get_me()
        if public_url:
            assert self.webhook_secret is not None
            await self.client.set_webhook(
                f"{public_url.rstrip('/')}/webhooks/zalo", self.webhook_secret
            )
            log.info("zalo: webhook set")
        else:
            await self.client.delete_webhook()  # getUpdates does not work while a webhook is set
            log.info("zalo: polling mode")

    async def _setup_later(self, public_url: str | None) -> None:
        attempt = 0
        while True:
            attempt += 1
            await asyncio.sleep(SETUP_BACKOFF.delay(attempt))
            try:
                await self._setup(public_url)
                return
            except ZaloUnauthorized:
                log.error("Zalo rejected LAWBOT_ZALO_TOKEN (401 invalid or expired token)")
                return
            except ZaloError as exc:
                log.warning("zalo setup failed again (%s)", exc.description)

    async def stop(self) -> None:
        if self._setup_task is not None:
            self._setup_task.cancel()
            await asyncio.gather(self._setup_task, return_exceptions=True)
        await self.client.aclose()

    async def poll(self, sink: UpdateSink, stopping: asyncio.Event) -> None:
        failures = 0
        while not stopping.is_set():
            try:
                updates = await self.client.get_updates(timeout=self.poll_timeout)
                for update in updates:
                    try:
                        key = parse.update_key(update)
                    except ValueError as exc:
                        log.warning("zalo: skipping a malformed polled update (%s)", exc)
                        continue
                    # Zalo hands out each update once: store it even if we are being stopped
                    await asyncio.shield(self._store(sink, key, update))
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = POLL_BACKOFF.delay(failures)
                log.warning("zalo polling failed (%s); retry in %.1fs", type(exc).__name__, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), delay)

    @staticmethod
    async def _store(sink: UpdateSink, key: str, update: dict[str, Any]) -> None:
        # the update exists only in our hands now: keep trying until the database takes it
        attempt = 0
        while True:
            try:
                await sink(key, update)
                return
            except Exception as exc:
                attempt += 1
                delay = STORE_BACKOFF.delay(attempt)
                log.warning(
                    "zalo: storing a polled update failed (%s); retry in %.1fs",
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)

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
        return None  # Zalo has no inline buttons
