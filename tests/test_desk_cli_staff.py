"""`lawbot staff add/list/deactivate/passwd`: accounts from the command line, passwords never as arguments."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.staff import staff_app
from bot.desk.auth import Passwords
from bot.storage.db import Database
from bot.storage.staff import StaffStore

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("LAWBOT_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    # the real argon2 parameters are slow on a shared CI machine; the CLI code path is the same
    from tests.auxil.desk import FAST_HASHER

    monkeypatch.setattr("bot.desk.auth.PasswordHasher", lambda: FAST_HASHER)
    return Database(url)


def test_add_prompts_twice_and_stores_a_hash(database: Database) -> None:
    result = runner.invoke(
        staff_app,
        ["add", "Lan@TGPL.vn", "--role", "admin"],
        input="correct horse battery staple\ncorrect horse battery staple\n",
    )
    assert result.exit_code == 0, result.output
    assert "added lan@tgpl.vn (admin)" in result.output
    account = StaffStore(database).get_by_email("lan@tgpl.vn")
    assert account is not None and account.role == "admin"
    assert "correct horse" not in account.password_hash
    assert Passwords().verify(account.password_hash, "correct horse battery staple")


def test_add_rejects_mismatch_weak_password_duplicate_and_bad_role(database: Database) -> None:
    mismatch = runner.invoke(
        staff_app, ["add", "a@tgpl.vn"], input="correct horse battery staple\nsomething else entirely\n"
    )
    assert mismatch.exit_code != 0
    weak = runner.invoke(staff_app, ["add", "a@tgpl.vn", "--password-stdin"], input="short\n")
    assert weak.exit_code == 2 and "at least 12" in weak.output
    ok = runner.invoke(
        staff_app, ["add", "a@tgpl.vn", "--password-stdin"], input="correct horse battery staple\n"
    )
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(
        staff_app, ["add", "A@tgpl.vn", "--password-stdin"], input="correct horse battery staple\n"
    )
    assert again.exit_code == 1 and "already exists" in again.output
    bad_role = runner.invoke(
        staff_app, ["add", "b@tgpl.vn", "--role", "root", "--password-stdin"], input="x" * 20 + "\n"
    )
    assert bad_role.exit_code == 2


def test_list_deactivate_and_passwd(database: Database) -> None:
    assert "no staff accounts yet" in runner.invoke(staff_app, ["list"]).output
    for email in ("a@tgpl.vn", "b@tgpl.vn"):
        runner.invoke(
            staff_app, ["add", email, "--password-stdin"], input="correct horse battery staple\n"
        )
    listing = runner.invoke(staff_app, ["list"]).output
    assert "a@tgpl.vn" in listing and "b@tgpl.vn" in listing and "active" in listing
    assert "correct horse" not in listing
    result = runner.invoke(staff_app, ["deactivate", "b@tgpl.vn"])
    assert result.exit_code == 0
    assert "deactivated" in runner.invoke(staff_app, ["list"]).output
    assert StaffStore(database).get_by_email("b@tgpl.vn").active is False  # type: ignore[union-attr]
    assert runner.invoke(staff_app, ["deactivate", "nobody@tgpl.vn"]).exit_code == 1
    changed = runner.invoke(
        staff_app, ["passwd", "b@tgpl.vn", "--password-stdin"], input="another long passphrase\n"
    )
    assert changed.exit_code == 0
    account = StaffStore(database).get_by_email("b@tgpl.vn")
    assert account is not None and account.active
    assert Passwords().verify(account.password_hash, "another long passphrase")


def test_passwd_and_deactivate_end_the_accounts_desk_sessions(database: Database) -> None:
    import datetime as dt

    from bot.storage.staff_sessions import Expiry, SessionStore

    ok = runner.invoke(
        staff_app, ["add", "lan@tgpl.vn", "--password-stdin"], input="correct horse battery staple\n"
    )
    assert ok.exit_code == 0, ok.output
    account = StaffStore(database).get_by_email("lan@tgpl.vn")
    assert account is not None
    sessions = SessionStore(database, Expiry(dt.timedelta(hours=2), dt.timedelta(hours=12)))
    laptop, phone = sessions.create(account.id), sessions.create(account.id)
    assert sessions.resolve(laptop) is not None and sessions.count(account.id) == 2
    changed = runner.invoke(
        staff_app, ["passwd", "lan@tgpl.vn", "--password-stdin"], input="another long passphrase\n"
    )
    assert changed.exit_code == 0, changed.output
    assert sessions.resolve(laptop) is None and sessions.resolve(phone) is None
    fresh = sessions.create(account.id)
    assert runner.invoke(staff_app, ["deactivate", "lan@tgpl.vn"]).exit_code == 0
    assert sessions.resolve(fresh) is None and sessions.count(account.id) == 0
