"""Behave like a platform delivering webhooks: retry on 5xx and network errors, stop on 2xx/4xx."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx


async def deliver(
    client: httpx.AsyncClient,
    path: str,
    update: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    deadline: float = 30.0,
    pause: float = 0.2,
    on_status: Callable[[int], None] | None = None,
) -> int:
    """POST until the server takes the update (2xx) or refuses it (4xx); returns the final status.

    Telegram and Zalo redeliver an update their webhook did not acknowledge: a 5xx (or a dropped
    connection) must never lose it, only delay it.
    """
    stop = time.monotonic() + deadline
    while True:
        try:
            response = await client.post(path, json=dict(update), headers=dict(headers))
            status = response.status_code
        except httpx.TransportError:
            status = 599  # what the platform sees as "no answer"
        if on_status is not None:
            on_status(status)
        if status < 500 or time.monotonic() > stop:
            return status
        await asyncio.sleep(pause)  # not a wait: the platform's pause between redeliveries
