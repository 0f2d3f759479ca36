"""Background workers of one process: inbox -> assistant -> outbox, outbox -> platforms, and pollers.

Work is claimed from the database (SKIP LOCKED on PostgreSQL), so any number of processes can
run these loops side by side. Each update is answered once: its answer is queued in the transaction
that marks it done. The outbox loop is the one place that retries a send (clients never retry
inside a call), part by part, so a retry sends only what the platform has not accepted yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import anyio.to_thread

from bot.channels import texts
from bot.channels.base import ChannelAdapter, DeliveryError
from bot.channels.events import (
    ButtonEvent,
    Event,
    IgnoredEvent,
    Notice,
    NoticeEvent,
    TextEvent,
    event_chat,
)
from bot.core.backoff import Backoff
from bot.core.models import ButtonAction, Channel, IncomingMessage, Reply, ReplyKind
from bot.core.payload import OutboxPayload
from bot.runtime.intake import Intake
from bot.runtime.metrics import Metrics
from bot.runtime.pacing import Pacer

log = logging.getLogger(__name__)


class AssistantLike(Protocol):
    def handle(self, msg: IncomingMessage, max_chars: int) -> Reply: ...

    def handle_button(
        self,
        channel: Channel,
        user_id: str,
        chat_id: str,
        action: ButtonAction,
        max_chars: int,
        inbox_id: int | None = None,
        ref: str | None = None,
    ) -> Reply: ...


class InboxQueue(Protocol):
    def claim(self, limit: int, worker_id: str) -> list[Any]: ...

    def done(self, id: int) -> Any: ...

    def failed(self, id: int, error: str) -> Any: ...


class OutboxQueue(Protocol):
    def claim_due(self, limit: int, worker_id: str) -> list[Any]: ...

    def part_sent(self, id: int, parts: int) -> None: ...

    def sent(self, id: int) -> None: ...

    def retry(self, id: int, error: str, retry_after: float | None = None) -> Any: ...

    def failed_permanently(self, id: int, error: str) -> None: ...


# Queues a fixed channel message: (channel, chat_id, payload, inbox_id) -> queued; runs in a
# thread. With an inbox id, the update is marked done in the same transaction (False: it was
# answered already, nothing queued).
Enqueue = Callable[[Channel, str, OutboxPayload, "int | None"], bool]

# database down while claiming: wait and try again
CLAIM_BACKOFF = Backoff(base=1.0, cap=10.0, jitter=0.0)
# marking work done must survive a short database hiccup, or the work is done twice
DB_BACKOFF = Backoff(base=0.2, cap=5.0, jitter=0.0)
DB_ATTEMPTS = 6


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


POLLER_LOCK_RETRY = 5.0  # seconds before a waiting worker tries to take over polling


class PollerLockLike(Protocol):
    def try_acquire(self) -> bool: ...

    def release(self) -> None: ...


@dataclass
class WorkerOptions:
    worker_id: str = ""
    inbox_batch: int = 32
    outbox_batch: int = 64
    handle_concurrency: int = 2  # answers computed at once (threads, or calls into answer processes)
    send_concurrency: int = 32  # network-bound sends: many chats at once
    idle_poll: float = 0.5  # seconds between database checks when nobody woke us
    typing_delay: float = 0.3  # show "typing…" only if the answer is not ready by then
    typing_every: float = 4.5  # Telegram shows a chat action for 5 s
    drain_timeout: float = 15.0  # graceful shutdown: finish in-flight work for at most this long
    # bulletins (bulk outbox rows): message starts per second per channel in this process (0 = unpaced)
    bulk_per_second: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"telegram": 20.0, "zalo": 10.0}
    )


class Workers:
    """Starts and stops the loops; `wake_inbox`/`wake_outbox` cut the idle wait short."""

    def __init__(
        self,
        *,
        inbox: InboxQueue,
        outbox: OutboxQueue,
        channels: Mapping[Channel, ChannelAdapter],
        assistant: Callable[[], AssistantLike],
        enqueue: Enqueue,
        notices: Mapping[Notice, str],
        metrics: Metrics,
        options: WorkerOptions | None = None,
        ready: Callable[[], bool] = lambda: True,
        staff_chat: str | None = None,
        desk_url: str | None = None,
        poller_lock: Callable[[str], PollerLockLike] | None = None,
    ) -> None:
        """`ready()`: False while no index is loaded (updates then wait in the inbox).
        `staff_chat`: Telegram chat told about each new urgent ticket (no citizen data).
        `poller_lock(channel)`: the lock that lets one worker of several poll a channel."""
        self.poller_lock = poller_lock
        self.inbox = inbox
        self.ready = ready
        self.staff_chat = staff_chat
        self.desk_url = desk_url
        self.outbox = outbox
        self.channels = dict(channels)
        self.assistant = assistant
        self.enqueue = enqueue
        self.notices = dict(notices)
        self.metrics = metrics
        self.options = options or WorkerOptions()
        self.worker_id = self.options.worker_id or default_worker_id()
        self._inbox_wake = asyncio.Event()
        self._outbox_wake = asyncio.Event()
        self._stopping = asyncio.Event()  # stop claiming new updates
        self._outbox_stopping = asyncio.Event()
        self._handle_slots = asyncio.Semaphore(self.options.handle_concurrency)
        self._send_slots = asyncio.Semaphore(self.options.send_concurrency)
        self._pacer = Pacer(self.options.bulk_per_second)
        self._inbox_task: asyncio.Task[None] | None = None
        self._outbox_task: asyncio.Task[None] | None = None
        self._pollers: list[asyncio.Task[None]] = []
        # looks at the database each loop finished (a test seam: "the worker has looked again")
        self.inbox_looks = 0
        self.outbox_looks = 0

    # --- lifecycle ---------------------------------------------------------------------------

    def wake_inbox(self) -> None:
        self._inbox_wake.set()

    def wake_outbox(self) -> None:
        self._outbox_wake.set()

    async def start(self, intake: Intake | None = None) -> None:
        """Start the inbox and outbox loops, and one poller per channel when `intake` is given."""
        self._inbox_task = asyncio.create_task(self._inbox_loop(), name="lawbot-inbox")
        self._outbox_task = asyncio.create_task(self._outbox_loop(), name="lawbot-outbox")
        if intake is not None:
            for channel, adapter in self.channels.items():
                task = asyncio.create_task(
                    self._poll_when_holding_lock(channel, adapter, intake),
                    name=f"lawbot-poll-{channel}",
                )
                self._pollers.append(task)

    async def _poll_when_holding_lock(self, channel: Channel, adapter: ChannelAdapter, intake: Intake) -> None:
        """Poll while this worker holds the channel's lock; the others wait and take over if it dies.
        Two getUpdates loops on one bot would fight (Telegram answers 409 Conflict to the second)."""
        if self.poller_lock is None:
            await adapter.poll(intake.sink(channel), self._stopping)
            return
        lock = self.poller_lock(str(channel))
        retry = Backoff(base=POLLER_LOCK_RETRY, cap=POLLER_LOCK_RETRY)
        attempt = 0
        while not self._stopping.is_set():
            try:
                held = await asyncio.to_thread(lock.try_acquire)
            except Exception as exc:  # database down: try again later
                log.warning("poller lock for %s unavailable (%s)", channel, type(exc).__name__)
                held = False
            if held:
                log.info("this worker polls %s", channel)
                try:
                    await adapter.poll(intake.sink(channel), self._stopping)
                finally:
                    await asyncio.to_thread(lock.release)
                return
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), retry.delay(attempt))

    async def stop(self) -> None:
        """Graceful: stop polling and claiming, finish the claimed updates, send what they produced."""
        self._stopping.set()
        self._inbox_wake.set()
        for task in self._pollers:
            task.cancel()  # a long poll in progress loses nothing: unconfirmed updates come again
        await asyncio.gather(*self._pollers, return_exceptions=True)
        deadline = time.monotonic() + self.options.drain_timeout
        if self._inbox_task is not None:
            await self._finish(self._inbox_task, deadline)
        self._outbox_stopping.set()
        self._outbox_wake.set()
        if self._outbox_task is not None:
            await self._finish(self._outbox_task, deadline)

    @staticmethod
    async def _finish(task: asyncio.Task[None], deadline: float) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(task), max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            log.warning(
                "%s did not drain in time; claimed work will be retried later", task.get_name()
            )
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except Exception:
            log.exception("%s crashed", task.get_name())

    async def _idle(self, wake: asyncio.Event, stop: asyncio.Event) -> None:
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), self.options.idle_poll)
        wake.clear()

    # --- inbox -------------------------------------------------------------------------------

    async def _inbox_loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            if not self.ready():
                self.inbox_looks += 1
                await self._idle(self._inbox_wake, self._stopping)
                continue
            try:
                rows = await anyio.to_thread.run_sync(
                    self.inbox.claim, self.options.inbox_batch, self.worker_id
                )
                failures = 0
                self.inbox_looks += 1
            except Exception as exc:  # database down: wait and try again
                failures += 1
                log.warning("inbox claim failed (%s)", type(exc).__name__)
                await asyncio.sleep(CLAIM_BACKOFF.delay(failures))
                continue
            if not rows:
                await self._idle(self._inbox_wake, self._stopping)
                continue
            await self.process_inbox(rows)

    async def process_inbox(self, rows: Iterable[Any]) -> None:
        """Handle claimed updates: one chat's updates in order, different chats in parallel."""
        by_chat: dict[tuple[str, str], list[tuple[Any, Event | Exception]]] = {}
        for row in rows:
            event: Event | Exception
            try:
                event = self._adapter(row.channel).parse(row.payload)
            except Exception as exc:
                event = exc
            chat = event_chat(event) if not isinstance(event, Exception) else None
            by_chat.setdefault((str(row.channel), chat or f"row-{row.id}"), []).append((row, event))
        await asyncio.gather(*(self._handle_chat(items) for items in by_chat.values()))

    def _adapter(self, channel: Any) -> ChannelAdapter:
        adapter = self.channels.get(Channel(str(channel)))
        if adapter is None:
            raise LookupError(f"channel {channel} is not enabled in this process")
        return adapter

    async def _handle_chat(self, items: list[tuple[Any, Event | Exception]]) -> None:
        for row, event in items:
            try:
                if isinstance(event, Exception):
                    raise event
                await self._handle_event(row.channel, row.id, event)
            except Exception as exc:
                self.metrics.handling_errors.labels(str(row.channel)).inc()
                log.exception("inbox update %s failed", row.id)
                # None: the answer was recorded (and the update done) before the error
                retrying = await self._db(
                    self.inbox.failed, row.id, f"{type(exc).__name__}: {exc}"[:500]
                )
                chat = event_chat(event) if not isinstance(event, Exception) else None
                if retrying is False and chat is not None:
                    await self._apologise(row.channel, chat)
            else:
                # usually a no-op (recording the answer marked it done); needed for ignored updates
                await self._db(self.inbox.done, row.id)
            self.wake_outbox()

    async def _apologise(self, channel: Any, chat_id: str) -> None:
        """The update will not be retried: tell the citizen rather than stay silent."""
        try:
            await anyio.to_thread.run_sync(
                self.enqueue,
                Channel(str(channel)),
                chat_id,
                OutboxPayload.info(self.notices[Notice.INTERNAL_ERROR]),
                None,
            )
        except Exception as exc:
            log.error("could not queue the apology (%s)", type(exc).__name__)

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a storage call in a thread, retrying a short database hiccup; None if it never worked."""
        for attempt in range(1, DB_ATTEMPTS + 1):
            try:
                return await anyio.to_thread.run_sync(fn, *args)
            except Exception as exc:
                if attempt == DB_ATTEMPTS:
                    log.error(
                        "%s(%s) failed for good (%s)", fn.__name__, args[0], type(exc).__name__
                    )
                    return None
                await asyncio.sleep(DB_BACKOFF.delay(attempt))
        return None

    async def _handle_event(self, channel: Any, inbox_id: int, event: Event) -> None:
        """Answer one update; the answer is queued in the transaction that marks `inbox_id` done."""
        adapter = self._adapter(channel)
        if isinstance(event, IgnoredEvent):
            return
        if isinstance(event, NoticeEvent):
            payload = OutboxPayload.info(
                self.notices[event.notice], urgent=event.notice == Notice.PROTECTED_USER
            )
            await anyio.to_thread.run_sync(
                self.enqueue, adapter.channel, event.chat_id, payload, inbox_id
            )
            return
        if isinstance(event, ButtonEvent):
            await adapter.ack_button(event.callback_id)
            if event.action is None:
                return
            action = event.action
            reply = await self._answer(
                adapter,
                event.chat_id,
                lambda a: a.handle_button(
                    adapter.channel,
                    event.user_id,
                    event.chat_id,
                    action,
                    adapter.max_chars,
                    inbox_id=inbox_id,
                    ref=event.ref,
                ),
            )
        else:
            assert isinstance(event, TextEvent)
            self.metrics.messages_received.labels(adapter.channel.value).inc()
            message = dataclasses.replace(event.message, inbox_id=inbox_id)
            reply = await self._answer(
                adapter, message.chat_id, lambda a: a.handle(message, adapter.max_chars)
            )
        self.metrics.replies.labels(adapter.channel.value, reply.kind.value).inc()
        if reply.kind == ReplyKind.ESCALATED:
            self.metrics.escalations.labels(adapter.channel.value).inc()
        if reply.urgent and reply.ticket_id is not None and self.staff_chat:
            await self._notify_staff(adapter.channel, reply.ticket_id)

    async def _notify_staff(self, channel: Channel, ticket_id: int) -> None:
        text = texts.STAFF_URGENT.format(
            ticket_id=ticket_id,
            channel=channel.value.capitalize(),
            desk_url=self.desk_url or "/staff",
        )
        payload = OutboxPayload.info(text, ticket_id=ticket_id)
        try:
            assert self.staff_chat is not None
            await anyio.to_thread.run_sync(
                self.enqueue, Channel.TELEGRAM, self.staff_chat, payload, None
            )
        except Exception as exc:  # the citizen's answer matters more than the staff ping
            log.error("could not queue the staff notification (%s)", type(exc).__name__)

    async def _answer(
        self, adapter: ChannelAdapter, chat_id: str, call: Callable[[AssistantLike], Reply]
    ) -> Reply:
        """Run the CPU-bound assistant in a thread (on the assistant current *now*: an index switch
        during the call does not affect it), with a typing indicator while it works."""
        async with self._handle_slots:
            # typing only while the answer is actually being worked on, not while it queues
            typing = asyncio.create_task(self._typing(adapter, chat_id))
            started = time.perf_counter()
            try:
                assistant = self.assistant()  # taken when the work starts, used to the end
                return await anyio.to_thread.run_sync(call, assistant)
            finally:
                typing.cancel()
                self.metrics.reply_latency.labels(adapter.channel.value).observe(
                    time.perf_counter() - started
                )

    async def _typing(self, adapter: ChannelAdapter, chat_id: str) -> None:
        await asyncio.sleep(self.options.typing_delay)
        while True:
            await adapter.typing(chat_id)
            await asyncio.sleep(self.options.typing_every)

    # --- outbox ------------------------------------------------------------------------------

    async def _outbox_loop(self) -> None:
        failures = 0
        while True:
            try:
                rows = await anyio.to_thread.run_sync(
                    self.outbox.claim_due, self.options.outbox_batch, self.worker_id
                )
                failures = 0
                self.outbox_looks += 1
            except Exception as exc:
                if self._outbox_stopping.is_set():
                    return
                failures += 1
                log.warning("outbox claim failed (%s)", type(exc).__name__)
                await asyncio.sleep(CLAIM_BACKOFF.delay(failures))
                continue
            if rows:
                await self.deliver(rows)
            elif self._outbox_stopping.is_set():
                return  # drained: everything due has been tried once more
            else:
                await self._idle(self._outbox_wake, self._outbox_stopping)

    async def deliver(self, rows: Iterable[Any]) -> None:
        """Send claimed messages: one chat's messages in order, different chats in parallel."""
        by_chat: dict[tuple[str, str], list[Any]] = {}
        for row in rows:
            by_chat.setdefault((str(row.channel), str(row.chat_id)), []).append(row)
        await asyncio.gather(*(self._deliver_chat(items) for items in by_chat.values()))

    async def _deliver_chat(self, rows: list[Any]) -> None:
        async with self._send_slots:
            for i, row in enumerate(rows):
                outcome = await self._send(row)
                if outcome == "retry":
                    # keep the chat's order: later messages wait for the earlier one
                    for later in rows[i + 1 :]:
                        await self._db(
                            self.outbox.retry, later.id, "waiting for an earlier message"
                        )
                    return

    async def _send(self, row: Any) -> str:
        channel = str(row.channel)

        async def part_sent(done: int, total: int) -> None:
            # the last part is recorded by sent(); earlier ones here, so a retry skips them
            if done < total:
                await self._db(self.outbox.part_sent, row.id, done)

        try:
            adapter = self._adapter(channel)
            if getattr(row, "bulk", False):
                await self._pacer.wait(channel)
            await adapter.send(
                str(row.chat_id),
                OutboxPayload.from_json(row.payload),
                skip=int(getattr(row, "parts_sent", 0) or 0),
                progress=part_sent,
            )
        except DeliveryError as exc:
            if exc.permanent:
                log.error("outbox %s: giving up (%s)", row.id, exc)
                await self._db(self.outbox.failed_permanently, row.id, str(exc)[:500])
                self.metrics.deliveries.labels(channel, "failed").inc()
                return "failed"
            # An unknown outcome (timed out waiting for the platform) is retried like any other
            # temporary failure: at-least-once. A lost answer to a legal question costs more than
            # a duplicate; the timeouts are long enough that only a platform slower than them
            # (or a kill between its answer and our commit) can produce one.
            outcome = "unknown" if exc.unknown else "retry"
            log.warning("outbox %s: will retry (%s, outcome %s)", row.id, exc, outcome)
            await self._db(self.outbox.retry, row.id, str(exc)[:500], exc.retry_after)
            self.metrics.deliveries.labels(channel, outcome).inc()
            return "retry"
        except Exception as exc:  # a bug or a disabled channel: retry later rather than lose it
            log.exception("outbox %s: unexpected error", row.id)
            await self._db(self.outbox.retry, row.id, f"{type(exc).__name__}: {exc}"[:500])
            self.metrics.deliveries.labels(channel, "retry").inc()
            return "retry"
        await self._db(self.outbox.sent, row.id)
        self.metrics.deliveries.labels(channel, "sent").inc()
        created = getattr(row, "created_at", None)
        if isinstance(created, dt.datetime):
            if created.tzinfo is None:
                created = created.replace(tzinfo=dt.UTC)
            waited = (dt.datetime.now(dt.UTC) - created).total_seconds()
            self.metrics.delivery_latency.labels(channel).observe(max(0.0, waited))
        return "sent"
