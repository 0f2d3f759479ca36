"""Staff desk login: passwords, throttling (raceless, no lockout by strangers), server-side sessions
(cookie flags, fixation, logout, idle and absolute expiry, revocation), audit."""

from __future__ import annotations

import asyncio
import secrets
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from bot.desk.session import COOKIE_NAME, SessionSigner, new_session
from bot.storage.db import Database
from bot.storage.schema import StaffAudit, StaffSession
from tests.auxil.desk import PASSWORD, SECRET, Clock, csrf_of, login, make_harness

FAILED = "Email hoặc mật khẩu không đúng, hoặc đã nhập sai quá nhiều lần"


def _audit_actions(db: Database) -> list[str]:
    with db.session(readonly=True) as s:
        return list(s.scalars(sa.select(StaffAudit.action).order_by(StaffAudit.id)))


def _password_checks(db: Database) -> int:
    """Attempts whose password was actually verified (the audit says why each one failed)."""
    with db.session(readonly=True) as s:
        rows = s.scalars(sa.select(StaffAudit).where(StaffAudit.action == "login_failed")).all()
        return sum(1 for r in rows if (r.detail or {}).get("reason") == "password")


def _cookie(response) -> SimpleCookie:  # type: ignore[no-untyped-def]
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


def _sessions(db: Database) -> list[StaffSession]:
    with db.session(readonly=True) as s:
        return list(s.scalars(sa.select(StaffSession)))


async def test_login_then_logout_and_the_old_cookie_opens_nothing(
    db: Database, tmp_path: Path
) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        response = await login(c, "lan@tgpl.vn")
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/"
        old_cookie = c.cookies.get(COOKIE_NAME)
        assert old_cookie
        queue = await c.get("/staff/")
        assert queue.status_code == 200
        assert "lan@tgpl.vn" in queue.text
        out = await c.post("/staff/logout", data={"csrf_token": csrf_of(queue.text)})
        assert out.status_code == 303
        assert out.headers["location"].startswith("/staff/login")
        after = await c.get("/staff/")
        assert after.status_code == 303
        assert after.headers["location"].startswith("/staff/login")
    assert _sessions(db) == []
    # someone who copied the cookie before the logout (shared computer, stolen laptop) gets nothing
    async with h.client() as thief:
        thief.cookies.set(COOKIE_NAME, old_cookie, domain="test.local", path="/staff")
        replay = await thief.get("/staff/")
        assert replay.request.headers["cookie"] == f"{COOKIE_NAME}={old_cookie}"
        assert replay.status_code == 303
        assert (await thief.get("/staff/api/badge")).status_code == 401
    assert _audit_actions(db) == ["login", "logout"]


