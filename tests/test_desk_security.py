"""Desk hardening: every route needs a login, every POST a CSRF token, admin pages an admin;
no path traversal; security headers; citizen text escaped."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from starlette.routing import Mount, Route

from bot.desk.app import build_desk
from bot.storage.db import Database
from bot.storage.schema import OutboxRecord, TicketNote
from tests.auxil.desk import DeskHarness, csrf_of, desk_settings, login, make_harness, token


def desk_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the desk, with ids filled in (static files excluded)."""
    app = build_desk(Database("sqlite://"), settings=desk_settings(Path("/nonexistent")))
    found = []
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods or []):
            if method != "HEAD":
                found.append((method, path))
    return found


ROUTES = desk_routes()
PUBLIC = {("GET", "/login"), ("POST", "/login")}
POSTS = [(m, p) for m, p in ROUTES if m == "POST" and (m, p) not in PUBLIC]


def test_the_route_list_is_complete() -> None:
    # guards against the enumeration silently finding nothing
    assert ("GET", "/") in ROUTES and ("POST", "/tickets/1/reply") in ROUTES
    assert ("GET", "/admin/staff") in ROUTES and ("POST", "/admin/faq/1/approve") in ROUTES
    assert len(POSTS) >= 13


async def _seeded(db: Database, tmp_path: Path) -> DeskHarness:
    h = make_harness(db, tmp_path)
    h.add_staff("admin@tgpl.vn", "admin")
    h.add_staff("staff@tgpl.vn", "staff")
    h.open_ticket()
    return h


def _ticket(db: Database) -> int:
    from bot.storage.schema import Ticket

    with db.session(readonly=True) as s:
        return int(s.scalar(sa.select(sa.func.min(Ticket.id))))


async def test_every_route_requires_login(db: Database, tmp_path: Path) -> None:
    h = await _seeded(db, tmp_path)
    async with h.client() as c:
        for method, path in ROUTES:
            if (method, path) in PUBLIC:
                continue
            response = await c.request(method, "/staff" + path, data={"text": "x"})
            if method == "GET" and not path.startswith("/api/"):
                assert response.status_code == 303, (method, path)
                assert response.headers["location"].startswith("/staff/login?next="), path
            else:
                assert response.status_code == 401, (method, path)
            assert "Yêu cầu" not in response.text
        with db.session(readonly=True) as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord)) == 0


async def test_every_post_needs_the_csrf_token(db: Database, tmp_path: Path) -> None:
    h = await _seeded(db, tmp_path)
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        good = await token(c)
        async with h.client() as other:
            await login(other, "staff@tgpl.vn")
            foreign = await token(other)  # valid, but for another session
        for method, path in POSTS:
            for data in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}, {"csrf_token": foreign}):
                data = {**data, "text": "hello", "assignee": "", "urgency": "urgent", "action": "role"}
                response = await c.request(method, "/staff" + path, data=data)
                assert response.status_code == 403, (path, data["csrf_token"] if data else None)
        # the token itself is right: a cross-site Origin is refused anyway
        ticket_id = _ticket(db)
        crossed = await c.post(
            f"/staff/tickets/{ticket_id}/note",
            data={"csrf_token": good, "text": "x"},
            headers={"origin": "https://evil.example"},
        )
        assert crossed.status_code == 403
        accepted = await c.post(
            f"/staff/tickets/{ticket_id}/note", data={"csrf_token": good, "text": "x"}
        )
        assert accepted.status_code == 303
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(TicketNote)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord)) == 0


async def test_login_form_needs_the_csrf_token_too(db: Database, tmp_path: Path) -> None:
    h = await _seeded(db, tmp_path)
    async with h.client() as c:
        response = await c.post(
            "/staff/login", data={"email": "admin@tgpl.vn", "password": "correct horse battery staple"}
        )
        assert response.status_code == 403
        assert "Phiên làm việc đã hết hạn" in response.text


