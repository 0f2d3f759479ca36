#!/usr/bin/env python
"""Delivery under faults, on loopback: fake Telegram + Zalo servers, `lawbot serve` in a subprocess.

Two runs, each on SQLite or PostgreSQL, each chat asking one question through its webhook:
- `kill`: the serving process (with its answer process) is killed with SIGKILL mid-flood, then
  started again on the same database; the "platform" redelivers what was not acknowledged.
- `slow`: the platforms carry out every sendMessage at once but answer only after --delay seconds.

Then it waits until every chat has its answer and the database has nothing left to do, watches for
late duplicates, and prints JSON: `lost` (chats without any reply), `duplicated` (messages, i.e.
reply parts, that reached a chat more than once) and `duplicated_chats`, plus the measured window
in which a kill produces a duplicate (platform carried out the last part -> outbox row marked sent).
`--server-repo` runs the server from another checkout (e.g. an older commit, for a before/after).

    flock /tmp/lawbot-heavy.lock python scripts/faults.py kill --chats 300 --database sqlite
    flock /tmp/lawbot-heavy.lock python scripts/faults.py slow --chats 300 --delay 20 --database postgres

Only 127.0.0.1 is contacted. Exit code 1 when a chat lost its answer or got a part twice.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.load_webhooks import (  # noqa: E402
    backlogs,
    free_port,
    pct,
    questions,
    replies,
    wait_up,
)
from tests.auxil import fake_telegram, fake_zalo  # noqa: E402
from tests.auxil.fake_telegram import FakeTelegram, private_message  # noqa: E402
from tests.auxil.fake_zalo import FakeZalo, text_event  # noqa: E402
from tests.auxil.waiting import await_until, first_within  # noqa: E402

TG_SECRET = "fault_test_secret-1"
ZALO_SECRET = "fault-test-secret-2"
HEADERS = {
    "telegram": {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
    "zalo": {"X-Bot-Api-Secret-Token": ZALO_SECRET},
}
POSTGRES_ADMIN_URL = os.environ.get(
    "LAWBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# --- the fake platforms (own process) ---------------------------------------------------------


def run_fakes(tg_port: int, zalo_port: int, delay: float) -> None:
    """Child process: serve both fake platforms until terminated; sends answered after `delay`."""
    import threading

    from tests.auxil.live_server import serve_in_thread

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    tg, zalo = FakeTelegram(), FakeZalo()
    if delay > 0:
        tg.slow(delay, methods={"sendMessage"})
        zalo.slow(delay, methods={"sendMessage"})
    with serve_in_thread(tg.app(), tg_port), serve_in_thread(zalo.app(), zalo_port):
        stop.wait()


def start_fakes(delay: float) -> tuple[subprocess.Popen[bytes], str, str]:
    tg_port, zalo_port = free_port(), free_port()
    cmd = [sys.executable, __file__, "--run-fakes", str(tg_port), str(zalo_port), str(delay)]
    return (
        subprocess.Popen(cmd, cwd=REPO),
        f"http://127.0.0.1:{tg_port}",
        f"http://127.0.0.1:{zalo_port}",
    )


# --- the database -------------------------------------------------------------------------------


def make_database(kind: str, tmp: Path) -> tuple[str, str | None]:
    """(url, name of a PostgreSQL database to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'lawbot.sqlite3'}", None
    import sqlalchemy as sa

    name = f"lawbot_faults_{secrets.token_hex(4)}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return str(sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)), name


