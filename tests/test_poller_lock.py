"""Several workers without a public URL: exactly one polls each channel, and another takes over when it dies."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import bot.runtime.workers as workers_module
from bot.core.models import Channel
from bot.runtime.intake import Intake
from bot.runtime.metrics import Metrics
from bot.runtime.workers import WorkerOptions, Workers
from bot.storage.db import Database
from bot.storage.inbox import Inbox
from bot.storage.outbox import Outbox
from bot.storage.poller_lock import PollerLock


def test_one_holder_per_channel_on_postgresql_and_always_granted_on_sqlite(db: Database) -> None:
    first, second = PollerLock(db, "telegram"), PollerLock(db, "telegram")
    other_channel = PollerLock(db, "zalo")
    assert first.try_acquire()
    assert other_channel.try_acquire()  # one lock per channel
    if db.dialect == "postgresql":
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire()  # free again once the holder lets go
    else:
        assert second.try_acquire()  # SQLite serves one worker: nothing to coordinate
    for lock in (first, second, other_channel):
        lock.release()


class CountingPoller:
    """A channel adapter at the network boundary: records which worker polls, until told to stop."""

    channel = Channel.TELEGRAM

    def __init__(self, name: str, polling: list[str]) -> None:
        self.name, self.polling = name, polling

    async def poll(self, sink: Any, stopping: asyncio.Event) -> None:
        self.polling.append(self.name)
        await stopping.wait()


def _workers(db: Database, name: str, polling: list[str]) -> Workers:
    return Workers(
        inbox=Inbox(db),
        outbox=Outbox(db),
        channels={Channel.TELEGRAM: CountingPoller(name, polling)},  # type: ignore[dict-item]
        assistant=lambda: None,  # type: ignore[arg-type,return-value]
        enqueue=lambda *a: None,
        notices={},
        metrics=Metrics(),
        options=WorkerOptions(worker_id=name, idle_poll=0.05, drain_timeout=2.0),
        poller_lock=lambda channel: PollerLock(db, channel),
    )


async def _until(condition: Any, timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


@pytest.mark.postgres
async def test_two_workers_poll_once_and_the_second_takes_over(
    postgres_database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers_module, "POLLER_LOCK_RETRY", 0.1)
    db = Database(postgres_database())
    db.migrate()
    polling: list[str] = []
    intake = Intake(Inbox(db), Metrics())
    first, second = _workers(db, "w1", polling), _workers(db, "w2", polling)
    await first.start(intake)
    assert await _until(lambda: polling == ["w1"])
    await second.start(intake)
    await asyncio.sleep(0.5)  # several retries of the second worker: it must not poll meanwhile
    assert polling == ["w1"]
    await first.stop()  # the first worker goes away: its lock is released
    assert await _until(lambda: polling == ["w1", "w2"])
    await second.stop()
    db.dispose()
