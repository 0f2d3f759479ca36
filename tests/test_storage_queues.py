"""Inbox and outbox: de-duplication, leases, exactly-once claims with concurrent workers, backoff."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict

import pytest

from bot.core.payload import OutboxPayload
from bot.storage.db import Database
from bot.storage.inbox import Inbox
from bot.storage.outbox import Outbox
from bot.storage.queue import Backoff
from bot.storage.schema import InboxRecord, OutboxRecord
from tests.auxil.storage_builders import Clock, count

# ------------------------------------------------------------------------------------------ inbox


def test_inbox_accepts_each_update_once(db: Database) -> None:
    inbox = Inbox(db)
    assert inbox.accept("telegram", "1001", {"update_id": 1001}) is True
    assert inbox.accept("telegram", "1001", {"update_id": 1001}) is False  # webhook retried
    assert inbox.accept("zalo", "1001", {"message_id": "1001"}) is True  # other channel, other key
    assert inbox.seen("telegram", "1001") and not inbox.seen("telegram", "1002")
    assert inbox.backlog() == 2


def test_inbox_dedup_under_concurrent_identical_deliveries(db: Database) -> None:
    inbox = Inbox(db)
    n = 8
    barrier = threading.Barrier(n)
    results: list[bool] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(inbox.accept("zalo", "msg-77", {"message": {"text": "xin chào"}}))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [False] * (n - 1) + [True]
    assert count(db, InboxRecord) == 1


def test_inbox_done_forgets_the_payload_but_keeps_the_key(db: Database) -> None:
    inbox = Inbox(db)
    inbox.accept("telegram", "5", {"message": {"text": "số tôi 0912345678"}}, user_key="u1")
    [item] = inbox.claim(10, "w1")
    assert item.payload["message"]["text"] == "số tôi [số điện thoại]"  # masked as it came in
    inbox.done(item.id)
    assert inbox.claim(10, "w1") == []
    assert inbox.accept("telegram", "5", {"again": True}) is False
    with db.session(readonly=True) as s:
        row = s.get(InboxRecord, item.id)
        assert row is not None and row.payload is None and row.status == "done"


def test_inbox_lease_expiry_hands_a_dead_workers_update_to_another(db: Database) -> None:
    clock = Clock()
    inbox = Inbox(db, clock=clock)
    inbox.accept("telegram", "1", {"n": 1})
    [first] = inbox.claim(10, "worker-killed")
    assert inbox.claim(10, "worker-2") == []  # leased
    clock.advance(inbox.lease.total_seconds() + 1)
    [again] = inbox.claim(10, "worker-2")
    assert again.id == first.id and again.attempts == 2 and again.payload == {"n": 1}


def test_inbox_failures_retry_then_give_up(db: Database) -> None:
    clock = Clock()
    inbox = Inbox(db, clock=clock, max_attempts=2, rng=random.Random(1))
    inbox.accept("telegram", "1", {"n": 1})
    [item] = inbox.claim(1, "w")
    assert inbox.failed(item.id, "KeyError: 'text'") is True
    assert inbox.claim(1, "w") == []  # backing off
    clock.advance(inbox.backoff.cap)
    [item] = inbox.claim(1, "w")
    assert inbox.failed(item.id, "KeyError: 'text'") is False
    clock.advance(3600)
    assert inbox.claim(1, "w") == []
    assert inbox.backlog() == 0


def test_inbox_keeps_one_chat_in_order(db: Database) -> None:
    inbox = Inbox(db)
    for i in range(3):
        inbox.accept("zalo", f"a{i}", {"i": i}, chat_key="chat-a")
    inbox.accept("zalo", "b0", {"i": 0}, chat_key="chat-b")
    batch = inbox.claim(10, "w1")
    assert sorted(i.update_key for i in batch) == ["a0", "b0"]  # one per chat at a time
    assert inbox.claim(10, "w2") == []
    for item in batch:
        inbox.done(item.id)
    assert [i.update_key for i in inbox.claim(10, "w1")] == ["a1"]


# ----------------------------------------------------------------------------------------- outbox


def _queue(db: Database, outbox: Outbox, chat: str, text: str) -> int:
    return outbox.enqueue(None, "telegram", chat, OutboxPayload(kind="answer", text=text))


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    backoff = Backoff(base=1.0, cap=300.0, jitter=0.5)
    rng = random.Random(7)
    for attempt, full in [(1, 1), (2, 2), (3, 4), (6, 32), (12, 300), (40, 300)]:
        delays = [backoff.delay(attempt, rng) for _ in range(50)]
        assert all(full * 0.5 <= d <= full for d in delays), (attempt, min(delays), max(delays))
        assert len({round(d, 6) for d in delays}) > 1  # jittered, not lock-step


def test_outbox_retry_schedules_the_next_try(db: Database) -> None:
    clock = Clock()
    outbox = Outbox(db, clock=clock, backoff=Backoff(base=10, cap=60), max_attempts=4)
    item_id = _queue(db, outbox, "c1", "xin chào")
    waits = []
    for _ in range(3):
        [item] = outbox.claim_due(5, "w")
        due = outbox.retry(item.id, "TimedOut")
        assert due is not None
        waits.append((due - clock()).total_seconds())
        assert outbox.claim_due(5, "w") == []  # not before its time
        clock.advance((due - clock()).total_seconds())
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20 and 20 <= waits[2] <= 40
    # the platform asked us to wait longer than our backoff: its Retry-After wins
    [item] = outbox.claim_due(5, "w")
    assert item.attempts == 4
    assert (
        outbox.retry(item.id, "rate limited", retry_after=120) is None
    )  # 4th attempt was the last
    status = outbox.get(item_id)
    assert (
        status is not None
        and status["status"] == "failed"
        and status["last_error"] == "rate limited"
    )
    assert outbox.backlog() == 0


def test_outbox_honours_retry_after(db: Database) -> None:
    clock = Clock()
    outbox = Outbox(db, clock=clock, backoff=Backoff(base=1, cap=5))
    _queue(db, outbox, "c1", "x")
    [item] = outbox.claim_due(5, "w")
    due = outbox.retry(item.id, "429", retry_after=30)
    assert due is not None and (due - clock()).total_seconds() == pytest.approx(30)


def test_outbox_sent_and_permanent_failure(db: Database) -> None:
    outbox = Outbox(db)
    a = _queue(db, outbox, "c1", "a")
    b = _queue(db, outbox, "c2", "b")
    assert outbox.backlog() == 2
    claimed = {i.id for i in outbox.claim_due(10, "w")}
    assert claimed == {a, b}
    outbox.sent(a)
    outbox.failed_permanently(b, "Forbidden: bot was blocked by the user")
    assert outbox.counts() == {"pending": 0, "sending": 0, "sent": 1, "failed": 1}
    assert outbox.claim_due(10, "w") == []
    assert outbox.oldest_pending_age() is None


def test_outbox_reclaims_a_message_whose_worker_died(db: Database) -> None:
    clock = Clock()
    outbox = Outbox(db, clock=clock)
    _queue(db, outbox, "c1", "x")
    [item] = outbox.claim_due(5, "dead-worker")
    clock.advance(outbox.lease.total_seconds() - 1)
    assert outbox.claim_due(5, "w2") == []
    clock.advance(2)
    [again] = outbox.claim_due(5, "w2")
    assert again.id == item.id and again.attempts == 2


def test_outbox_keeps_one_chat_in_order_while_retrying(db: Database) -> None:
    clock = Clock()
    outbox = Outbox(db, clock=clock)
    first = _queue(db, outbox, "c1", "1")
    _queue(db, outbox, "c1", "2")
    other = _queue(db, outbox, "c2", "x")
    assert {i.id for i in outbox.claim_due(10, "w")} == {first, other}
    outbox.sent(other)
    outbox.retry(first, "platform down")
    clock.advance(3600)
    # the second message to c1 waits for the first, which is due again
    assert [i.payload.text for i in outbox.claim_due(10, "w")] == ["1"]


def _drain_concurrently(db: Database, workers: int) -> tuple[Counter[int], dict[str, list[int]]]:
    sends: Counter[int] = Counter()
    order: dict[str, list[int]] = defaultdict(list)
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def work(name: str) -> None:
        outbox = Outbox(db)
        idle = 0
        try:
            barrier.wait()
            while idle < 3:
                batch = outbox.claim_due(7, name)
                if not batch:
                    idle += 1
                    continue
                idle = 0
                for item in batch:
                    with lock:
                        sends[item.id] += 1
                        order[item.chat_id].append(int(item.payload.text[1:]))
                    outbox.sent(item.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return sends, order


def test_concurrent_workers_send_each_message_exactly_once(db: Database) -> None:
    outbox = Outbox(db)
    ids = []
    with db.session() as s:
        for seq in range(240):
            chat = f"chat{seq % 40}"
            ids.append(outbox.enqueue(s, "zalo", chat, OutboxPayload.info(f"m{seq}")))
    sends, order = _drain_concurrently(db, workers=4)
    assert set(sends) == set(ids)
    assert max(sends.values()) == 1  # nobody got a message another worker had
    assert all(seqs == sorted(seqs) for seqs in order.values())  # per-chat order held
    assert outbox.backlog() == 0
    assert count(db, OutboxRecord, OutboxRecord.status == "sent") == 240
