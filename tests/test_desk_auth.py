"""Staff desk login: passwords, lockout, session cookie (flags, fixation, expiry), logout, audit."""

from __future__ import annotations

from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.desk.session import COOKIE_NAME, IDLE_TIMEOUT, SessionSigner
from bot.storage.db import Database
from bot.storage.schema import StaffAudit
from tests.auxil.desk import PASSWORD, SECRET, Clock, login, make_harness


def _audit_actions(db: Database) -> list[str]:
    with db.session(readonly=True) as s:
        return list(s.scalars(sa.select(StaffAudit.action).order_by(StaffAudit.id)))


def _cookie(response) -> SimpleCookie:  # type: ignore[no-untyped-def]
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


async def test_login_then_logout(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        response = await login(c, "lan@tgpl.vn")
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/"
        queue = await c.get("/staff/")
        assert queue.status_code == 200
        assert "lan@tgpl.vn" in queue.text
        page = await c.get("/staff/")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        out = await c.post("/staff/logout", data={"csrf_token": token})
        assert out.status_code == 303
        assert out.headers["location"].startswith("/staff/login")
        after = await c.get("/staff/")
        assert after.status_code == 303
        assert after.headers["location"].startswith("/staff/login")
    assert _audit_actions(db) == ["login", "logout"]


async def test_wrong_password_and_unknown_email_look_the_same(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        wrong = await login(c, "lan@tgpl.vn", "not the password at all")
        unknown = await login(c, "nobody@tgpl.vn", "not the password at all")
        assert wrong.status_code == unknown.status_code == 400
        assert "Email hoặc mật khẩu không đúng" in wrong.text
        assert "Email hoặc mật khẩu không đúng" in unknown.text
        assert (await c.get("/staff/")).status_code == 303
    assert _audit_actions(db) == ["login_failed", "login_failed"]


async def test_five_failures_lock_the_account_for_fifteen_minutes(
    db: Database, tmp_path: Path
) -> None:
    clock = Clock()
    h = make_harness(db, tmp_path, clock=clock)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        for _ in range(4):
            assert "không đúng" in (await login(c, "lan@tgpl.vn", "guess-guess-guess")).text
        fifth = await login(c, "lan@tgpl.vn", "guess-guess-guess")
        assert "tạm khoá" in fifth.text and "15 phút" in fifth.text
        # the right password does not help while locked
        locked = await login(c, "lan@tgpl.vn", PASSWORD)
        assert locked.status_code == 400
        assert "tạm khoá" in locked.text
        clock.advance(minutes=14)
        assert "1 phút" in (await login(c, "lan@tgpl.vn", PASSWORD)).text
        clock.advance(minutes=1, seconds=1)
        assert (await login(c, "lan@tgpl.vn", PASSWORD)).status_code == 303
        assert (await c.get("/staff/")).status_code == 200
    actions = _audit_actions(db)
    assert actions.count("login_failed") == 5
    assert actions.count("account_locked") == 1
    assert actions.count("login_refused_locked") == 2
    assert actions[-1] == "login"


async def test_session_cookie_flags_and_a_new_session_id_at_login(
    db: Database, tmp_path: Path
) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    signer = SessionSigner(SECRET)
    async with h.client() as c:
        form = await c.get("/staff/login")
        before = _cookie(form)[COOKIE_NAME]
        assert before["httponly"] and before["samesite"] == "Lax" and before["path"] == "/staff"
        assert not before["secure"]  # plain http in this test
        anonymous = signer.loads(before.value)
        assert anonymous is not None and anonymous.staff_id is None
        response = await login(c, "lan@tgpl.vn")
        after = _cookie(response)[COOKIE_NAME]
        logged_in = signer.loads(after.value)
        assert logged_in is not None and logged_in.staff_id is not None
        assert logged_in.sid != anonymous.sid
    # session fixation: a cookie planted before login never becomes a logged-in session
    async with h.client() as attacker:
        attacker.cookies.set(COOKIE_NAME, before.value, domain="test.local", path="/staff")
        planted = await attacker.get("/staff/")
        assert planted.request.headers["cookie"] == f"{COOKIE_NAME}={before.value}"
        assert planted.status_code == 303


async def test_cookie_is_secure_on_https(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    async with h.client(base_url="https://test") as c:
        form = await c.get("/staff/login")
        assert _cookie(form)[COOKIE_NAME]["secure"]


async def test_forged_or_altered_cookies_are_refused(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    staff_id = h.add_staff("lan@tgpl.vn")
    forged = SessionSigner("another-secret-another-secret-another-secret")
    from bot.desk.session import new_session

    async with h.client() as c:
        c.cookies.set(COOKIE_NAME, forged.dumps(new_session(staff_id)), domain="test.local", path="/staff")
        response = await c.get("/staff/")
        assert COOKIE_NAME in response.request.headers["cookie"]
        assert response.status_code == 303
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        value = c.cookies.get(COOKIE_NAME)
        assert value
        payload, signature = value.split(".")
        c.cookies.set(COOKIE_NAME, payload[:-2] + "xx." + signature, domain="test.local", path="/staff")
        assert (await c.get("/staff/")).status_code == 303


async def test_idle_session_expires(db: Database, tmp_path: Path) -> None:
    clock = Clock()
    h = make_harness(db, tmp_path, clock=clock)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        clock.advance(seconds=IDLE_TIMEOUT - 60)
        assert (await c.get("/staff/")).status_code == 200  # activity moves the idle deadline
        clock.advance(seconds=IDLE_TIMEOUT - 60)
        assert (await c.get("/staff/")).status_code == 200
        clock.advance(seconds=IDLE_TIMEOUT + 1)
        assert (await c.get("/staff/")).status_code == 303


async def test_deactivating_an_account_ends_its_sessions(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    staff_id = h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        assert (await c.get("/staff/")).status_code == 200
        h.staff.update(staff_id, active=False)
        assert (await c.get("/staff/")).status_code == 303
        assert (await login(c, "lan@tgpl.vn")).status_code == 400


async def test_password_change_ends_old_sessions(db: Database, tmp_path: Path) -> None:
    from bot.desk.auth import Passwords
    from tests.auxil.desk import FAST_HASHER

    h = make_harness(db, tmp_path)
    staff_id = h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        h.staff.update(staff_id, password_hash=Passwords(FAST_HASHER).hash("a brand new passphrase"))
        assert (await c.get("/staff/")).status_code == 303


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
async def test_login_never_redirects_off_the_desk(db: Database, tmp_path: Path, target: str) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        response = await login(c, "lan@tgpl.vn", next_path=target)
        assert response.headers["location"] == "/staff/"


async def test_login_returns_to_the_page_asked_for(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    ticket_id = h.open_ticket()
    async with h.client() as c:
        first = await c.get(f"/staff/tickets/{ticket_id}")
        assert first.headers["location"] == f"/staff/login?next=%2Ftickets%2F{ticket_id}"
        form = await c.get(first.headers["location"])
        assert f'value="/tickets/{ticket_id}"' in form.text
        response = await login(c, "lan@tgpl.vn", next_path=f"/tickets/{ticket_id}")
        assert response.headers["location"] == f"/staff/tickets/{ticket_id}"