async def test_staff_cannot_open_admin_routes(db: Database, tmp_path: Path) -> None:
    h = await _seeded(db, tmp_path)
    async with h.client() as c:
        await login(c, "staff@tgpl.vn")
        csrf = await token(c)
        admin_routes = [(m, p) for m, p in ROUTES if p.startswith("/admin")]
        assert len(admin_routes) >= 6
        for method, path in admin_routes:
            response = await c.request(
                method,
                "/staff" + path,
                data={"csrf_token": csrf, "email": "x@y.vn", "password": "p" * 20, "action": "role",
                      "role": "admin"},
            )
            assert response.status_code == 403, (method, path)
            assert "Không có quyền" in response.text
        queue = await c.get("/staff/")
        assert "/admin/" not in queue.text  # no admin links in a staff member's menu
    accounts = {a.email: a.role for a in h.staff.list()}
    assert accounts == {"admin@tgpl.vn": "admin", "staff@tgpl.vn": "staff"}


@pytest.mark.parametrize(
    "path",
    [
        "/staff/static/../../bot/settings.py",
        "/staff/static/%2e%2e/%2e%2e/settings.py",
        "/staff/static/..%2f..%2fsettings.py",
        "/staff/static/%2e%2e%2fapp.py",
        "/staff/static/....//....//etc/passwd",
        "/staff/static//etc/passwd",
        "/staff/static/%2fetc%2fpasswd",
    ],
)
async def test_no_path_traversal_through_static_files(
    db: Database, tmp_path: Path, path: str
) -> None:
    h = await _seeded(db, tmp_path)
    async with h.client() as c:
        response = await c.get(path)
        assert response.status_code in (303, 404), response.status_code
        assert "root:" not in response.text and "BaseSettings" not in response.text
        assert "build_desk" not in response.text
        assert (await c.get("/staff/static/desk.css")).status_code == 200


@pytest.mark.parametrize("article_id", ["../../../../etc/passwd", "/etc/passwd", "..%2F..%2Fsettings.py", "x" * 5000])
async def test_article_route_only_reads_the_index(
    db: Database, tmp_path: Path, article_id: str
) -> None:
    h = await _seeded(db, tmp_path)
    async with h.client() as c:
        await login(c, "staff@tgpl.vn")
        response = await c.get("/staff/article", params={"id": article_id})
        # no such article (404); an id longer than any article id is malformed (400)
        assert response.status_code == (400 if len(article_id) > 255 else 404)
        assert "root:" not in response.text


async def test_pages_carry_security_headers(db: Database, tmp_path: Path) -> None:
    h = await _seeded(db, tmp_path)
    async with h.client() as c:
        await login(c, "staff@tgpl.vn")
        response = await c.get(f"/staff/tickets/{_ticket(db)}")
        csp = response.headers["content-security-policy"]
        assert "script-src 'nonce-" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"  # citizen data stays out of caches
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)  # type: ignore[union-attr]
        scripts = re.findall(r"<script([^>]*)>", response.text)
        assert scripts and all(f'nonce="{nonce}"' in attrs for attrs in scripts)


XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


async def test_citizen_text_is_escaped_everywhere(db: Database, tmp_path: Path) -> None:
    h = await _seeded(db, tmp_path)
    ticket_id = h.open_ticket(XSS, draft=XSS, category="<b>cat</b>")
    from tests.auxil.desk_seed import record_turn

    record_turn(db, XSS, "ok", user="5001")
    async with h.client() as c:
        await login(c, "staff@tgpl.vn")
        csrf = await token(c)
        await c.post(f"/staff/tickets/{ticket_id}/note", data={"csrf_token": csrf, "text": XSS})
        for path in (f"/staff/tickets/{ticket_id}", "/staff/", "/staff/?category=%3Cb%3Ecat%3C%2Fb%3E"):
            page = await c.get(path)
            assert page.status_code == 200
            assert "<script>alert(1)" not in page.text
            assert "<img src=x" not in page.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
            assert "<b>cat</b>" not in page.text


def test_csrf_helper_reads_the_token() -> None:
    assert csrf_of('<input type="hidden" name="csrf_token" value="abc">') == "abc"
    with pytest.raises(AssertionError):
        csrf_of("<form></form>")
    assert httpx  # the client library the tests use


