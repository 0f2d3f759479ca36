"""Run real `lawbot serve` processes on 127.0.0.1 (tests and scripts/soak.py): environment, start, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.auxil import fake_telegram
from tests.auxil.waiting import WaitTimeout, wait_until

REPO = Path(__file__).resolve().parents[2]
TG_SECRET = "tg_webhook_secret-serve"
TG_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}


def serve_argv(port: int) -> list[str]:
    """`lawbot serve` once the lead mounts it in bot.cli.main; the serve module directly until then."""
    from bot.cli.main import app

    mounted = any(c.name == "serve" for c in app.registered_commands) or any(
        g.name == "serve" for g in app.registered_groups
    )
    module = ["bot.cli.main", "serve"] if mounted else ["bot.cli.serve"]
    return [sys.executable, "-m", *module, "--host", "127.0.0.1", "--port", str(port)]


def serve_env(
    database_url: str,
    index_dir: Path,
    telegram_base_url: str,
    **extra: str,
) -> dict[str, str]:
    """Environment of a webhook-mode worker talking to the fake Telegram server (no .env is read:
    the process runs in a scratch directory)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWBOT_")}
    env.update(
        {
            "LAWBOT_DATABASE_URL": database_url,
            "LAWBOT_INDEX_DIR": str(index_dir),
            "LAWBOT_EMBEDDER": "none",
            "LAWBOT_FAQ_DIR": str(REPO / "knowledge_base" / "faq"),
            "LAWBOT_DOCUMENTS_REGISTER": str(REPO / "knowledge_base" / "documents.yaml"),
            "LAWBOT_PUBLIC_URL": "https://lawbot.example.org",
            "LAWBOT_TELEGRAM_TOKEN": fake_telegram.TOKEN,
            "LAWBOT_TELEGRAM_API_URL": f"{telegram_base_url}/bot",
            "LAWBOT_TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
            "LAWBOT_SESSION_SECRET": "serve-test-session-secret-0123456789abcdef",
            "LAWBOT_LOG_LEVEL": "INFO",
            "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(REPO),
        }
    )
    env.update(extra)
    return env


@dataclass
class ServeProcess:
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float, log_path: Path) -> None:
    def healthy() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(
                f"lawbot serve exited with {proc.returncode}:\n"
                + log_path.read_text(errors="replace")[-3000:]
            )
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        return False

    try:
        wait_until(healthy, f"lawbot serve at {url} to be healthy", timeout=timeout, interval=0.2)
    except WaitTimeout as exc:
        raise RuntimeError(f"{exc}:\n" + log_path.read_text(errors="replace")[-3000:]) from None


def stop(proc: subprocess.Popen[bytes], timeout: float = 40) -> int:
    """SIGTERM (graceful: drains in-flight work), then SIGKILL if it hangs; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


@contextmanager
def lawbot_serve(
    env: Mapping[str, str], port: int, workdir: Path, *, name: str = "worker", timeout: float = 90
) -> Iterator[ServeProcess]:
    """Start `lawbot serve` on 127.0.0.1:`port`, wait for /healthz, stop it at the end."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            serve_argv(port),
            env=dict(env),
            cwd=workdir,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, timeout, log_path)
        yield ServeProcess(proc, url, log_path)
    finally:
        stop(proc)
