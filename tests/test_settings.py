"""Settings: every field is documented and listed in .env.example; secrets never print."""

from __future__ import annotations

import re

from bot.settings import Settings
from tests.conftest import REPO


def _example_keys() -> set[str]:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^(LAWBOT_[A-Z0-9_]+)=", text, flags=re.M))


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    fields = {f"LAWBOT_{name.upper()}" for name in Settings.model_fields}
    assert _example_keys() == fields


def test_every_setting_is_described() -> None:
    undocumented = [n for n, f in Settings.model_fields.items() if not (f.description or "").strip()]
    assert undocumented == []


def test_settings_read_environment_and_hide_secrets(monkeypatch) -> None:
    monkeypatch.setenv("LAWBOT_TELEGRAM_TOKEN", "123456:ABCDEFsecretsecretsecretsecret")
    monkeypatch.setenv("LAWBOT_PORT", "9001")
    s = Settings(_env_file=None)
    assert s.port == 9001
    assert s.telegram_token is not None
    assert s.telegram_token.get_secret_value().startswith("123456:")
    assert "secretsecret" not in repr(s)


def test_a_copy_of_env_example_switches_no_channel_on(tmp_path, monkeypatch) -> None:
    """`.env.example` leaves the tokens empty: a deployer's copy means "not set", not an empty token."""
    for key in _example_keys():
        monkeypatch.delenv(key, raising=False)
    env = tmp_path / "lawbot.env"
    env.write_text((REPO / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    s = Settings(_env_file=env)
    assert s.telegram_token is None and s.zalo_token is None and s.public_url is None
