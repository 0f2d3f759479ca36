"""`lawbot doctor` and `--env-file`: what a deployer sees before the first citizen writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli.doctor import FAIL, OK, WARN, Finding, check_database, run_doctor
from bot.cli.main import app
from bot.settings import Settings
from bot.storage.db import Database
from tests.auxil.fake_telegram import FakeTelegram
from tests.auxil.fake_zalo import FakeZalo
from tests.auxil.mini_index import build_mini_index

REAL = {
    "LAWBOT_HOTLINE": "1900 6789",
    "LAWBOT_LEGAL_AID_CONTACT": "Trung tâm TGPL tỉnh, 12 Lê Lợi",
    "LAWBOT_CRISIS_LINE": "Tổng đài 111",
    "LAWBOT_SESSION_SECRET": "s" * 48,
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [*REAL, "LAWBOT_PUBLIC_URL", "LAWBOT_TELEGRAM_TOKEN", "LAWBOT_ZALO_TOKEN",
                 "LAWBOT_TELEGRAM_API_URL", "LAWBOT_ZALO_API_URL", "LAWBOT_TELEGRAM_WEBHOOK_SECRET",
                 "LAWBOT_ZALO_WEBHOOK_SECRET"]:
        # set then delete: the teardown then also removes what `--env-file` put in os.environ
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("LAWBOT_DATABASE_URL", f"sqlite:///{tmp_path}/lawbot.sqlite3")
    monkeypatch.setenv("LAWBOT_INDEX_DIR", str(tmp_path / "index"))
    return tmp_path


@pytest.fixture
def platforms() -> Iterator[tuple[FakeTelegram, str, FakeZalo, str]]:
    telegram, zalo = FakeTelegram(), FakeZalo()
    with telegram.running() as tg_url, zalo.running() as zl_url:
        yield telegram, tg_url, zalo, zl_url


def _levels(findings: list[Finding], word: str) -> list[str]:
    return [f.level for f in findings if word in f.what]


def test_placeholders_are_named_with_what_to_set(env: Path) -> None:
    findings = run_doctor(Settings())
    warned = " ".join(f.what for f in findings if f.level == WARN)
    for name in ("LAWBOT_HOTLINE", "LAWBOT_LEGAL_AID_CONTACT", "LAWBOT_CRISIS_LINE", "LAWBOT_SESSION_SECRET"):
        assert name in warned


def test_a_fresh_database_must_be_migrated_then_passes(env: Path, postgres_database: Callable[[], str]) -> None:
    for url in (f"sqlite:///{env}/fresh.sqlite3", postgres_database()):
        settings = Settings(database_url=url)
        [before] = check_database(settings)
        assert before.level == FAIL and "lawbot db migrate" in before.fix
        db = Database(url)
        db.migrate()
        db.dispose()
        [after] = check_database(settings)
        assert after.level == OK


def test_missing_and_small_indexes_are_reported(env: Path) -> None:
    assert _levels(run_doctor(Settings()), "no index") == [FAIL]
    build_mini_index(env / "index")
    findings = run_doctor(Settings())
    assert _levels(findings, "articles, built") == [OK]
    assert _levels(findings, "holds only") == [WARN]  # a few articles: the law was never loaded


def test_tokens_and_webhooks_are_checked_against_the_platforms(
    env: Path, monkeypatch: pytest.MonkeyPatch, platforms: tuple[FakeTelegram, str, FakeZalo, str]
) -> None:
    telegram, tg_url, _zalo, zl_url = platforms
    monkeypatch.setenv("LAWBOT_TELEGRAM_TOKEN", telegram.token)
    monkeypatch.setenv("LAWBOT_TELEGRAM_API_URL", f"{tg_url}/bot")
    monkeypatch.setenv("LAWBOT_ZALO_TOKEN", "wrong-token")
    monkeypatch.setenv("LAWBOT_ZALO_API_URL", zl_url)
    monkeypatch.setenv("LAWBOT_PUBLIC_URL", "https://lawbot.example.vn")
    monkeypatch.setenv("LAWBOT_TELEGRAM_WEBHOOK_SECRET", "abc_DEF-123")

    findings = run_doctor(Settings())
    assert _levels(findings, "telegram: token accepted") == [OK]
    assert _levels(findings, "zalo: getMe failed") == [FAIL]
    assert _levels(findings, "telegram: webhook is not set") == [FAIL]
    assert _levels(findings, "LAWBOT_ZALO_WEBHOOK_SECRET is not set") == [FAIL]
    assert "wrong-token" not in " ".join(f.line() for f in findings)  # tokens never printed

    httpx.post(f"{tg_url}/bot{telegram.token}/setWebhook",
               data={"url": "https://lawbot.example.vn/webhooks/telegram", "secret_token": "abc_DEF-123"})
    assert _levels(run_doctor(Settings()), "telegram: webhook registered") == [OK]


def test_doctor_command_reads_an_env_file_with_comments_and_spaces(
    env: Path, platforms: tuple[FakeTelegram, str, FakeZalo, str]
) -> None:
    telegram, tg_url, _zalo, _ = platforms
    build_mini_index(env / "index")
    Database(f"sqlite:///{env}/lawbot.sqlite3").migrate()
    settings_file = env / "lawbot.env"
    settings_file.write_text(
        "# copied from .env.example and edited\n"
        + "".join(f'{k}="{v}"  # set by the province\n' for k, v in REAL.items())
        + f"LAWBOT_TELEGRAM_TOKEN={telegram.token}\nLAWBOT_TELEGRAM_API_URL={tg_url}/bot\n\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(app, ["--env-file", str(settings_file), "doctor"])

    assert result.exit_code == 0, result.output
    assert "still holds its placeholder" not in result.output  # the file's values, spaces and all, were read
    assert "telegram: token accepted" in result.output and "Ready to serve." in result.output


def test_doctor_exits_non_zero_when_something_must_be_fixed(env: Path) -> None:
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "no index" in result.output and "problem(s) to fix" in result.output
