"""What every desk route needs (stores, settings, security helpers, callbacks), held on app.state.desk."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.desk.auth import Passwords
from bot.desk.csrf import CsrfTokens
from bot.desk.params import path_id
from bot.desk.session import DeskSession, SessionSigner
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.faq_entries import FaqEntryStore
from bot.storage.faq_proposals import FaqProposalStore
from bot.storage.faq_reviews import FaqReviewStore
from bot.storage.login_throttle import LoginThrottle
from bot.storage.quizzes import QuizStore
from bot.storage.staff import StaffAccount, StaffStore
from bot.storage.staff_sessions import SessionStore
from bot.storage.stats import Stats
from bot.storage.tickets import SqlTicketStore

log = logging.getLogger(__name__)

# article id -> the article (dict or object with doc_number, number/article, title, text ...) or None
ArticleLookup = Callable[[str], Any]
# ticket id -> queues the staff alert (sync or async)
Notifier = Callable[[int], Any]


@dataclass
class Desk:
    db: Database
    settings: Settings
    tickets: SqlTicketStore
    staff: StaffStore
    sessions: SessionStore
    throttle: LoginThrottle
    proposals: FaqProposalStore
    stats: Stats
    passwords: Passwords
    signer: SessionSigner
    csrf: CsrfTokens
    templates: Jinja2Templates
    faq_file: Path  # names the approved entries' slug; pre-database approvals may still be in it
    faq_entries: FaqEntryStore
    clock: Callable[[], dt.datetime]
    article_lookup: ArticleLookup | None = None
    notifier: Notifier | None = None
    on_faq_approved: Callable[[], Any] | None = None
    faq_reviews: FaqReviewStore | None = None  # made by build_desk
    quizzes: QuizStore | None = None  # made by build_desk
    # desk-side caches (FAQ records by folder signature, clusters of unanswered questions ...)
    cache: dict[str, Any] = field(default_factory=dict)

    def now(self) -> dt.datetime:
        return self.clock()

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Database work (sync SQLAlchemy) off the event loop."""
        return await run_in_threadpool(fn, *args, **kwargs)

    async def call_hook(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call a sync or async callback given by the app."""
        if inspect.iscoroutinefunction(fn):
            return await fn(*args)
        result = await run_in_threadpool(fn, *args)
        if inspect.isawaitable(result):
            result = await result
        return result

    def lookup_article(self, article_id: str) -> Any:
        """The article from the index (may wait on an answer process): only from a worker thread."""
        if _on_event_loop():
            # one index lookup waiting behind queued answers would stall every webhook and page
            raise RuntimeError("Desk.lookup_article blocks: call it through `await desk.run(...)`")
        if self.article_lookup is None or not article_id or len(article_id) > 255:
            return None
        try:
            return self.article_lookup(article_id)
        except Exception:  # the index may be switching; a missing article is not a desk failure
            log.exception("article lookup failed")
            return None


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def current_staff(request: Request) -> StaffAccount:
    """The logged-in account (the guard middleware guarantees one on every non-public route)."""
    staff: StaffAccount | None = request.scope["state"].get("staff")
    if staff is None:  # pragma: no cover - the guard makes this unreachable
        raise RuntimeError("route reached without a logged-in staff member")
    return staff


def current_session(request: Request) -> DeskSession:
    session: DeskSession = request.scope["state"]["desk_session"]
    return session


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def root(request: Request) -> str:
    """Where the desk is mounted ('/staff' in the app, '' when served alone)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def redirect(request: Request, path: str, **query: str | int) -> Response:
    """303 to a desk path (POST -> GET), with only known notice keys in the query string."""
    path, hash_, fragment = path.partition("#")
    url = root(request) + path
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    return RedirectResponse(url + hash_ + fragment, status_code=303)


def int_param(request: Request, name: str) -> int:
    """A path id; ids beyond PostgreSQL's integer range cannot exist (404, not a database error)."""
    return path_id(request, name)
