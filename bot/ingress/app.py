"""The one composition root: builds every service from `Settings` and wires the ASGI app.

Routes: POST /webhooks/telegram, POST /webhooks/zalo, GET /healthz, GET /metrics, /staff (desk).
The lifespan migrates the database, loads the index, starts the channels (checking their tokens),
the inbox/outbox workers, the pollers (no public URL) and the index watcher; on shutdown it drains.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp
from telegram.request import BaseRequest

from bot.channels import texts as channel_texts
from bot.channels.base import ChannelAdapter, StartupError
from bot.channels.events import Notice
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import DEFAULT_TIMEOUT as ZALO_SEND_TIMEOUT
from bot.channels.zalo.client import ZaloClient
from bot.compose import Loaded, index_engine
from bot.core import texts as core_texts
from bot.core.models import Channel
from bot.core.payload import OutboxPayload
from bot.ingress.webhooks import webhook_routes
from bot.runtime.index_reload import Current, IndexWatcher
from bot.runtime.intake import Intake
from bot.runtime.logsafe import quiet_token_loggers
from bot.runtime.metrics import Metrics, build_timestamp
from bot.runtime.workers import AssistantLike, WorkerOptions, Workers
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.inbox import Inbox
from bot.storage.outbox import Outbox
from bot.storage.poller_lock import PollerLock

log = logging.getLogger(__name__)

# Loggers that would print request URLs, and so bot tokens, at INFO/DEBUG.
# (settings, database, outbox, running embedder) -> loader of the CURRENT build, for IndexWatcher
EngineFactory = Callable[
    [Settings, Database, Outbox], Callable[[str | None], Loaded[AssistantLike]]
]


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def build_channels(
    settings: Settings,
    *,
    telegram_request: BaseRequest | None = None,
    telegram_rate_limit: bool = True,
    zalo_timeout: float = ZALO_SEND_TIMEOUT,
    poll_timeout: int | None = None,
) -> dict[Channel, ChannelAdapter]:
    """The channels whose token is set (a channel without a token is off)."""
    channels: dict[Channel, ChannelAdapter] = {}
    tg_token = _secret(settings.telegram_token)
    if tg_token:
        channels[Channel.TELEGRAM] = TelegramChannel(
            tg_token,
            settings.telegram_api_url,
            _secret(settings.telegram_webhook_secret),
            rate_limit=telegram_rate_limit,
            request=telegram_request,
            poll_timeout=poll_timeout or 25,
        )
    zalo_token = _secret(settings.zalo_token)
    if zalo_token:
        client = ZaloClient(zalo_token, settings.zalo_api_url, timeout=zalo_timeout)
        channels[Channel.ZALO] = ZaloChannel(
            client, _secret(settings.zalo_webhook_secret), poll_timeout=poll_timeout or 30
        )
    return channels


@dataclass
class Runtime:
    """Everything the app built; `app.state.lawbot` (tests and the desk use it)."""

    settings: Settings
    database: Database
    inbox: Inbox
    outbox: Outbox
    metrics: Metrics
    channels: dict[Channel, ChannelAdapter]
    current: Current[AssistantLike]
    workers: Workers
    intake: Intake
    watcher: IndexWatcher[AssistantLike] | None = None
    started: bool = False
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def assistant(self) -> AssistantLike:
        return self.current.value

    @property
    def mode(self) -> str:
        return "webhook" if self.settings.public_url else "polling"


async def _health(request: Request) -> Response:
    """503 "unavailable" when this worker cannot answer (no index loaded, database down): a load
    balancer takes it out. 200 "degraded" when it answers from its index but something needs an
    admin (a new build refused or damaged, CURRENT gone, the serving build's files changed): it
    stays in; monitors alert on any status but "ok". `index.problem` says what is wrong."""
    rt: Runtime = request.app.state.lawbot
    try:
        with anyio.fail_after(3):
            db_ok = bool(await anyio.to_thread.run_sync(rt.database.ping))
    except TimeoutError:
        db_ok = False
    loaded = rt.current.loaded is not None
    problem = rt.watcher.problem if rt.watcher is not None else None
    serving = db_ok and loaded
    body = {
        "status": ("degraded" if problem else "ok") if serving else "unavailable",
        "index": {"loaded": loaded, "build_id": rt.current.build_id, "problem": problem},
        "database": {"reachable": db_ok},
        "channels": sorted(c.value for c in rt.channels),
        "mode": rt.mode,
    }
    return JSONResponse(body, status_code=200 if serving else 503)


async def _metrics(request: Request) -> Response:
    rt: Runtime = request.app.state.lawbot

    def backlogs() -> tuple[int, int]:
        return rt.inbox.backlog(), rt.outbox.backlog()

    try:
        with anyio.fail_after(3):
            inbox, outbox = await anyio.to_thread.run_sync(backlogs)
        rt.metrics.inbox_backlog.set(inbox)
        rt.metrics.outbox_backlog.set(outbox)
    except Exception as exc:  # database down: serve the other metrics anyway
        log.warning("metrics: backlog unavailable (%s)", type(exc).__name__)
    rt.metrics.index_built.set(build_timestamp(rt.current.build_id))
    return Response(rt.metrics.render(), media_type=rt.metrics.content_type)


def build_app(
    settings: Settings,
    *,
    assistant: AssistantLike | None = None,
    database: Database | None = None,
    desk_app: ASGIApp | None = None,
    channels: dict[Channel, ChannelAdapter] | None = None,
    inbox: Inbox | None = None,
    outbox: Outbox | None = None,
    worker_options: WorkerOptions | None = None,
    telegram_request: BaseRequest | None = None,
    telegram_rate_limit: bool = True,
    engine: EngineFactory | None = None,
    index_poll_interval: float = 3.0,
    metrics: Metrics | None = None,
    answer_processes: int = 0,
    with_desk: bool = False,
) -> Starlette:
    """Build the ASGI app. Keyword arguments replace parts for tests: `assistant` (fixed, no index
    reload), `database`, `channels`, `inbox`/`outbox` (e.g. faster backoff), `worker_options`.
    `answer_processes` > 0 computes answers in that many child processes (what `lawbot serve` does:
    the event loop then never waits for retrieval); 0 computes them in threads of this process.
    `with_desk` mounts the staff desk at /staff (what `lawbot serve` does) unless `desk_app` is given."""
    quiet_token_loggers()
    database = database or Database(settings.database_url)
    outbox = outbox or Outbox(database)
    inbox = inbox or Inbox(database)
    metrics = metrics or Metrics()
    if channels is None:
        channels = build_channels(
            settings, telegram_request=telegram_request, telegram_rate_limit=telegram_rate_limit
        )
    current: Current[AssistantLike] = Current(
        Loaded("external", None, assistant) if assistant is not None else None
    )

    def enqueue(
        channel: Channel, chat_id: str, payload: OutboxPayload, inbox_id: int | None = None
    ) -> bool:
        return outbox.reply_to_update(inbox_id, channel.value, chat_id, payload)

    contacts = {"hotline": settings.hotline, "legal_aid_contact": settings.legal_aid_contact}
    workers = Workers(
        inbox=inbox,
        outbox=outbox,
        channels=channels,
        assistant=lambda: current.value,
        enqueue=enqueue,
        notices={
            Notice.PROTECTED_USER: core_texts.PROTECTED_USER.format(**contacts),
            Notice.NOT_TEXT: channel_texts.NOT_TEXT,
            Notice.INTERNAL_ERROR: core_texts.ERROR.format(**contacts),
        },
        metrics=metrics,
        options=dataclasses.replace(
            worker_options or WorkerOptions(),
            bulk_per_second={"telegram": settings.bulletin_rate_telegram, "zalo": settings.bulletin_rate_zalo},
        ),
        ready=lambda: current.loaded is not None,
        staff_chat=(settings.staff_telegram_chat_id if Channel.TELEGRAM in channels else None),
        desk_url=f"{settings.public_url.rstrip('/')}/staff" if settings.public_url else None,
        poller_lock=lambda channel: PollerLock(database, channel),  # several workers: one polls each channel
    )
    intake = Intake(
        inbox, metrics, {c: a.parse for c, a in channels.items()}, on_stored=workers.wake_inbox
    )
    rt = Runtime(settings, database, inbox, outbox, metrics, channels, current, workers, intake)
    if assistant is None:
        if engine is not None:
            factory = engine
        elif answer_processes > 0:
            from bot.runtime.answer_pool import pooled_engine

            factory = pooled_engine(answer_processes)
        else:
            factory = index_engine
        rt.watcher = IndexWatcher(
            settings.index_dir,
            current,
            factory(settings, database, outbox),
            metrics,
            interval=index_poll_interval,
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await _start(rt)
        try:
            yield
        finally:
            await _stop(rt)

    routes: list[BaseRoute] = [
        *webhook_routes(channels, intake, metrics, settings.max_body_bytes),
        Route("/healthz", _health, methods=["GET"]),
        Route("/metrics", _metrics, methods=["GET"]),
    ]
    if desk_app is None and with_desk:
        desk_app = _desk(settings, database, outbox, channels, current)
    if desk_app is not None:
        routes.append(Mount("/staff", app=desk_app, name="staff"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.lawbot = rt
    return app


def _desk(
    settings: Settings,
    database: Database,
    outbox: Outbox,
    channels: dict[Channel, ChannelAdapter],
    current: Current[AssistantLike],
) -> ASGIApp:
    """The staff desk over the app's database and outbox; articles come from the serving index."""
    from bot.desk import build_desk
    from bot.desk.notify import StaffNotifier
    from bot.storage.tickets import SqlTicketStore

    def article_lookup(article_id: str) -> Any:
        loaded = current.loaded
        lookup = getattr(loaded.value, "article", None) if loaded is not None else None
        return lookup(article_id) if lookup is not None else None

    notifier = None
    if settings.staff_telegram_chat_id and Channel.TELEGRAM in channels:
        desk_url = f"{settings.public_url.rstrip('/')}/staff" if settings.public_url else None
        notifier = StaffNotifier(
            database, settings.staff_telegram_chat_id, desk_url=desk_url, outbox=outbox
        )
    # Approved FAQ entries are written to settings.faq_dir; the serving FAQ reloads itself from
    # there (ReloadingFaqSearch), so approval needs no hook and no restart.
    return build_desk(
        database,
        settings=settings,
        notifier=notifier,
        article_lookup=article_lookup,
        tickets=SqlTicketStore(database, outbox=outbox),
    )


async def _start(rt: Runtime) -> None:
    await anyio.to_thread.run_sync(rt.database.migrate)
    if rt.watcher is not None:
        outcome = await rt.watcher.reload()
        if outcome == "refused":
            raise StartupError(
                f"the index in {rt.settings.index_dir} was built with another embedder than "
                f"LAWBOT_EMBEDDER={rt.settings.embedder}: rebuild it or change the setting"
            )
        if rt.current.loaded is None:
            log.error(
                "no usable index in %s (%s): messages wait in the inbox until CURRENT points at "
                "a good build (/healthz answers 503 meanwhile)",
                rt.settings.index_dir,
                rt.watcher.problem,
            )
    started: list[ChannelAdapter] = []
    try:
        for adapter in rt.channels.values():
            await adapter.start(rt.settings.public_url)
            started.append(adapter)
    except BaseException:
        for adapter in started:
            await adapter.stop()
        raise
    if not rt.channels:
        log.warning("no channel is configured: set LAWBOT_TELEGRAM_TOKEN and/or LAWBOT_ZALO_TOKEN")
    polling = rt.settings.public_url is None
    await rt.workers.start(rt.intake if polling else None)
    if rt.watcher is not None:
        stopping = asyncio.Event()
        rt.watcher.install_sighup()
        task = asyncio.create_task(rt.watcher.run(stopping), name="lawbot-index-watch")
        task.stopping = stopping  # type: ignore[attr-defined]
        rt.tasks.append(task)
    rt.started = True
    log.info(
        "lawbot started: %s mode, channels %s, index %s",
        rt.mode,
        sorted(c.value for c in rt.channels) or "none",
        rt.current.build_id,
    )


async def _stop(rt: Runtime) -> None:
    for task in rt.tasks:
        task.stopping.set()  # type: ignore[attr-defined]
    if rt.watcher is not None:
        rt.watcher.remove_sighup()
    await asyncio.gather(*rt.tasks, return_exceptions=True)
    await rt.workers.stop()
    for adapter in rt.channels.values():
        await adapter.stop()
    if rt.watcher is not None:
        await rt.watcher.close()  # e.g. stop the answer processes
    rt.started = False
    log.info("lawbot stopped")