async def test_huge_bodies_are_refused_before_reading(db: Database, tmp_path: Path) -> None:
    h = await _seeded(db, tmp_path)
    async with h.client() as c:
        big = {"email": "a@b.vn", "password": "x" * 400_000}
        assert (await c.post("/staff/login", data=big)).status_code == 413

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(100):
                yield b"password=" + b"x" * 10_000

        chunked = await c.post(
            "/staff/login",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert chunked.status_code == 413


MALFORMED = [
    "/staff/?assignee=%C2%B2",  # "²" passes str.isdigit() but not int()
    "/staff/?assignee=99999999999999999999",  # beyond PostgreSQL's integer
    "/staff/?assignee=-3",
    "/staff/?page=-1",
    "/staff/?page=0",
    "/staff/?page=%EF%BC%92",  # full-width digit
    "/staff/?page=1e3",
    "/staff/?status=everything",
    "/staff/?channel=fax",
    "/staff/?urgency=whenever",
    "/staff/?category=lao%00dong",  # PostgreSQL refuses NUL in text
    "/staff/?category=" + "x" * 65,
    "/staff/article?id=a%00b",
    "/staff/stats?start=2026-13-45",
    "/staff/stats?end=%C2%B2%C2%B2%C2%B2%C2%B2-01-01",
    "/staff/stats.csv?kind=..%2Fetc",
    "/staff/faq/review?page=-1",
    "/staff/faq/review?page=99999999999999999999",
    "/staff/faq/review?state=gone",
    "/staff/admin/faq?status=whatever",
]


async def test_malformed_parameters_are_a_400_never_a_500(db: Database, tmp_path: Path) -> None:
    h = await _seeded(db, tmp_path)
    ticket_id = _ticket(db)
    async with h.client() as c:
        await login(c, "admin@tgpl.vn")
        for url in MALFORMED:
            response = await c.get(url)
            assert response.status_code == 400, url
            assert "Yêu cầu không hợp lệ" in response.text, url
        # a 20-digit id in a path: no such ticket
        assert (await c.get("/staff/tickets/99999999999999999999")).status_code == 404
        csrf = await token(c)
        for bad in ("²", "99999999999999999999", "-1", "1.5"):
            r = await c.post(f"/staff/tickets/{ticket_id}/assign", data={"csrf_token": csrf, "assignee": bad})
            assert r.status_code == 400, bad
        note = await c.post(f"/staff/tickets/{ticket_id}/note", data={"csrf_token": csrf, "text": "a\x00b"})
        assert note.status_code == 400
        # well-formed values, and the empty ones a filter form sends, still work
        for url in (
            "/staff/?assignee=me&page=2&status=all",
            "/staff/?assignee=&category=&channel=&urgency=&page=",
            "/staff/?assignee=none&channel=telegram&urgency=urgent",
            f"/staff/?assignee={2**31 - 1}",
            "/staff/faq/review?state=approved&page=1",
            "/staff/admin/faq?status=approved",
        ):
            assert (await c.get(url)).status_code == 200, url
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(TicketNote)) == 0


def test_the_default_session_secret_is_refused_on_a_public_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from pydantic import SecretStr

    from bot.desk.app import InsecureSessionSecret

    default = SecretStr("change-me-in-production")
    public = desk_settings(tmp_path, session_secret=default, public_url="https://lawbot.example.org")
    with pytest.raises(InsecureSessionSecret, match="LAWBOT_SESSION_SECRET is the default"):
        build_desk(Database("sqlite://"), settings=public)
    short = desk_settings(tmp_path, session_secret=SecretStr("short"), public_url="https://x.example")
    with pytest.raises(InsecureSessionSecret, match="shorter than 32"):
        build_desk(Database("sqlite://"), settings=short)
    # on a developer's machine (no public URL) it is only a warning
    build_desk(Database("sqlite://"), settings=desk_settings(tmp_path, session_secret=default))
    assert "LAWBOT_SESSION_SECRET is the default" in caplog.text


def test_lawbot_serve_refuses_to_start_with_the_default_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app

    monkeypatch.chdir(tmp_path)  # no .env here
    env = {
        "LAWBOT_PUBLIC_URL": "https://lawbot.example.org",
        "LAWBOT_DATABASE_URL": f"sqlite:///{tmp_path}/lawbot.sqlite3",
        "LAWBOT_INDEX_DIR": str(tmp_path / "index"),
    }
    monkeypatch.delenv("LAWBOT_SESSION_SECRET", raising=False)
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code == 2
    assert "LAWBOT_SESSION_SECRET is the default value while LAWBOT_PUBLIC_URL is set" in result.output
    assert not (tmp_path / "index").exists()  # refused before building or serving anything