async def test_the_database_holds_no_usable_session_id(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        session = SessionSigner(SECRET).loads(c.cookies.get(COOKIE_NAME))
        assert session is not None and session.logged_in
    [row] = _sessions(db)
    assert session.sid not in row.token_hash and len(row.token_hash) == 64


async def test_unknown_email_wrong_password_and_throttled_look_the_same(
    db: Database, tmp_path: Path
) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        wrong = await login(c, "lan@tgpl.vn", "not the password at all")
        unknown = await login(c, "nobody@tgpl.vn", "not the password at all")
        for _ in range(5):
            await login(c, "nobody@tgpl.vn", "not the password at all")
            await login(c, "lan@tgpl.vn", "not the password at all")
        throttled_real = await login(c, "lan@tgpl.vn", "not the password at all")
        throttled_unknown = await login(c, "nobody@tgpl.vn", "not the password at all")
        pages = [wrong, unknown, throttled_real, throttled_unknown]
        assert {p.status_code for p in pages} == {400}
        assert all(FAILED in p.text for p in pages)
        # the pages differ only in the CSRF token and the e-mail typed back into the form
        bodies = {p.text.replace(csrf_of(p.text), "").replace("nobody@", "lan@") for p in pages}
        assert len(bodies) == 1
        assert (await c.get("/staff/")).status_code == 303
    actions = _audit_actions(db)
    # an unknown e-mail is throttled exactly like a real one: five checks, then refusals
    assert actions.count("login_failed") == 10
    assert actions.count("login_throttled") == 4


async def test_five_wrong_passwords_slow_this_address_down_but_not_the_owner_elsewhere(
    db: Database, tmp_path: Path
) -> None:
    clock = Clock()
    h = make_harness(db, tmp_path, clock=clock)
    h.add_staff("lan@tgpl.vn")
    async with h.client(address="203.0.113.9") as stranger:
        for _ in range(5):
            assert FAILED in (await login(stranger, "lan@tgpl.vn", "guess-guess-guess")).text
        # throttled: even the right password is not checked from here for now
        refused = await login(stranger, "lan@tgpl.vn", PASSWORD)
        assert refused.status_code == 400 and FAILED in refused.text
    async with h.client(address="198.51.100.7") as owner:
        assert (await login(owner, "lan@tgpl.vn")).status_code == 303
        assert (await owner.get("/staff/")).status_code == 200
    async with h.client(address="203.0.113.9") as stranger:
        clock.advance(seconds=61)  # the first delay is a minute; it doubles for each new series
        for _ in range(5):
            assert FAILED in (await login(stranger, "lan@tgpl.vn", "guess-guess-guess")).text
        clock.advance(seconds=61)
        assert (await login(stranger, "lan@tgpl.vn", PASSWORD)).status_code == 400
        clock.advance(seconds=60)
        assert (await login(stranger, "lan@tgpl.vn", PASSWORD)).status_code == 303
    actions = _audit_actions(db)
    assert actions.count("login_failed") == 10
    assert actions.count("login_throttled") == 2
    assert actions.count("login") == 2


async def test_a_parallel_burst_checks_at_most_five_passwords(db: Database, tmp_path: Path) -> None:
    # a real (if light) argon2: the verify takes long enough for parallel requests to overlap
    slow = PasswordHasher(time_cost=2, memory_cost=4096, parallelism=1)
    h = make_harness(db, tmp_path, password_hasher=slow)
    h.staff.create("lan@tgpl.vn", slow.hash(PASSWORD), "staff")
    async with h.client(address="203.0.113.9") as c:
        form_token = csrf_of((await c.get("/staff/login")).text)
        data = {"email": "lan@tgpl.vn", "password": "wrong-guess-0000", "csrf_token": form_token}
        burst = await asyncio.gather(*(c.post("/staff/login", data=data) for _ in range(28)))
    assert [r.status_code for r in burst] == [400] * 28
    assert all(FAILED in r.text for r in burst)
    assert 1 <= _password_checks(db) <= 5
    assert _audit_actions(db).count("login_throttled") == 28 - _password_checks(db)


async def test_an_account_attacked_from_many_addresses_still_opens_from_its_usual_one(
    db: Database, tmp_path: Path
) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    async with h.client(address="198.51.100.7") as office:
        assert (await login(office, "lan@tgpl.vn")).status_code == 303
    for n in range(31):  # a botnet: few guesses per address, many addresses
        async with h.client(address=f"10.9.{n}.1") as bot:
            assert FAILED in (await login(bot, "lan@tgpl.vn", f"guess-{n}-guess")).text
    assert _audit_actions(db)[-1] == "login_throttled"  # the account as a whole slowed down ...
    async with h.client(address="192.0.2.44") as hotel:  # ... for addresses it never logged in from
        assert (await login(hotel, "lan@tgpl.vn")).status_code == 400
    async with h.client(address="198.51.100.7") as office:  # but not at the office
        assert (await login(office, "lan@tgpl.vn")).status_code == 303
        assert (await office.get("/staff/")).status_code == 200


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
        assert anonymous is not None and not anonymous.logged_in
        response = await login(c, "lan@tgpl.vn")
        after = _cookie(response)[COOKIE_NAME]
        logged_in = signer.loads(after.value)
        assert logged_in is not None and logged_in.logged_in
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


async def test_forged_altered_or_guessed_cookies_are_refused(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    forged = SessionSigner("another-secret-another-secret-another-secret")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        value = c.cookies.get(COOKIE_NAME)
        assert value
        session = SessionSigner(SECRET).loads(value)
        assert session is not None
    async with h.client() as c:  # the right session id, signed with another key
        c.cookies.set(COOKIE_NAME, forged.dumps(session), domain="test.local", path="/staff")
        response = await c.get("/staff/")
        assert COOKIE_NAME in response.request.headers["cookie"]
        assert response.status_code == 303
    async with h.client() as c:  # altered payload
        payload, signature = value.split(".")
        c.cookies.set(COOKIE_NAME, payload[:-2] + "xx." + signature, domain="test.local", path="/staff")
        assert (await c.get("/staff/")).status_code == 303
    async with h.client() as c:  # properly signed (a leaked key), but no such session on the server
        guessed = SessionSigner(SECRET).dumps(new_session(secrets.token_urlsafe(32)))
        c.cookies.set(COOKIE_NAME, guessed, domain="test.local", path="/staff")
        assert (await c.get("/staff/")).status_code == 303


async def test_idle_session_expires(db: Database, tmp_path: Path) -> None:
    clock = Clock()
    h = make_harness(db, tmp_path, clock=clock)
    h.add_staff("lan@tgpl.vn")
    idle = h.settings.session_idle_minutes
    assert idle == 120
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        clock.advance(minutes=idle - 1)
        assert (await c.get("/staff/")).status_code == 200  # activity moves the idle deadline
        clock.advance(minutes=idle - 1)
        assert (await c.get("/staff/")).status_code == 200
        clock.advance(minutes=idle, seconds=1)
        assert (await c.get("/staff/")).status_code == 303
    assert _sessions(db) == []


async def test_a_session_ends_at_its_absolute_limit_however_active(
    db: Database, tmp_path: Path
) -> None:
    clock = Clock()
    h = make_harness(db, tmp_path, clock=clock, session_max_hours=3, session_idle_minutes=60)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        for _ in range(5):
            clock.advance(minutes=35)
            assert (await c.get("/staff/")).status_code == 200
        clock.advance(minutes=6)  # 3 h 01 after login
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


async def test_password_change_ends_every_session_of_the_account(
    db: Database, tmp_path: Path
) -> None:
    from bot.desk.auth import Passwords
    from tests.auxil.desk import FAST_HASHER

    h = make_harness(db, tmp_path)
    staff_id = h.add_staff("lan@tgpl.vn")
    h.add_staff("minh@tgpl.vn")
    async with h.client() as laptop, h.client() as phone, h.client() as colleague:
        await login(laptop, "lan@tgpl.vn")
        await login(phone, "lan@tgpl.vn")
        await login(colleague, "minh@tgpl.vn")
        h.staff.update(staff_id, password_hash=Passwords(FAST_HASHER).hash("a brand new passphrase"))
        assert (await laptop.get("/staff/")).status_code == 303
        assert (await phone.get("/staff/")).status_code == 303
        assert (await colleague.get("/staff/")).status_code == 200  # other accounts keep theirs
        assert (await login(laptop, "lan@tgpl.vn", "a brand new passphrase")).status_code == 303
        assert (await laptop.get("/staff/")).status_code == 200


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
