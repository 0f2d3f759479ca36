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
from tests.auxil.waiting import await_until


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


class CountedLock:
    """The real lock, counting refusals: how the test knows a worker asked again and was told no."""

    def __init__(self, lock: PollerLock) -> None:
        self.lock, self.refused = lock, 0

    def try_acquire(self) -> bool:
        held = self.lock.try_acquire()
        self.refused += not held
        return held

    def release(self) -> None:
        self.lock.release()


def _workers(
    db: Database, name: str, polling: list[str], locks: list[CountedLock] | None = None
) -> Workers:
    def make_lock(channel: str) -> CountedLock:
        lock = CountedLock(PollerLock(db, channel))
        if locks is not None:
            locks.append(lock)
        return lock

    return Workers(
        inbox=Inbox(db),
        outbox=Outbox(db),
        channels={Channel.TELEGRAM: CountingPoller(name, polling)},  # type: ignore[dict-item]
        assistant=lambda: None,  # type: ignore[arg-type,return-value]
        enqueue=lambda *a: None,
        notices={},
        metrics=Metrics(),
        options=WorkerOptions(worker_id=name, idle_poll=0.05, drain_timeout=2.0),
        poller_lock=make_lock,
    )


@pytest.mark.postgres
async def test_two_workers_poll_once_and_the_second_takes_over(
    postgres_database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers_module, "POLLER_LOCK_RETRY", 0.1)
    db = Database(postgres_database())
    db.migrate()
    polling: list[str] = []
    intake = Intake(Inbox(db), Metrics())
    waiting: list[CountedLock] = []
    first, second = _workers(db, "w1", polling), _workers(db, "w2", polling, waiting)
    await first.start(intake)
    await await_until(lambda: polling == ["w1"], "w1 to poll")
    await second.start(intake)
    # several retries of the second worker: it must not poll meanwhile
    await await_until(
        lambda: waiting and waiting[0].refused >= 3, "w2 to be refused the lock 3 times"
    )
    assert polling == ["w1"]
    await first.stop()  # the first worker goes away: its lock is released
    await await_until(lambda: polling == ["w1", "w2"], "w2 to take over polling")
    await second.stop()
    db.dispose()
