"""Real browser (headless Chromium via Playwright) against the real app served by uvicorn: a citizen
writes on Telegram, staff log in, open the ticket, reply, and the reply arrives at the fake Telegram.

Needs the Debian package `chromium` and the Python package `playwright` (no browser download):
    apt-get install -y chromium && pip install playwright
Run with: pytest -m browser tests/test_desk_browser.py
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from pydantic import SecretStr

from bot.desk import build_desk
from bot.desk.auth import Passwords
from bot.storage.db import Database
from bot.storage.schema import Ticket
from bot.storage.staff import StaffStore
from tests.auxil.app_harness import TG_HEADERS, make_settings
from tests.auxil.desk import FAST_HASHER, PASSWORD, SECRET, article_lookup
from tests.auxil.fake_telegram import FakeTelegram, check_html, private_message
from tests.auxil.live_server import free_port
from tests.auxil.mini_index import build_mini_index
from tests.auxil.waiting import wait_until

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("LAWBOT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Python package playwright is not installed (pip install playwright)"
    )
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@contextmanager
def serve_with_lifespan(app: Any) -> Iterator[str]:
    """uvicorn in a thread with the lifespan on (workers, channels), on a free 127.0.0.1 port."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), "the app to start", timeout=30)
    if not server.started:
        raise RuntimeError("the app did not start (its thread ended)")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def watched_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A desktop-sized page and the script errors it raises (the desk's own scripts must pass the CSP)."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield page, errors
    finally:
        page.close()


def log_in(page: Any, base: str, email: str) -> None:
    """Log in through the desk's form, as staff do, and land on the queue."""
    page.goto(f"{base}/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff/")


@contextmanager
def app_with_desk(tmp_path: Path, faq_dir: Path | None = None) -> Iterator[tuple[str, Database, FakeTelegram]]:
    """The real app and desk (staff lan@tgpl.vn) over a mini index and SQLite, Telegram faked; its base URL."""
    from bot.ingress.app import build_app
    from bot.runtime.workers import WorkerOptions

    db = Database(f"sqlite:///{tmp_path}/lawbot.sqlite3")
    db.migrate()
    index_dir = tmp_path / "index"
    build_mini_index(index_dir)
    StaffStore(db).create("lan@tgpl.vn", Passwords(FAST_HASHER).hash(PASSWORD), "staff", "Nguyễn Lan")
    tg = FakeTelegram()
    try:
        with tg.running():
            settings = make_settings(
                db, index_dir, tg, None, session_secret=SecretStr(SECRET), faq_dir=faq_dir or tmp_path / "faq"
            )
            desk = build_desk(db, settings=settings, article_lookup=article_lookup, password_hasher=FAST_HASHER)
            app = build_app(
                settings,
                database=db,
                desk_app=desk,
                worker_options=WorkerOptions(idle_poll=0.05, typing_delay=0.0, drain_timeout=5.0),
                index_poll_interval=0.2,
            )
            with serve_with_lifespan(app) as base:
                yield base, db, tg
    finally:
        db.dispose()


def test_staff_reply_from_the_browser_reaches_telegram(browser: Any, tmp_path: Path) -> None:
    with app_with_desk(tmp_path) as (base, db, tg):
        for update_id, text in ((1, "<b>Công ty</b> nợ lương tôi 3 tháng"), (2, "/canbo")):
            response = httpx.post(
                f"{base}/webhooks/telegram",
                json=private_message(update_id, text, user_id=4242),
                headers=TG_HEADERS,
            )
            assert response.status_code == 200
        wait_until(lambda: len(tg.sent(4242)) == 2, timeout=15)
        with db.session(readonly=True) as s:
            [ticket_id] = s.scalars(sa.select(Ticket.id)).all()

        page = browser.new_page(viewport={"width": 1366, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(f"{base}/staff/")
            assert "/staff/login" in page.url
            page.fill("input[name=email]", "lan@tgpl.vn")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/staff/")
            page.locator(f"a[href='/staff/tickets/{ticket_id}']").click()
            page.wait_for_url(f"{base}/staff/tickets/{ticket_id}")
            # the citizen's markup is shown as text, never interpreted
            first = page.locator(".msg.role-user").first.inner_text()
            assert "<b>Công ty</b> nợ lương tôi 3 tháng" in first
            assert page.locator(".transcript b").count() == 0
            assert page.locator("h1").first.inner_text().startswith(f"Yêu cầu #{ticket_id}")
            reply = "Chào bạn, mình là cán bộ trợ giúp pháp lý. Bạn giữ bảng lương và hợp đồng nhé."
            page.fill("#reply-text", reply)
            page.click("form[action$='/reply'] button[type=submit]")
            page.wait_for_selector(".flash.ok")
            staff_bubble = page.locator(".msg.role-staff").last
            assert reply in staff_bubble.inner_text()
            assert "Nguyễn Lan" in staff_bubble.inner_text()
            wait_until(lambda: len(tg.sent(4242)) == 3, timeout=15)
            assert check_html(tg.sent_texts(4242)[-1]) == reply
            # the delivery status in the transcript follows the outbox
            wait_until(lambda: _reload_shows(page, "Đã gửi"), timeout=15, interval=0.05)
            page.click("text=Đăng xuất")
            page.wait_for_url(f"{base}/staff/login*")
            # the pages' own scripts and styles pass the Content-Security-Policy
            assert errors == []
        finally:
            page.close()


def _reload_shows(page: Any, text: str) -> bool:
    page.reload()
    return text in page.locator(".msg.role-staff .delivery").last.inner_text()


def test_logout_in_the_browser_ends_the_session_for_a_copied_cookie(
    browser: Any, tmp_path: Path
) -> None:
    """Log in, keep a copy of the cookie (as a thief with the laptop would), log out: the copy is dead."""
    from bot.desk.session import COOKIE_NAME
    from tests.auxil.desk import make_harness

    db = Database(f"sqlite:///{tmp_path}/lawbot.sqlite3")
    db.migrate()
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    with serve_with_lifespan(h.app) as base:
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(f"{base}/staff/")
            page.fill("input[name=email]", "lan@tgpl.vn")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/staff/")
            copied = [c for c in context.cookies() if c["name"] == COOKIE_NAME]
            assert len(copied) == 1 and copied[0]["httpOnly"]
            page.click("text=Đăng xuất")
            page.wait_for_url(f"{base}/staff/login*")
            page.goto(f"{base}/staff/")
            assert "/staff/login" in page.url
        finally:
            context.close()
        thief = browser.new_context()
        try:
            thief.add_cookies(copied)
            stolen = thief.new_page()
            stolen.goto(f"{base}/staff/")
            assert "/staff/login" in stolen.url
            assert stolen.locator("input[name=password]").count() == 1
        finally:
            thief.close()
    db.dispose()


def test_quiz_built_in_the_browser_is_taken_on_telegram_and_reported(browser: Any, tmp_path: Path) -> None:
    """Staff build and open a quiz in the desk; a citizen takes it on Telegram; the council report counts them."""
    from tests.auxil.fake_telegram import callback_query

    with app_with_desk(tmp_path) as (base, _db, tg), watched_page(browser) as (page, errors):
        log_in(page, base, "lan@tgpl.vn")
        page.click("nav >> text=Cuộc thi")
        page.fill("input[name=title]", "Nghỉ phép năm")
        page.click("form[action$='/quizzes'] button[type=submit]")
        page.wait_for_selector("#add-question")
        page.fill("textarea[name=text]", "Làm đủ 12 tháng, việc bình thường: nghỉ hằng năm mấy ngày?")
        page.fill("input[name=option_0]", "10 ngày làm việc")
        page.fill("input[name=option_1]", "12 ngày làm việc")
        page.select_option("select[name=correct]", "B")
        page.fill("textarea[name=explanation]", "Khoản 1 Điều 113: 12 ngày làm việc, hưởng nguyên lương.")
        page.fill("input[name=article_id]", "20.2.LQ.113")
        page.fill("input[name=clause]", "1")
        page.click("#add-question button[type=submit]")
        page.wait_for_selector(".flash.ok")
        assert "khoản 1 Điều 113" in page.locator("#quiz-questions").inner_text()
        page.click("#publish")
        page.wait_for_selector(".flash.ok")
        assert page.locator("#quiz-status").inner_text() == "Đang mở"

        httpx.post(f"{base}/webhooks/telegram", json=private_message(1, "/thi", user_id=4343),
                   headers=TG_HEADERS)
        wait_until(lambda: len(tg.sent(4343)) == 1, timeout=15)
        httpx.post(f"{base}/webhooks/telegram", json=callback_query(2, "lb:choice2", user_id=4343),
                   headers=TG_HEADERS)
        wait_until(lambda: len(tg.sent(4343)) == 2, timeout=15)
        assert "đúng 1/1 câu" in tg.sent_texts(4343)[1]

        page.reload()
        assert "Hoàn thành: 1" in " ".join(page.locator("#quiz-results").inner_text().split())
        month = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).strftime("%Y-%m")
        page.goto(f"{base}/staff/report?period={month}")
        assert "Nghỉ phép năm" in page.locator("#report-quizzes").inner_text()
        assert errors == []


def test_bulletin_composed_in_the_browser_reaches_only_its_subscribers(browser: Any, tmp_path: Path) -> None:
    """Two citizens subscribe on Telegram (labour; land); staff compose a labour bulletin in the desk, see
    the preview and the reach, send it: the labour subscriber gets it once, the other nothing."""
    from bot.adapters.faq_topics import read_topics

    faq_dir = Path(__file__).resolve().parents[1] / "knowledge_base" / "faq"
    number = {t.slug: i for i, t in enumerate(read_topics(faq_dir), 1)}
    body = ("Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động được nghỉ hằng năm 12 ngày "
            "làm việc, hưởng nguyên lương, nếu làm công việc trong điều kiện bình thường.")
    with app_with_desk(tmp_path, faq_dir) as (base, _db, tg):
        for update_id, (user, text) in enumerate(
            ((4444, f"/dangky {number['lao-dong']}"), (4445, f"/dangky {number['dat-dai']}")), 1
        ):
            httpx.post(f"{base}/webhooks/telegram", json=private_message(update_id, text, user_id=user),
                       headers=TG_HEADERS)
        wait_until(lambda: len(tg.sent(4444)) == 1 and len(tg.sent(4445)) == 1, timeout=15)
        with watched_page(browser) as (page, errors):
            log_in(page, base, "lan@tgpl.vn")
            page.click("nav >> text=Bản tin")
            page.fill("input[name=title]", "Nghỉ hằng năm")
            page.fill("textarea[name=body]", body)
            page.check("input[name=topic][value=lao-dong]")
            page.check("input[name=channel][value=telegram]")
            page.click("form.bulletin-form button[type=submit]")
            page.wait_for_selector("#preview")
            assert "12 ngày" in page.locator("#preview").inner_text()
            assert "1" in page.locator("#reach strong").inner_text()
            page.click("#send-form button[type=submit]")
            page.wait_for_selector(".flash.ok")
            wait_until(lambda: len(tg.sent(4444)) == 2, timeout=15)
            assert "12 ngày làm việc" in tg.sent_texts(4444)[1]
            assert "/huydangky" in tg.sent_texts(4444)[1]  # how to unsubscribe, in every bulletin
            page.reload()  # the delivery counts follow the outbox
            # one recipient, one sent, none waiting, failed or withdrawn
            assert page.locator("#delivery").inner_text().split("\n")[-1].split() == ["1", "1", "0", "0", "0"]
            assert len(tg.sent(4445)) == 1  # the land subscriber got no labour bulletin
            assert errors == []



def test_places_imported_in_the_browser_route_a_case_to_its_point(browser: Any, tmp_path: Path) -> None:
    """An admin uploads the commune and service-point CSVs in the desk; a citizen of Xã Tân Phú is sued and
    says where they live; the ticket lands in the branch's queue, which its staff member sees."""
    from bot.storage.places import PlaceRegister
    from tests.auxil.places import COMMUNES_CSV, POINTS_CSV

    with app_with_desk(tmp_path) as (base, db, tg):
        StaffStore(db).create("an@tgpl.vn", Passwords(FAST_HASHER).hash(PASSWORD), "admin", "An")
        with watched_page(browser) as (page, errors):
            log_in(page, base, "an@tgpl.vn")
            for csv_file in (COMMUNES_CSV, POINTS_CSV):
                page.goto(f"{base}/staff/admin/places")
                page.set_input_files("input[name=file]", str(csv_file))
                page.click("form[enctype] button[type=submit]")
                page.wait_for_selector(".flash.ok")
            register = PlaceRegister(db)
            branch = next(p for p in register.points() if p.key == "vd-tgpl-dn-cn1")
            lan = StaffStore(db).get_by_email("lan@tgpl.vn")
            assert lan is not None
            register.assign_staff(lan.id, branch.id)

            for update_id, text in enumerate(
                ("toi vua bi kien ra toa vi no tien hang, phai lam sao", "xa tan phu huyen tan phu dong nai",
                 "dung"), 1
            ):
                httpx.post(f"{base}/webhooks/telegram", json=private_message(update_id, text, user_id=4646),
                           headers=TG_HEADERS)
                wait_until(lambda n=update_id: len(tg.sent(4646)) == n, timeout=15)
            assert branch.name in tg.sent_texts(4646)[-1]

            page.click("text=Đăng xuất")
            page.wait_for_url(f"{base}/staff/login*")
            log_in(page, base, "lan@tgpl.vn")
            queue = page.locator("main").inner_text()  # her point's queue, by default
            assert "bi kien ra toa" in queue and branch.name in queue
            assert errors == []
