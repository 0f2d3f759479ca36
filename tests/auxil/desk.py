"""Helpers for the staff desk tests: a desk mounted at /staff, accounts, tickets, login, CSRF tokens."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.core.models import Channel
from bot.core.ports import TicketDraft, Turn
from bot.desk import build_desk
from bot.desk.auth import Passwords
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.staff import StaffStore
from bot.storage.tickets import SqlTicketStore

# argon2 at its cheapest: the tests check behaviour, not hashing cost (production uses the defaults)
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery staple"
SECRET = "test-session-secret-0123456789abcdef0123456789"

ARTICLES: dict[str, dict[str, Any]] = {
    "20.2.LQ.113": {
        "id": "20.2.LQ.113",
        "doc_number": "45/2019/QH14",
        "number": "113",
        "title": "Nghỉ hằng năm",
        "doc_title": "Bộ luật Lao động",
        "text": (
            "1. Người lao động có đủ 12 tháng làm việc cho một người sử dụng lao động thì được nghỉ "
            "hằng năm, hưởng nguyên lương theo hợp đồng lao động như sau:\n"
            "a) 12 ngày làm việc đối với người làm công việc trong điều kiện bình thường;\n"
            "b) 14 ngày làm việc đối với người lao động chưa thành niên, lao động là người khuyết tật;"
        ),
        "status": "in_force",
    },
    "31/2024/QH15::45": {
        "id": "31/2024/QH15::45",
        "doc_number": "31/2024/QH15",
        "number": "45",
        "title": "Giấy chứng nhận",
        "doc_title": "Luật Đất đai",
        "text": "Người sử dụng đất được cấp Giấy chứng nhận khi có đủ các điều kiện <sau đây>.",
        "status": "in_force",
    },
}


def article_lookup(article_id: str) -> dict[str, Any] | None:
    return ARTICLES.get(article_id)


def desk_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "session_secret": SecretStr(SECRET),
        "faq_dir": tmp_path / "faq",
        "documents_register": tmp_path / "no-register.yaml",
        "database_url": "sqlite://",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass
class DeskHarness:
    db: Database
    settings: Settings
    app: Starlette
    tickets: SqlTicketStore
    staff: StaffStore
    approved: list[int] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)

    def add_staff(self, email: str, role: str = "staff", password: str = PASSWORD) -> int:
        return self.staff.create(email, Passwords(FAST_HASHER).hash(password), role).id

    def open_ticket(
        self,
        question: str = "Công ty nợ lương 3 tháng, tôi phải làm gì?",
        *,
        urgency: str = "normal",
        category: str = "lao-dong",
        channel: Channel = Channel.TELEGRAM,
        chat_id: str = "5001",
        user_id: str = "5001",
        sources: list[tuple[str, float]] | None = None,
        draft: str | None = "Theo Điều 113 Bộ luật Lao động, bạn được nghỉ 12 ngày.",
    ) -> int:
        now = dt.datetime.now(dt.UTC)
        return self.tickets.open_ticket(
            TicketDraft(
                channel=channel,
                user_id=user_id,
                chat_id=chat_id,
                category=category,
                urgency=urgency,
                question=question,
                transcript=[Turn("user", question, now)],
                sources=sources if sources is not None else [("20.2.LQ.113", 0.71)],
                draft_answer=draft,
            )
        )

    def client(self, base_url: str = "http://test", address: str = "127.0.0.1") -> httpx.AsyncClient:
        """A browser at `address` (what the desk sees as the client address)."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url=base_url)


def make_harness(
    db: Database,
    tmp_path: Path,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    on_faq_approved: Callable[[], Any] | None = None,
    password_hasher: PasswordHasher = FAST_HASHER,
    lookup: Callable[[str], Any] | None = None,
    **settings: Any,
) -> DeskHarness:
    conf = desk_settings(tmp_path, **settings)
    holder: dict[str, DeskHarness] = {}
    kwargs: dict[str, Any] = {} if clock is None else {"clock": clock}
    tickets = SqlTicketStore(db, **kwargs)
    desk = build_desk(
        db,
        settings=conf,
        notifier=lambda ticket_id: holder["h"].alerts.append(ticket_id),
        on_faq_approved=on_faq_approved or (lambda: holder["h"].approved.append(1)),
        article_lookup=lookup or article_lookup,
        tickets=tickets,
        password_hasher=password_hasher,
        **kwargs,
    )
    app = Starlette(routes=[Mount("/staff", app=desk)])
    harness = DeskHarness(db, conf, app, tickets, StaffStore(db, **kwargs))
    holder["h"] = harness
    return harness


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    """Log in through the form, as a browser does (GET the form for its token, then POST)."""
    form = await client.get("/staff/login")
    return await client.post(
        "/staff/login",
        data={
            "email": email,
            "password": password,
            "next": next_path,
            "csrf_token": csrf_of(form.text),
        },
    )


async def token(client: httpx.AsyncClient, path: str = "/staff/") -> str:
    """A valid CSRF token for the client's current session."""
    page = await client.get(path)
    assert page.status_code == 200, page.status_code
    return csrf_of(page.text)


class Clock:
    """A clock the test moves by hand (throttle delays, session timeouts)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)
