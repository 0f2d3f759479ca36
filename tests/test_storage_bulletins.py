"""Subscriptions and bulletins on SQLite and PostgreSQL: who a bulletin reaches, once each (double send,
a send that crashed half-way, two senders at once), over-limit text refused with nothing queued,
unsubscribing withdraws what is still queued, /xoadulieu removes the subscription, and bulletins
never hold up answers to citizens in the outbox."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from bot.channels.preview import fits, measure
from bot.core.models import Channel
from bot.core.payload import OutboxPayload
from bot.core.subscriptions import Subscription
from bot.storage.bulletins import BulletinDraft, BulletinStore, TooLong
from bot.storage.db import Database
from bot.storage.erase import erase_user
from bot.storage.outbox import Outbox
from bot.storage.schema import BulletinDelivery, OutboxRecord, Subscriber
from bot.storage.subscriptions import SqlSubscriptionStore

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
BODY = (
    "Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động được nghỉ hằng năm, hưởng "
    "nguyên lương: 12 ngày làm việc với công việc trong điều kiện bình thường."
)


def leave_bulletin(**kw: object) -> BulletinDraft:
    values: dict[str, object] = {"title": "Nghỉ hằng năm", "body": BODY, "topics": ("lao-dong",)}
    values.update(kw)
    return BulletinDraft(**values)  # type: ignore[arg-type]


def people(db: Database) -> SqlSubscriptionStore:
    """tg 1: labour; tg 2: labour in Tân Phú; zalo a: labour + land in Tân Phú; zalo b: land only."""
    subs = SqlSubscriptionStore(db)
    subs.subscribe(Channel.TELEGRAM, "1", "1", ["lao-dong"], None)
    subs.subscribe(Channel.TELEGRAM, "2", "2", ["lao-dong"], "Xã Tân Phú")
    subs.subscribe(Channel.ZALO, "a", "a", ["lao-dong", "dat-dai"], "xa tan phu")
    subs.subscribe(Channel.ZALO, "b", "b", ["dat-dai"], None)
    return subs


def queued_to(db: Database) -> list[tuple[str, str]]:
    with db.session(readonly=True) as s:
        return sorted((r.channel, r.chat_id) for r in s.scalars(sa.select(OutboxRecord)))


def test_subscribe_adds_topics_keeps_the_commune_and_is_per_channel(db: Database) -> None:
    subs = SqlSubscriptionStore(db)
    subs.subscribe(Channel.ZALO, "u", "u", ["lao-dong"], "Phường Bến Thành")
    again = subs.subscribe(Channel.ZALO, "u", "u", ["dat-dai", "lao-dong"], None)
    assert again == Subscription(("dat-dai", "lao-dong"), "Phường Bến Thành")
    assert subs.get(Channel.TELEGRAM, "u") == Subscription()
    assert subs.unsubscribe(Channel.ZALO, "u", ["dat-dai"]) == Subscription(("lao-dong",), "Phường Bến Thành")
    assert subs.unsubscribe(Channel.ZALO, "u", None) == Subscription()
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


def test_a_bulletin_reaches_exactly_the_matching_subscribers_once(db: Database) -> None:
    people(db)
    store, outbox = BulletinStore(db), Outbox(db)
    everyone = store.create(leave_bulletin())
    assert store.recipient_counts(leave_bulletin()) == {"telegram": 2, "zalo": 1}
    assert store.queue(everyone, outbox, fits) == 3
    assert store.queue(everyone, outbox, fits) == 0  # a double click
    assert queued_to(db) == [("telegram", "1"), ("telegram", "2"), ("zalo", "a")]
    local = store.create(leave_bulletin(commune="  XÃ TÂN  PHÚ"))
    assert store.queue(local, outbox, fits) == 2
    assert sorted(queued_to(db)).count(("telegram", "1")) == 1  # no commune: not in a commune's bulletin
    zalo_only = store.create(leave_bulletin(topics=("dat-dai",), channels=("zalo",)))
    assert store.queue(zalo_only, outbox, fits) == 2
    view = store.get(everyone)
    assert view is not None and view.status == "queued" and view.counts["queued"] == 3
    [item] = [i for i in outbox.claim_due(20, "w") if i.chat_id == "1"]
    assert item.bulk and item.payload.text.endswith("Gõ /huydangky để ngừng nhận tin.")


def test_a_send_that_crashed_half_way_leaves_nothing_and_the_retry_sends_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    people(db)
    store, outbox = BulletinStore(db), Outbox(db)
    bulletin = store.create(leave_bulletin())
    original, calls = Outbox.enqueue, []

    def dies_on_the_second(self: Outbox, *args: object, **kwargs: object) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Outbox, "enqueue", dies_on_the_second)
    with pytest.raises(ConnectionError):
        store.queue(bulletin, outbox, fits)
    assert queued_to(db) == []
    view = store.get(bulletin)
    assert view is not None and view.status == "draft" and view.recipients == 0
    monkeypatch.setattr(Outbox, "enqueue", original)
    assert store.queue(bulletin, outbox, fits) == 3
    assert store.queue(bulletin, outbox, fits) == 0
    assert len(queued_to(db)) == 3


def test_two_senders_at_once_queue_each_recipient_once(db: Database) -> None:
    people(db)
    store = BulletinStore(db)
    bulletin = store.create(leave_bulletin())
    barrier, added, errors = threading.Barrier(4), [], []

    def send() -> None:
        try:
            barrier.wait()
            added.append(store.queue(bulletin, Outbox(db), fits))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(added) == [0, 0, 0, 3]
    assert len(queued_to(db)) == 3


def test_a_script_rerun_with_the_same_key_is_the_same_bulletin(db: Database) -> None:
    people(db)
    store = BulletinStore(db)
    first = store.create(leave_bulletin(), key="cli:abc")
    assert store.create(leave_bulletin(), key="cli:abc") == first
    assert store.queue(first, Outbox(db), fits) == 3
    assert store.queue(store.create(leave_bulletin(), key="cli:abc"), Outbox(db), fits) == 0


@pytest.mark.parametrize(("channel", "size"), [("zalo", 2000), ("telegram", 4096)])
def test_over_the_channel_limit_is_refused_before_anything_is_queued(
    db: Database, channel: str, size: int
) -> None:
    people(db)
    store = BulletinStore(db)
    draft = leave_bulletin(channels=(channel,))
    overhead = measure(channel, draft.text) - len(draft.body)  # title, basis, unsubscribe line
    body = "x" * (size - overhead + 1)  # one over, as the platform counts
    bulletin = store.create(leave_bulletin(body=body, channels=(channel,)))
    with pytest.raises(TooLong) as refused:
        store.queue(bulletin, Outbox(db), fits)
    assert refused.value.limit == size and refused.value.length == size + 1
    assert queued_to(db) == []
    view = store.get(bulletin)
    assert view is not None and view.status == "draft"
    exactly = store.create(leave_bulletin(body=body[:-1], channels=(channel,)))
    assert store.queue(exactly, Outbox(db), fits) >= 1


def test_unsubscribing_withdraws_what_is_still_queued_and_a_resend_skips_them(db: Database) -> None:
    subs = people(db)
    store, outbox = BulletinStore(db), Outbox(db)
    bulletin = store.create(leave_bulletin())
    store.queue(bulletin, outbox, fits)
    subs.unsubscribe(Channel.TELEGRAM, "1", None)
    subs.unsubscribe(Channel.ZALO, "a", ["dat-dai"])  # still receives labour: stays queued
    assert queued_to(db) == [("telegram", "2"), ("zalo", "a")]
    subs.subscribe(Channel.TELEGRAM, "1", "1", ["lao-dong"], None)
    assert store.queue(bulletin, outbox, fits) == 0  # withdrawn once, never sent later
    view = store.get(bulletin)
    assert view is not None and view.counts["cancelled"] == 1 and view.counts["queued"] == 2


def test_delivery_counts_follow_the_outbox_and_outlive_its_purge(db: Database) -> None:
    people(db)
    store, outbox = BulletinStore(db), Outbox(db)
    bulletin = store.create(leave_bulletin())
    store.queue(bulletin, outbox, fits)
    items = {i.chat_id: i for i in outbox.claim_due(10, "w")}
    outbox.sent(items["1"].id)
    outbox.failed_permanently(items["a"].id, "zalo: user blocked the bot")
    view = store.get(bulletin)
    assert view is not None and (view.counts["sent"], view.counts["failed"], view.counts["queued"]) == (1, 1, 1)
    with db.session() as s:
        s.execute(sa.delete(OutboxRecord).where(OutboxRecord.status.in_(("sent", "failed"))))
    view = store.get(bulletin)
    assert view is not None and (view.counts["sent"], view.counts["failed"]) == (1, 1)


def test_erasing_a_citizen_removes_the_subscription_and_withdraws_queued_bulletins(db: Database) -> None:
    subs = people(db)
    store = BulletinStore(db)
    bulletin = store.create(leave_bulletin())
    store.queue(bulletin, Outbox(db), fits)
    counts = erase_user(db, "telegram", "2", now=NOW)
    assert counts["bulletins_withdrawn"] == 1
    assert subs.get(Channel.TELEGRAM, "2") == Subscription()
    assert ("telegram", "2") not in queued_to(db)
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(BulletinDelivery).where(
            BulletinDelivery.chat_id == "2")) == 0
    view = store.get(bulletin)
    assert view is not None and view.recipients == 3  # the count stays, without the person


def test_answers_to_citizens_leave_before_a_bulletin_queued_earlier(db: Database) -> None:
    people(db)
    store, outbox = BulletinStore(db), Outbox(db)
    store.queue(store.create(leave_bulletin()), outbox, fits)
    outbox.enqueue(None, "zalo", "z-99", OutboxPayload.info("Câu trả lời"))
    first = outbox.claim_due(1, "w")
    assert [i.chat_id for i in first] == ["z-99"] and not first[0].bulk
