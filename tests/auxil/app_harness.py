"""Run the real lawbot app (lifespan, workers, channels) against the fake Telegram and Zalo servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from starlette.applications import Starlette
from telegram.request import HTTPXRequest

from bot.ingress.app import Runtime, build_app
from bot.runtime.workers import WorkerOptions, Workers
from bot.settings import Settings
from bot.storage.db import Database
from tests.auxil import fake_telegram, fake_zalo
from tests.auxil.fake_telegram import FakeTelegram
from tests.auxil.fake_zalo import FakeZalo
from tests.auxil.waiting import await_until

TG_SECRET = "tg_webhook_secret-1"
ZALO_SECRET = "zalo-webhook-secret-1"
TG_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
ZALO_HEADERS = {"X-Bot-Api-Secret-Token": ZALO_SECRET}
FAST = WorkerOptions(idle_poll=0.05, typing_delay=0.0, drain_timeout=5.0)


def make_settings(
    db: Database,
    index_dir: Path,
    tg: FakeTelegram | None,
    zalo: FakeZalo | None,
    *,
    public_url: str | None = "https://lawbot.example.org",
    **extra: Any,
) -> Settings:
    values: dict[str, Any] = {
        "database_url": db.url.render_as_string(hide_password=False),
        "index_dir": index_dir,
        "embedder": "none",
        "public_url": public_url,
        "telegram_webhook_secret": SecretStr(TG_SECRET),
        "zalo_webhook_secret": SecretStr(ZALO_SECRET),
        "hotline": "1900 0000",
        # plumbing tests answer with the writer's own confidence: the fitted answer model leans on FAQ
        # signals a five-article index lacks (it has its own tests and figures in docs/benchmarks.md)
        "confidence_model": Path("no-confidence-model-in-plumbing-tests.json"),
    }
    if tg is not None:
        values["telegram_token"] = SecretStr(fake_telegram.TOKEN)
        values["telegram_api_url"] = f"{tg.base_url}/bot"
    if zalo is not None:
        values["zalo_token"] = SecretStr(fake_zalo.TOKEN)
        values["zalo_api_url"] = zalo.base_url
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Running:
    app: Starlette
    client: httpx.AsyncClient
    rt: Runtime


@asynccontextmanager
async def running(settings: Settings, db: Database, **kwargs: Any) -> AsyncIterator[Running]:
    """Start the app's lifespan and give an HTTP client that talks to it without a socket."""
    kwargs.setdefault("worker_options", FAST)
    kwargs.setdefault("telegram_request", HTTPXRequest(read_timeout=2.0, connect_timeout=2.0))
    kwargs.setdefault("index_poll_interval", 0.1)
    app = build_app(settings, database=db, **kwargs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lawbot.test") as client:
            yield Running(app, client, app.state.lawbot)


async def settled(r: Running, timeout: float = 30.0) -> None:
    """Every update in the inbox handled and every reply in the outbox sent (or given up): from now
    on nothing more reaches a platform, so counting what was sent is final (duplicates included)."""
    await await_until(
        lambda: r.rt.inbox.backlog() == 0 and r.rt.outbox.backlog() == 0,
        "inbox and outbox to be empty (every update answered, every reply sent)",
        timeout=timeout,
    )


async def workers_looked_again(r: Running, looks: int = 2, timeout: float = 10.0) -> None:
    """The inbox and outbox workers each looked at the database `looks` more times: whatever they
    would do with what is there now, they have done (two looks: the one under way when called may
    have read before). For "nothing happens" checks, instead of sleeping and hoping they looked."""
    await await_until(
        looked_again(r.rt.workers, looks),
        f"the workers to look at the database {looks} more times",
        timeout=timeout,
    )


def looked_again(workers: Workers, looks: int = 2) -> Callable[[], bool]:
    """A predicate: both worker loops finished `looks` more looks at the database since this call."""
    inbox, outbox = workers.inbox_looks + looks, workers.outbox_looks + looks
    return lambda: workers.inbox_looks >= inbox and workers.outbox_looks >= outbox
