#!/usr/bin/env python
"""Soak run: a local `lawbot serve` + fake Telegram and Zalo servers on 127.0.0.1, modest steady load.

A population of citizens keeps talking (questions, follow-ups, /canbo, /moi, the odd replayed
delivery) at --rate updates per second for --minutes. Every --sample seconds the resident memory
(RSS) of the server, and apart that of its child processes together (the answer processes that
hold the index), is read from /proc. At the end it waits for every reply and prints a summary:
memory at start and end, growth and slope (least squares, MB per hour), acknowledgements, replies,
errors.

    python scripts/soak.py                 # 30 minutes, 5 updates/s
    python scripts/soak.py --minutes 5     # a short one

Exit code 1 when memory grew more than --max-growth-mb after warm-up, or on any error: a failed
acknowledgement, a lost or duplicated reply, a server that died, an ERROR/Traceback in its log.
Bounded: at most rate x minutes x 60 updates, and --settle seconds to drain at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.load_webhooks import backlogs  # noqa: E402
from tests.auxil import fake_zalo  # noqa: E402
from tests.auxil.fake_telegram import FakeTelegram, private_message  # noqa: E402
from tests.auxil.fake_zalo import FakeZalo, text_event  # noqa: E402
from tests.auxil.live_server import free_port  # noqa: E402
from tests.auxil.serve_process import TG_HEADERS, lawbot_serve, serve_env  # noqa: E402
from tests.auxil.waiting import first_within  # noqa: E402

ZALO_SECRET = "soak-zalo-secret-1"
ZALO_HEADERS = {"X-Bot-Api-Secret-Token": ZALO_SECRET}
QUESTIONS = [
    "Nghỉ phép hằng năm được mấy ngày?",
    "Thử việc tối đa bao nhiêu ngày?",
    "Nghỉ thai sản được mấy tháng?",
    "Làm thêm giờ tối đa bao nhiêu giờ một năm?",
    "còn nếu làm việc chưa đủ 12 tháng thì sao?",  # a follow-up
    "Công ty bắt thử việc 3 tháng có đúng luật không?",
    "Đơn phương nghỉ việc phải báo trước bao lâu?",
    "/canbo",
    "/moi",
]


@dataclass
class Tally:
    posted: int = 0
    replayed: int = 0
    ack_errors: list[str] = field(default_factory=list)
    expected: dict[tuple[str, str], int] = field(default_factory=dict)  # chat -> replies due
    ack_ms: list[float] = field(default_factory=list)


@dataclass
class Sample:
    at: float  # seconds since the load started
    rss_mb: float  # the web process
    replies: int
    children_rss_mb: float = 0.0  # its child processes together (answer processes: the index)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def descendants(pid: int) -> list[int]:
    """Child processes of `pid`, recursively (Linux /proc/<pid>/task/*/children)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids = [int(k) for k in children.read_text().split()]
        except (OSError, ValueError):
            continue
        for kid in kids:
            found += [kid, *descendants(kid)]
    return found


def children_rss_mb(pid: int) -> float:
    """RSS of all descendants together; a child that exits between listing and reading counts 0."""
    total = 0.0
    for kid in descendants(pid):
        with contextlib.suppress(OSError, RuntimeError):
            total += rss_mb(kid)
    return total


def slope_per_hour(samples: list[Sample], children: bool = False) -> float:
    """Least-squares slope of RSS over time, in MB per hour."""
    if len(samples) < 2:
        return 0.0
    xs = [s.at for s in samples]
    ys = [s.children_rss_mb if children else s.rss_mb for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var * 3600


def replies_per_chat(tg: FakeTelegram, zalo: FakeZalo) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for fake, channel in ((tg, "telegram"), (zalo, "zalo")):
        for params in fake.sent():
            key = (channel, str(params.get("chat_id")))
            out[key] = out.get(key, 0) + 1
    return out


def replies_handled(url: str) -> int:
    """Updates the server answered (lawbot_replies_total, all kinds and channels)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("lawbot_replies_total{")))


async def post(client: httpx.AsyncClient, url: str, channel: str, body: dict, tally: Tally) -> None:
    headers = TG_HEADERS if channel == "telegram" else ZALO_HEADERS
    started = time.monotonic()
    try:
        response = await client.post(f"{url}/webhooks/{channel}", json=body, headers=headers)
        if response.status_code != 200:
            tally.ack_errors.append(f"{channel} {response.status_code}")
        else:
            tally.ack_ms.append((time.monotonic() - started) * 1000)
    except httpx.HTTPError as exc:
        tally.ack_errors.append(f"{channel} {type(exc).__name__}")


async def load(url: str, args: argparse.Namespace, tally: Tally, stop_at: float) -> None:
    rng = random.Random(args.seed)
    population = [("telegram", str(20_000_000 + i)) for i in range(args.citizens // 2)]
    population += [("zalo", f"soak-z{i}") for i in range(args.citizens - len(population))]
    limits = httpx.Limits(max_connections=20)
    pending: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        t0 = time.monotonic()
        n = 0
        while time.monotonic() < stop_at:
            due = t0 + n / args.rate
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            channel, chat = rng.choice(population)
            text = rng.choice(QUESTIONS)
            if channel == "telegram":
                body = private_message(30_000_000 + n, text, user_id=int(chat))
            else:
                body = text_event(f"soak-{n}", text, user_id=chat, wrapped=n % 2 == 0)
            tally.expected[(channel, chat)] = tally.expected.get((channel, chat), 0) + 1
            tally.posted += 1
            task = asyncio.create_task(post(client, url, channel, body, tally))
            pending.add(task)
            task.add_done_callback(pending.discard)
            if rng.random() < args.replays:  # the platform redelivers: must not be answered twice
                tally.replayed += 1
                again = asyncio.create_task(post(client, url, channel, body, tally))
                pending.add(again)
                again.add_done_callback(pending.discard)
            n += 1
        await asyncio.gather(*pending)


async def sample(pid: int, tg: FakeTelegram, zalo: FakeZalo, every: float, stop_at: float,
                 t0: float, out: list[Sample]) -> None:
    while True:
        now = time.monotonic()
        replies = len(tg.sent()) + len(zalo.sent())
        out.append(
            Sample(round(now - t0, 1), round(rss_mb(pid), 1), replies, round(children_rss_mb(pid), 1))
        )
        print(f"  t={now - t0:6.0f} s  rss={out[-1].rss_mb:7.1f} MB  "
              f"children={out[-1].children_rss_mb:7.1f} MB  replies={replies}", flush=True)
        if now + every > stop_at + 1:
            return
        await asyncio.sleep(max(0.0, t0 + len(out) * every - time.monotonic()))


async def main(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="lawbot-soak-"))
    # absolute: the server runs in its own folder, where a relative path would find no index
    index_dir = args.index_dir.resolve() if args.index_dir is not None else None
    if index_dir is None:
        from tests.auxil.mini_index import build_mini_index

        index_dir = tmp / "index"
        build_mini_index(index_dir)
    db_url = args.database_url or f"sqlite:///{tmp / 'lawbot.sqlite3'}"
    tg, zalo = FakeTelegram(), FakeZalo()
    samples: list[Sample] = []
    tally = Tally()
    with tg.running() as tg_url, zalo.running() as zalo_url:
        env = serve_env(
            db_url, index_dir, tg_url,
            LAWBOT_ZALO_TOKEN=fake_zalo.TOKEN, LAWBOT_ZALO_API_URL=zalo_url,
            LAWBOT_ZALO_WEBHOOK_SECRET=ZALO_SECRET, LAWBOT_LOG_LEVEL="WARNING",
            LAWBOT_EMBEDDER=args.embedder,
        )
        with lawbot_serve(env, free_port(), tmp / "serve", name="soak") as server:
            print(f"soak: {args.minutes} min at {args.rate}/s against {server.url} "
                  f"(pid {server.pid}, db {db_url.split(':', 1)[0]}, log {server.log_path})", flush=True)
            t0 = time.monotonic()
            stop_at = t0 + args.minutes * 60
            await asyncio.gather(
                load(server.url, args, tally, stop_at),
                sample(server.pid, tg, zalo, args.sample, stop_at, t0, samples),
            )

            def drained() -> bool:
                # every reply out and the queues empty: no reply (nor duplicate) is still to come
                got = replies_per_chat(tg, zalo)
                return all(got.get(k, 0) >= v for k, v in tally.expected.items()) and backlogs(
                    db_url
                ) == (0, 0)

            await first_within(drained, timeout=args.settle, interval=0.5)
            alive = server.proc.poll() is None
            end_rss = rss_mb(server.pid) if alive else float("nan")
            handled = replies_handled(server.url) if alive else -1
            log = server.log()
    got = replies_per_chat(tg, zalo)
    lost = sum(max(0, v - got.get(k, 0)) for k, v in tally.expected.items())
    # an update handled twice shows as more replies than updates (a long answer split into
    # several platform messages does not count: chats may see more messages than updates)
    duplicated = max(0, handled - tally.posted)
    log_errors = [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]
    warm = [s for s in samples if s.at >= args.warmup] or samples
    growth = warm[-1].rss_mb - warm[0].rss_mb if warm else 0.0
    children_growth = warm[-1].children_rss_mb - warm[0].children_rss_mb if warm else 0.0
    acks = sorted(tally.ack_ms)
    summary = {
        "minutes": args.minutes,
        "rate_per_s": args.rate,
        "citizens": args.citizens,
        "updates": tally.posted,
        "replayed_deliveries": tally.replayed,
        "replies_handled": handled,
        "platform_messages": sum(got.values()),
        "ack_ms_p50": round(acks[len(acks) // 2], 1) if acks else None,
        "ack_ms_p95": round(acks[int(len(acks) * 0.95)], 1) if acks else None,
        "rss_mb_first": samples[0].rss_mb if samples else None,
        "rss_mb_after_warmup": warm[0].rss_mb if warm else None,
        "rss_mb_last_sample": warm[-1].rss_mb if warm else None,
        "rss_mb_after_drain": round(end_rss, 1),
        "rss_growth_mb_after_warmup": round(growth, 1),
        "rss_slope_mb_per_hour": round(slope_per_hour(warm), 1),
        # the first minutes still fill caches (SQLAlchemy, allocator arenas): the tail says more
        "rss_slope_mb_per_hour_second_half": round(slope_per_hour(warm[len(warm) // 2 :]), 1),
        "children_rss_mb_after_warmup": warm[0].children_rss_mb if warm else None,
        "children_rss_mb_last_sample": warm[-1].children_rss_mb if warm else None,
        "children_rss_growth_mb_after_warmup": round(children_growth, 1),
        "children_rss_slope_mb_per_hour": round(slope_per_hour(warm, children=True), 1),
        "errors": {
            "failed_acks": len(tally.ack_errors),
            "lost": lost,
            "duplicated": duplicated,
            "server_died": not alive,
            "log_errors": len(log_errors),
        },
        "samples": [[s.at, s.rss_mb, s.replies, s.children_rss_mb] for s in samples],
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "samples"}, indent=1))
    if args.output:
        Path(args.output).write_text(json.dumps(summary, indent=1) + "\n")
    failures = []
    if growth > args.max_growth_mb:
        failures.append(f"memory grew {growth:.1f} MB after warm-up (limit {args.max_growth_mb})")
    if children_growth > args.max_growth_mb:
        failures.append(
            f"child processes' memory grew {children_growth:.1f} MB after warm-up "
            f"(limit {args.max_growth_mb})"
        )
    if any(summary["errors"].values()):  # type: ignore[union-attr]
        failures.append(f"errors: {summary['errors']}")
        for line in (tally.ack_errors[:5] + log_errors[:5]):
            print("  " + line, file=sys.stderr)
    for failure in failures:
        print("FAILED: " + failure, file=sys.stderr)
    return 1 if failures else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=30.0, help="how long to keep the load on")
    p.add_argument("--rate", type=float, default=5.0, help="updates per second (modest)")
    p.add_argument("--citizens", type=int, default=300, help="distinct chats that keep talking")
    p.add_argument("--replays", type=float, default=0.02, help="share of updates delivered twice")
    p.add_argument("--sample", type=float, default=30.0, help="seconds between RSS samples")
    p.add_argument("--warmup", type=float, default=60.0, help="seconds before the memory baseline")
    p.add_argument("--max-growth-mb", type=float, default=25.0,
                   help="fail when RSS (web process, or its children together) grows more than this after warm-up")
    p.add_argument("--index-dir", type=Path, default=None, help="default: a small built-in index")
    p.add_argument("--embedder", default="none", help="LAWBOT_EMBEDDER for the server")
    p.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    p.add_argument("--settle", type=float, default=120.0, help="max seconds to drain at the end")
    p.add_argument("--output", default=None, help="write the JSON summary here too")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.minutes <= 0 or args.rate <= 0 or args.rate > 200:
        p.error("--minutes must be > 0 and --rate in (0, 200]")
    return args


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
