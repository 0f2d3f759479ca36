"""Durable intake of platform updates (webhooks and pollers): store in the inbox, count, wake the worker."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import anyio.to_thread

from bot.channels.events import Event, IgnoredEvent, UpdateError, event_chat, event_user
from bot.channels.payload import sanitize
from bot.core.models import Channel
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)


class InboxWriter(Protocol):
    def accept(
        self,
        channel: str,
        update_key: str,
        payload: dict[str, Any],
        *,
        chat_key: str | None = None,
        user_key: str | None = None,
    ) -> bool: ...


class Intake:
    """`accept` returns False for a duplicate delivery; raises if the database is unavailable."""

    def __init__(
        self,
        inbox: InboxWriter,
        metrics: Metrics,
        parsers: Mapping[Channel, Callable[[Any], Event]] | None = None,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self.inbox = inbox
        self.parsers = dict(parsers or {})
        self.metrics = metrics
        self.on_stored = on_stored

    async def accept(
        self, channel: Channel, key: str, payload: dict[str, Any], event: Event | None = None
    ) -> bool:
        """Store one update under its de-duplication `key`; `event` (its parse) gives the chat and
        the sender, so that one chat's updates are handled in order. The inbox stores the payload
        with its personal numbers masked (bot.core.pii): nothing after this point sees them."""
        chat = event_chat(event) if event is not None else None
        user = event_user(event) if event is not None else None
        stored = await anyio.to_thread.run_sync(
            functools.partial(
                self.inbox.accept, channel.value, key, payload, chat_key=chat, user_key=user
            )
        )
        if stored:
            self.metrics.updates_received.labels(channel.value).inc()
            if self.on_stored is not None:
                self.on_stored()
        else:
            self.metrics.updates_duplicate.labels(channel.value).inc()
        return bool(stored)

    def parse(self, channel: Channel, payload: Any) -> Event | None:
        parser = self.parsers.get(channel)
        return parser(payload) if parser is not None else None

    def sink(self, channel: Channel) -> Callable[[str, dict[str, Any]], Any]:
        """The `UpdateSink` a channel poller feeds."""

        async def store(key: str, payload: dict[str, Any]) -> bool:
            try:
                # the same bounds as a webhook body: else the database could refuse it on every try
                payload = sanitize(payload).payload
            except UpdateError as exc:
                log.warning(
                    "%s: skipping a polled update that cannot be stored (%s)", channel.value, exc
                )
                return False
            try:
                event: Event | None = self.parse(channel, payload)
            except ValueError:
                event = None  # stored anyway: the inbox worker records why it cannot be handled
            if isinstance(event, IgnoredEvent):
                return False  # a group chat or an update kind we do not handle: nothing to keep
            return await self.accept(channel, key, payload, event)

        return store