def drop_database(name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def outbox_rows(db_url: str) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from bot.storage.db import Database
    from bot.storage.schema import OutboxRecord

    db = Database(db_url)
    try:
        with db.session(readonly=True) as s:
            return [
                {
                    "chat": r.chat_id,
                    "status": r.status,
                    "attempts": r.attempts,
                    "sent_at": r.sent_at,
                }
                for r in s.scalars(sa.select(OutboxRecord))
            ]
    finally:
        db.dispose()


# --- the server ---------------------------------------------------------------------------------


class Server:
    """`lawbot serve` in its own process group, so that SIGKILL takes its answer process too."""

    def __init__(self, args: argparse.Namespace, tg_url: str, zalo_url: str, db_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(args.server_log, "ab") if args.server_log else subprocess.DEVNULL  # noqa: SIM115
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LAWBOT_")},
            "LAWBOT_DATABASE_URL": db_url,
            "LAWBOT_INDEX_DIR": str(args.index_dir.resolve()),
            "LAWBOT_EMBEDDER": "none",
            "LAWBOT_UNDERSTANDING_EMBEDDER": "none",
            "LAWBOT_PUBLIC_URL": "https://lawbot.invalid",  # webhook mode; the fakes never call it
            "LAWBOT_TELEGRAM_TOKEN": fake_telegram.TOKEN,
            "LAWBOT_TELEGRAM_API_URL": f"{tg_url}/bot",
            "LAWBOT_TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
            "LAWBOT_ZALO_TOKEN": fake_zalo.TOKEN,
            "LAWBOT_ZALO_API_URL": zalo_url,
            "LAWBOT_ZALO_WEBHOOK_SECRET": ZALO_SECRET,
            "LAWBOT_SESSION_SECRET": "fault-run-session-secret-0123456789abcdef",
            "LAWBOT_LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(args.server_repo),
        }
        self.cwd = args.server_repo
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "bot.cli.serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.proc = subprocess.Popen(
            cmd,
            env=self.env,
            cwd=self.cwd,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        self.starts += 1

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # the web process and its answer process
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# --- traffic ------------------------------------------------------------------------------------


async def deliver(
    client: httpx.AsyncClient, url: str, channel: str, body: dict[str, Any], deadline: float
) -> int:
    """POST like the platform does: again after a 5xx or no answer, until 2xx/4xx or `deadline`."""
    while True:
        try:
            response = await client.post(
                f"{url}/webhooks/{channel}", json=body, headers=HEADERS[channel]
            )
            status = response.status_code
        except httpx.TransportError:
            status = 599
        if status < 500 or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.5)  # not a wait: the platform's pause before redelivering


async def flood(
    args: argparse.Namespace, server: Server, acked: list[int]
) -> list[tuple[str, str, int]]:
    """Post one question per chat at --rate; returns (channel, chat, final status) per chat."""
    pool = questions()
    rng = random.Random(args.seed)
    out: list[tuple[str, str, int]] = []
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    deadline = time.monotonic() + args.settle

    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(i: int) -> None:
            text = rng.choice(pool)
            if i % 2 == 0:
                channel, chat = "telegram", str(20_000_000 + i)
                body = private_message(700_000 + i, text, user_id=int(chat))
            else:
                channel, chat = "zalo", f"zf-{i}"
                body = text_event(f"zfm-{i}", text, user_id=chat)
            status = await deliver(client, server.url, channel, body, deadline)
            if status == 200:
                acked[0] += 1
            out.append((channel, chat, status))

        tasks = []
        t0 = time.monotonic()
        for i in range(args.chats):
            delay = t0 + i / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # not a wait: the pace of the flood (--rate)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return out


async def killer(args: argparse.Namespace, server: Server, acked: list[int]) -> float | None:
    """Once --kill-at of the chats were acknowledged: SIGKILL, then start the server again."""
    if args.scenario != "kill":
        return None
    await await_until(
        lambda: acked[0] >= args.kill_at * args.chats,
        f"{args.kill_at:.0%} of the chats acknowledged",
        timeout=args.settle,
        interval=0.05,
    )
    killed_at = time.monotonic()
    server.kill9()
    print(f"killed -9 after {acked[0]} acknowledged updates", file=sys.stderr)
    await asyncio.sleep(args.down)  # not a wait: how long the server stays down (--down)
    server.start()
    await wait_up([f"{server.url}/healthz"], timeout=args.startup_timeout)
    print(f"restarted in {time.monotonic() - killed_at:.1f} s", file=sys.stderr)
    return killed_at


