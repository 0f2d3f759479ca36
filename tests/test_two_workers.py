"""Scale-out: two `lawbot serve` processes on one PostgreSQL behind "a proxy" (updates spread over both,
some delivered to both); the fake Telegram server must see exactly one reply per update."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot.storage.db import Database
from bot.storage.inbox import Inbox
from bot.storage.outbox import Outbox
from bot.storage.schema import InboxRecord, OutboxRecord, Ticket
from tests.auxil.fake_telegram import FakeTelegram, private_message
from tests.auxil.live_server import free_port
from tests.auxil.mini_index import build_mini_index
from tests.auxil.platform import deliver
from tests.auxil.serve_process import TG_HEADERS, lawbot_serve, serve_env
from tests.auxil.waiting import WaitTimeout, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

UPDATES = 160
QUESTIONS = [
    "Nghỉ phép hằng năm được mấy ngày?",
    "Thử việc tối đa bao nhiêu ngày?",
    "Làm thêm giờ tối đa bao nhiêu giờ một năm?",
    "Nghỉ thai sản được mấy tháng?",
    "/canbo",
]


async def _post_all(urls: list[str], updates: list[dict], replay_every: int) -> list[int]:
    """Spread updates over the workers at a modest rate; every `replay_every`-th one goes to both
    (a retried delivery landing on the other worker). Retries on 5xx like the platform does."""
    statuses: list[int] = []
    rng = random.Random(7)
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def post(url: str, update: dict) -> None:
            await deliver(
                client, f"{url}/webhooks/telegram", update, TG_HEADERS,
                deadline=10, on_status=statuses.append,
            )

        tasks = []
        for n, update in enumerate(updates):
            targets = urls if n % replay_every == 0 else [rng.choice(urls)]
            tasks += [asyncio.create_task(post(url, update)) for url in targets]
            await asyncio.sleep(0.02)  # not a wait: the pace of the load, ~50 updates/s
        await asyncio.gather(*tasks)
    return statuses


def _handled(url: str) -> int:
    """Replies this worker produced (lawbot_replies_total summed over kinds)."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return int(sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("lawbot_replies_total{")
    ))


def test_two_serve_processes_on_one_postgres_lose_nothing_and_send_once(
    postgres_database: Callable[[], str], tmp_path: Path
) -> None:
    url = postgres_database()
    db = Database(url)
    db.migrate()  # as `lawbot db migrate` does before the workers start
    index_dir = tmp_path / "index"
    build_mini_index(index_dir)
    tg = FakeTelegram()
    users = [7000 + n for n in range(UPDATES)]
    updates = [
        private_message(700_000 + n, QUESTIONS[n % len(QUESTIONS)], user_id=u)
        for n, u in enumerate(users)
    ]
    try:
        with tg.running() as tg_url:
            env = serve_env(url, index_dir, tg_url)
            with (
                lawbot_serve(env, free_port(), tmp_path / "w1", name="w1") as w1,
                lawbot_serve(env, free_port(), tmp_path / "w2", name="w2") as w2,
            ):
                started = time.monotonic()
                statuses = asyncio.run(_post_all([w1.url, w2.url], updates, replay_every=5))
                with contextlib.suppress(WaitTimeout):  # the asserts below say what is missing
                    wait_until(lambda: len({str(p["chat_id"]) for p in tg.sent()}) >= UPDATES,
                               "a reply to every chat", timeout=90, interval=0.2)
                elapsed = time.monotonic() - started
                # both workers idle: every update handled, every reply sent (a duplicate is out)
                wait_until(lambda: Inbox(db).backlog() == 0 and Outbox(db).backlog() == 0,
                           "the shared inbox and outbox to be empty", timeout=30, interval=0.2)
                logs = w1.log() + w2.log()
                handled = [_handled(w.url) for w in (w1, w2)]
            per_chat: dict[str, int] = {}
            for p in tg.sent():
                per_chat[str(p["chat_id"])] = per_chat.get(str(p["chat_id"]), 0) + 1
        lost = [u for u in users if per_chat.get(str(u), 0) == 0]
        duplicated = {c: n for c, n in per_chat.items() if n > 1}
        print(f"\n{UPDATES} updates over 2 workers: {elapsed:.1f} s, lost {len(lost)}, "
              f"duplicated {len(duplicated)}")
        assert lost == [], f"{len(lost)} lost, e.g. {lost[:5]}\n{logs[-2000:]}"
        assert duplicated == {}
        assert all(s == 200 for s in statuses), sorted(set(statuses))

        with db.session(readonly=True) as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(InboxRecord)) == UPDATES
            tickets = s.scalar(sa.select(sa.func.count()).select_from(Ticket))
            backlog = s.scalar(
                sa.select(sa.func.count()).where(OutboxRecord.status.in_(("pending", "sending")))
            )
        assert tickets == UPDATES // len(QUESTIONS)  # every /canbo got its ticket, once
        assert backlog == 0
        assert all(n > 0 for n in handled), handled  # both workers took a share of the work
        assert sum(handled) == UPDATES
    finally:
        db.dispose()


def test_load_run_with_two_workers_gives_zero_lost_and_zero_duplicated(
    postgres_database: Callable[[], str], tmp_path: Path
) -> None:
    """The channels' load script itself (scripts/load_webhooks.py), with --workers 2 on PostgreSQL."""
    index_dir = tmp_path / "index"
    build_mini_index(index_dir)
    output = tmp_path / "load.json"
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, str(repo / "scripts" / "load_webhooks.py"), "--workers", "2",
         "--database-url", postgres_database(), "--index-dir", str(index_dir),
         "--rate", "20", "--seconds", "6", "--settle", "120", "--output", str(output)],
        cwd=repo, capture_output=True, text=True, timeout=400,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(output.read_text())
    assert result["updates"] == 120 and result["workers"] == 2
    assert (result["lost"], result["duplicated"], result["failed_acks"]) == (0, 0, 0)
