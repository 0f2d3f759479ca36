#!/usr/bin/env python
"""Load test of the webhooks on loopback: fake Telegram + Zalo servers, `lawbot serve` in a subprocess.

Posts updates at --rate per second for --seconds (every update from its own chat, a share re-posted
as a platform retry would be), then waits until every chat has its answer at the fake platform.
Reports p50/p95 to acknowledge and to delivery, and checks: every update got its reply, each part
of it once (scripts/faults.py adds a kill -9 and a slow platform).

    python scripts/load_webhooks.py --rate 100 --seconds 60 --index-dir var/index_full

Only 127.0.0.1 is ever contacted. Exit code 1 when an update was lost or answered twice, or an
acknowledgement failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.auxil import fake_telegram, fake_zalo  # noqa: E402
from tests.auxil.fake_telegram import FakeTelegram, private_message  # noqa: E402
from tests.auxil.fake_zalo import FakeZalo, text_event  # noqa: E402
from tests.auxil.waiting import first_within  # noqa: E402

TG_SECRET = "load_test_secret-1"
ZALO_SECRET = "load-test-secret-2"
FALLBACK_QUESTIONS = [
    "Nghỉ phép hằng năm được mấy ngày?",
    "Thử việc tối đa bao lâu?",
    "Nghỉ thai sản được mấy tháng?",
    "Làm thêm giờ tối đa bao nhiêu giờ một tháng?",
    "Đăng ký tạm trú cần giấy tờ gì?",
    "Ly hôn đơn phương thế nào?",
    "Vượt đèn đỏ bị phạt bao nhiêu?",
    "Không có di chúc thì chia thừa kế thế nào?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def questions() -> list[str]:
    """Real citizen questions from ../shared/data when present (answerable ones), else a few built in."""
    path = REPO.parent / "shared" / "data" / "citizen_eval" / "cases_dev.jsonl"
    if path.is_file():
        cases = [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        found = [
            c["text"] for c in cases if c.get("kind") == "answer" and c.get("text", "").strip()
        ]
        if found:
            return found
    return FALLBACK_QUESTIONS


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Sent:
    channel: str
    chat: str
    started: float
    acked: float | None = None
    status: int | None = None
    duplicate_posts: int = 0


@dataclass
class Run:
    sent: list[Sent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dup_statuses: list[int] = field(default_factory=list)


def run_fakes(tg_port: int, zalo_port: int) -> None:
    """Child process: serve both fake platforms until terminated (own CPU, apart from the client)."""
    import signal
    import threading

    from tests.auxil.live_server import serve_in_thread

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with (
        serve_in_thread(FakeTelegram().app(), tg_port),
        serve_in_thread(FakeZalo().app(), zalo_port),
    ):
        stop.wait()


def start_fakes() -> tuple[subprocess.Popen[bytes], str, str]:
    tg_port, zalo_port = free_port(), free_port()
    cmd = [sys.executable, __file__, "--run-fakes", str(tg_port), str(zalo_port)]
    proc = subprocess.Popen(cmd, cwd=REPO)
    return proc, f"http://127.0.0.1:{tg_port}", f"http://127.0.0.1:{zalo_port}"


def start_servers(
    args: argparse.Namespace, tg_url: str, zalo_url: str, db_url: str
) -> list[tuple[subprocess.Popen[bytes], str]]:
    env = {
        **os.environ,
        "LAWBOT_DATABASE_URL": db_url,
        "LAWBOT_INDEX_DIR": str(args.index_dir.resolve()),  # the servers run in the repo folder
        "LAWBOT_EMBEDDER": args.embedder,
        "LAWBOT_PUBLIC_URL": "https://lawbot.invalid",  # webhook mode; the fakes never call it
        "LAWBOT_SESSION_SECRET": "local-test-secret-" + "x" * 40,  # a public URL needs a real one
        "LAWBOT_TELEGRAM_TOKEN": fake_telegram.TOKEN,
        "LAWBOT_TELEGRAM_API_URL": f"{tg_url}/bot",
        "LAWBOT_TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "LAWBOT_ZALO_TOKEN": fake_zalo.TOKEN,
        "LAWBOT_ZALO_API_URL": zalo_url,
        "LAWBOT_ZALO_WEBHOOK_SECRET": ZALO_SECRET,
        "LAWBOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    procs = []
    for _ in range(args.workers):
        port = free_port()
        cmd = [sys.executable, "-m", "bot.cli.serve", "--host", "127.0.0.1", "--port", str(port)]
        if args.profile:  # the event loop thread's profile, written when the server exits
            code = (
                "import cProfile, signal, sys, bot.cli.serve as c\n"
                "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
                "p = cProfile.Profile(); p.enable()\n"
                "try:\n"
                f"    c.serve(host='127.0.0.1', port={port}, answer_processes=1)\n"
                "finally:\n"
                f"    p.disable(); p.dump_stats('{args.profile}.{port}')\n"
            )
            cmd = [sys.executable, "-c", code]
        log = open(args.server_log, "ab") if args.server_log else subprocess.DEVNULL  # noqa: SIM115
        procs.append(
            (
                subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=log),
                f"http://127.0.0.1:{port}",
            )
        )
    return procs


async def wait_up(urls: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        for url in urls:

            async def up(url: str = url) -> bool:
                try:
                    return (await client.get(url)).status_code == 200
                except httpx.TransportError:
                    return False

            left = max(0.0, deadline - time.monotonic())
            if not await first_within(up, timeout=left, interval=0.25):
                raise SystemExit(f"{url} did not answer 200 in {timeout:.0f} s")


def backlogs(db_url: str) -> tuple[int, int]:
    """(inbox, outbox) rows not finished yet."""
    from bot.storage.db import Database
    from bot.storage.inbox import Inbox
    from bot.storage.outbox import Outbox

    db = Database(db_url)
    try:
        return Inbox(db).backlog(), Outbox(db).backlog()
    finally:
        db.dispose()


async def post(
    client: httpx.AsyncClient, url: str, item: Sent, body: dict[str, Any], run: Run
) -> None:
    headers = (
        {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        if item.channel == "telegram"
        else {"X-Bot-Api-Secret-Token": ZALO_SECRET}
    )
    try:
        response = await client.post(f"{url}/webhooks/{item.channel}", json=body, headers=headers)
        item.status = response.status_code
    except httpx.HTTPError as exc:
        run.errors.append(f"{type(exc).__name__}")
        item.status = -1
        print(f"post failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    item.acked = time.monotonic()


async def repost(
    client: httpx.AsyncClient, url: str, item: Sent, body: dict[str, Any], run: Run, delay: float
) -> None:
    """The platform delivering the same update again (it thought our 200 got lost)."""
    await asyncio.sleep(delay)  # not a wait: when the platform redelivers
    headers = (
        {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        if item.channel == "telegram"
        else {"X-Bot-Api-Secret-Token": ZALO_SECRET}
    )
    try:
        response = await client.post(f"{url}/webhooks/{item.channel}", json=body, headers=headers)
        run.dup_statuses.append(response.status_code)
    except httpx.HTTPError as exc:
        run.errors.append(f"duplicate: {type(exc).__name__}")


async def generate(args: argparse.Namespace, urls: list[str]) -> Run:
    run = Run()
    pool = questions()
    rng = random.Random(args.seed)
    total = int(args.rate * args.seconds)
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        tasks: list[asyncio.Task[None]] = []
        t0 = time.monotonic()
        for i in range(total):
            due = t0 + i / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # not a wait: the pace of the load (--rate)
            text = rng.choice(pool)
            url = urls[i % len(urls)]  # round robin, like a proxy in front of N workers
            if rng.random() < args.telegram_share:
                chat = str(10_000_000 + i)
                item = Sent("telegram", chat, time.monotonic())
                body = private_message(500_000 + i, text, user_id=int(chat))
            else:
                chat = f"zl-{i}"
                item = Sent("zalo", chat, time.monotonic())
                body = text_event(f"zmsg-{i}", text, user_id=chat, wrapped=rng.random() < 0.5)
            run.sent.append(item)
            tasks.append(asyncio.create_task(post(client, url, item, body, run)))
            if rng.random() < args.duplicates:
                item.duplicate_posts += 1
                other = urls[(i + 1) % len(urls)]  # a retry may well land on another worker
                tasks.append(
                    asyncio.create_task(
                        repost(client, other, item, body, run, rng.uniform(0.05, 2.0))
                    )
                )
        elapsed = time.monotonic() - t0
        await asyncio.gather(*tasks)
    print(f"posted {total} updates in {elapsed:.1f} s ({total / elapsed:.1f}/s)", file=sys.stderr)
    return run


class Accepted(NamedTuple):
    """One message a fake platform accepted: its monotonic and wall-clock times, and its text."""

    at: float
    text: str
    wall: float


async def replies(tg_url: str, zalo_url: str) -> dict[tuple[str, str], list[Accepted]]:
    """(channel, chat) -> each message the fake platforms accepted for that chat, in order."""
    out: dict[tuple[str, str], list[Accepted]] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for url, channel in ((tg_url, "telegram"), (zalo_url, "zalo")):
            for chat, at, text, wall in (await client.get(f"{url}/_fake/sent?texts=1")).json():
                out.setdefault((channel, str(chat)), []).append(Accepted(float(at), str(text), float(wall)))
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process used so far, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


async def server_ack_quantiles(urls: list[str]) -> dict[str, float]:
    """p50/p95 of the server's own time to acknowledge (histogram `lawbot_webhook_seconds`,
    upper bucket bounds, status 200): what the server spent, without client-side queueing."""
    from prometheus_client.parser import text_string_to_metric_families

    buckets: dict[float, float] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for url in urls:
            text = (await client.get(f"{url}/metrics")).text
            for family in text_string_to_metric_families(text):
                if family.name != "lawbot_webhook_seconds":
                    continue
                for sample in family.samples:
                    if sample.name.endswith("_bucket") and sample.labels.get("status") == "200":
                        le = float(sample.labels["le"])
                        buckets[le] = buckets.get(le, 0.0) + sample.value
    total = buckets.get(float("inf"), 0.0)
    out = {}
    for q in (50, 95, 99):
        bound = next(
            (le for le in sorted(buckets) if total and buckets[le] >= q / 100 * total), float("nan")
        )
        out[f"server_ack_ms_p{q}_le"] = round(bound * 1000, 1)
    return out


async def main(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="lawbot-load-"))
    db_url = args.database_url or f"sqlite:///{tmp / 'lawbot.sqlite3'}"
    fakes, tg_url, zalo_url = start_fakes()
    procs: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        await wait_up([f"{tg_url}/_fake/sent", f"{zalo_url}/_fake/sent"], timeout=30)
        procs = start_servers(args, tg_url, zalo_url, db_url)
        await wait_up([f"{u}/healthz" for _, u in procs], timeout=args.startup_timeout)
        cpu_before = {p.pid: cpu_seconds(p.pid) for p, _ in procs}
        run = await generate(args, [u for _, u in procs])
        server_cpu = sum(cpu_seconds(p.pid) - cpu_before[p.pid] for p, _ in procs)
        expected = {(s.channel, s.chat) for s in run.sent}

        async def drained() -> bool:
            # every chat answered and nothing left in the queues: no reply (nor duplicate) to come
            return expected <= set(await replies(tg_url, zalo_url)) and backlogs(db_url) == (0, 0)

        await first_within(drained, timeout=args.settle, interval=1.0)
        drained_at = time.monotonic()
        await asyncio.sleep(args.quiet)  # not a wait: an extra watch the operator asked for
        got = await replies(tg_url, zalo_url)
        server_ack = await server_ack_quantiles([u for _, u in procs])
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, _ in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        fakes.terminate()
        fakes.wait(timeout=30)
    acks = [
        (s.acked - s.started) * 1000 for s in run.sent if s.acked is not None and s.status == 200
    ]
    delivery = [
        (got[(s.channel, s.chat)][0].at - s.started) for s in run.sent if (s.channel, s.chat) in got
    ]
    lost = [s for s in run.sent if (s.channel, s.chat) not in got]
    # a long answer arrives in several parts: a duplicate is the same part twice
    duplicated = [
        k for k, v in got.items() if k in expected and len({m.text for m in v}) < len(v)
    ]
    bad_acks = [s.status for s in run.sent if s.status != 200]
    last_send = max((s.started for s in run.sent), default=0.0)
    result = {
        "rate": args.rate,
        "seconds": args.seconds,
        "workers": args.workers,
        "database": db_url.split(":", 1)[0],
        "index_dir": str(args.index_dir),
        "updates": len(run.sent),
        "telegram": sum(1 for s in run.sent if s.channel == "telegram"),
        "zalo": sum(1 for s in run.sent if s.channel == "zalo"),
        "duplicate_posts": sum(s.duplicate_posts for s in run.sent),
        "duplicate_post_statuses": sorted(set(run.dup_statuses)),
        "ack_ms_p50": round(pct(acks, 50), 1),
        "ack_ms_p95": round(pct(acks, 95), 1),
        "ack_ms_p99": round(pct(acks, 99), 1),
        "ack_ms_max": round(max(acks, default=float("nan")), 1),
        **server_ack,
        "web_process_cpu_s_while_posting": round(server_cpu, 1),
        "delivery_s_p50": round(pct(delivery, 50), 2),
        "delivery_s_p95": round(pct(delivery, 95), 2),
        "delivery_s_max": round(max(delivery, default=float("nan")), 2),
        "drain_after_last_post_s": round(drained_at - last_send, 1),
        "answered_per_s": round(
            len(delivery) / max(1e-9, drained_at - min((s.started for s in run.sent), default=0)), 1
        ),
        "failed_acks": len(bad_acks),
        "failed_ack_statuses": sorted(set(bad_acks)),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "client_errors": len(run.errors),
    }
    print(json.dumps(result, indent=1))
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    ok = not lost and not duplicated and not bad_acks and set(run.dup_statuses) <= {200}
    if not ok:
        print(
            f"FAILED: lost={len(lost)} duplicated={len(duplicated)} bad_acks={len(bad_acks)}",
            file=sys.stderr,
        )
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rate", type=float, default=100.0, help="updates per second")
    p.add_argument("--seconds", type=float, default=60.0, help="how long to post")
    p.add_argument(
        "--telegram-share",
        type=float,
        default=0.25,
        help="share of Telegram updates (Telegram replies are rate-limited to 30/s)",
    )
    p.add_argument(
        "--duplicates", type=float, default=0.05, help="share of updates delivered twice"
    )
    p.add_argument(
        "--index-dir", type=Path, default=Path(os.environ.get("LAWBOT_INDEX_DIR", "var/index"))
    )
    p.add_argument("--embedder", default="none", help="LAWBOT_EMBEDDER for the server")
    p.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    p.add_argument(
        "--workers", type=int, default=1, help="server processes (use PostgreSQL for > 1)"
    )
    p.add_argument("--connections", type=int, default=100, help="client connection pool size")
    p.add_argument(
        "--settle", type=float, default=900.0, help="max seconds to wait for all replies"
    )
    p.add_argument(
        "--quiet",
        type=float,
        default=0.0,
        help="seconds to keep watching for late duplicates once the queues are empty",
    )
    p.add_argument("--startup-timeout", type=float, default=180.0)
    p.add_argument("--server-log", default=None, help="append the servers' output to this file")
    p.add_argument("--output", default=None, help="write the JSON result here too")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--profile", default=None, help="cProfile each server into <this>.<port>")
    return p.parse_args(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run-fakes"]:
        run_fakes(int(sys.argv[2]), int(sys.argv[3]))
    else:
        import signal

        # terminated (e.g. by `timeout`): still stop the servers and fakes we started
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        raise SystemExit(asyncio.run(main(parse_args())))
