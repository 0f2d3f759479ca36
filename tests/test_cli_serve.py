"""`lawbot serve` as a real process: answers, SIGHUP index reload, graceful SIGTERM, no token in logs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auxil import fake_telegram, fake_zalo
from tests.auxil.app_harness import TG_HEADERS, TG_SECRET, ZALO_SECRET
from tests.auxil.fake_telegram import FakeTelegram, private_message
from tests.auxil.fake_zalo import FakeZalo
from tests.auxil.live_server import free_port
from tests.auxil.mini_index import ARTICLES, build_mini_index
from tests.auxil.serve_process import wait_healthy
from tests.auxil.waiting import wait_until

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeZalo]]:
    tg, zalo = FakeTelegram(), FakeZalo()
    with tg.running(), zalo.running():
        yield tg, zalo


def serving(base: str) -> str | None:
    """The build id /healthz reports (None while the server does not answer)."""
    try:
        return str(httpx.get(f"{base}/healthz").json()["index"]["build_id"])
    except httpx.HTTPError:
        return None


@pytest.mark.slow
def test_serve_process(fakes: tuple[FakeTelegram, FakeZalo], tmp_path: Path) -> None:
    tg, zalo = fakes
    index_dir = tmp_path / "index"
    build_mini_index(index_dir, ARTICLES[:3])
    port = free_port()
    env = {
        **os.environ,
        "LAWBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LAWBOT_INDEX_DIR": str(index_dir),
        "LAWBOT_EMBEDDER": "none",
        "LAWBOT_PUBLIC_URL": "https://lawbot.example.org",
        "LAWBOT_SESSION_SECRET": "local-test-secret-" + "x" * 40,  # a public URL needs a real one
        "LAWBOT_TELEGRAM_TOKEN": fake_telegram.TOKEN,
        "LAWBOT_TELEGRAM_API_URL": f"{tg.base_url}/bot",
        "LAWBOT_TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "LAWBOT_ZALO_TOKEN": fake_zalo.TOKEN,
        "LAWBOT_ZALO_API_URL": str(zalo.base_url),
        "LAWBOT_ZALO_WEBHOOK_SECRET": ZALO_SECRET,
        "LAWBOT_LOG_LEVEL": "DEBUG",  # the most talkative setting must still hide the tokens
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.serve", "--port", str(port), "--answer-processes", "0"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, proc, timeout=30, log_path=log)  # the log in the failure
            update = private_message(1, "Nghỉ phép hằng năm được mấy ngày?", user_id=42)
            assert (
                httpx.post(f"{base}/webhooks/telegram", json=update, headers=TG_HEADERS).status_code
                == 200
            )
            wait_until(lambda: len(tg.sent(42)) == 1, "the answer to user 42", timeout=30)
            first = serving(base)
            second = build_mini_index(index_dir)  # more articles: another build id
            proc.send_signal(signal.SIGHUP)  # the admin's "reload now"
            wait_until(lambda: serving(base) == second, f"build {second} to serve", timeout=30)
            assert second != first
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    output = log.read_text(errors="replace")
    assert "Application shutdown complete" in output  # graceful
    assert fake_telegram.TOKEN not in output and fake_zalo.TOKEN not in output
    assert fake_telegram.TOKEN.split(":")[1] not in output