async def main(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="lawbot-faults-"))
    db_url, pg_name = make_database(args.database, tmp)
    delay = args.delay if args.scenario == "slow" else 0.0
    fakes, tg_url, zalo_url = start_fakes(delay)
    server = Server(args, tg_url, zalo_url, db_url)
    try:
        await wait_up([f"{tg_url}/_fake/sent", f"{zalo_url}/_fake/sent"], timeout=30)
        server.start()
        await wait_up([f"{server.url}/healthz"], timeout=args.startup_timeout)
        acked = [0]
        t0 = time.monotonic()
        posted, killed_at = await asyncio.gather(
            flood(args, server, acked), killer(args, server, acked)
        )
        chats = {(channel, chat) for channel, chat, _ in posted}

        async def settled() -> bool:
            return chats <= set(await replies(tg_url, zalo_url)) and backlogs(db_url) == (0, 0)

        await first_within(settled, timeout=args.settle, interval=1.0)
        drained = time.monotonic() - t0
        # not a wait: the queues are empty; a slow platform (--delay) may still log a late send
        await asyncio.sleep(args.quiet + delay)
        got = await replies(tg_url, zalo_url)
        rows = outbox_rows(db_url)
        left = backlogs(db_url)
    finally:
        server.stop()
        fakes.terminate()
        fakes.wait(timeout=30)
        if pg_name:
            drop_database(pg_name)
    lost = sorted(c for c in chats if c not in got)
    dup_parts = {
        c: sum(n - 1 for n in Counter(m.text for m in got[c]).values()) for c in chats if c in got
    }
    # the window in which a kill duplicates a reply: the platform has the (last) part (the fakes
    # log a call when they carry it out, before a slow answer), the outbox row is not marked sent
    last_accept = {chat: max(m.wall for m in sent) for (_, chat), sent in got.items()}
    window_ms = [
        (
            r["sent_at"].replace(tzinfo=r["sent_at"].tzinfo or dt.UTC).timestamp()
            - last_accept[r["chat"]]
        )
        * 1000
        for r in rows
        if r["status"] == "sent" and r["sent_at"] is not None and r["chat"] in last_accept
    ]
    result = {
        "scenario": args.scenario,
        "database": args.database,
        "chats": args.chats,
        "platform_delay_s": delay,
        "server_starts": server.starts,
        "killed_after_s": round(killed_at - t0, 1) if killed_at is not None else None,
        "bad_acks": sum(1 for *_, status in posted if status != 200),
        "messages_delivered": sum(len(v) for c, v in got.items() if c in chats),
        "outbox_rows_retried": sum(1 for r in rows if r["attempts"] > 1),
        "backlog_left": left,
        "drained_after_s": round(drained, 1),
        "lost": len(lost),
        "duplicated": sum(dup_parts.values()),
        "duplicated_chats": sum(1 for n in dup_parts.values() if n),
        "duplicate_window_ms_p50": round(pct(window_ms, 50), 1),
        "duplicate_window_ms_p99": round(pct(window_ms, 99), 1),
        "duplicate_window_ms_max": round(max(window_ms, default=float("nan")), 1),
    }
    print(json.dumps(result, indent=1))
    if args.output:
        with open(args.output, "a", encoding="utf-8") as f:
            f.write(json.dumps(result) + "\n")
    return 0 if not lost and not result["duplicated"] and not result["bad_acks"] else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("scenario", choices=["kill", "slow"])
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--chats", type=int, default=300, help="chats, one question each")
    p.add_argument("--rate", type=float, default=30.0, help="questions posted per second")
    p.add_argument(
        "--kill-at", type=float, default=0.5, help="kill once this share was acknowledged"
    )
    p.add_argument(
        "--down", type=float, default=1.0, help="seconds between the kill and the restart"
    )
    p.add_argument(
        "--delay", type=float, default=20.0, help="slow: seconds before each send is answered"
    )
    p.add_argument(
        "--index-dir", type=Path, default=Path(os.environ.get("LAWBOT_INDEX_DIR", "var/index"))
    )
    p.add_argument(
        "--settle", type=float, default=900.0, help="max seconds to wait for all replies"
    )
    p.add_argument("--quiet", type=float, default=5.0, help="seconds to watch for late duplicates")
    p.add_argument("--startup-timeout", type=float, default=300.0)
    p.add_argument("--server-log", default=None, help="append the server's output to this file")
    p.add_argument("--output", default=None, help="append the JSON result to this file")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--server-repo", type=Path, default=REPO, help="checkout the server runs from")
    return p.parse_args(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run-fakes"]:
        run_fakes(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    else:
        # terminated (e.g. by `timeout`): still stop the server and the fakes we started
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        raise SystemExit(asyncio.run(main(parse_args())))
