"""build_desk: the staff desk as a Starlette sub-application, mounted by bot/ingress/app.py at /staff."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bot.desk import (
    routes_admin,
    routes_article,
    routes_auth,
    routes_bulletins,
    routes_faq,
    routes_faq_review,
    routes_places,
    routes_queue,
    routes_quiz,
    routes_report,
    routes_stats,
    routes_ticket,
)
from bot.desk.auth import THROTTLE, Passwords
from bot.desk.context import ArticleLookup, Desk, Notifier
from bot.desk.csrf import CsrfTokens
from bot.desk.errors import http_exception
from bot.desk.guard import DeskGuard
from bot.desk.session import SessionSigner
from bot.desk.templating import build_templates
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.faq_entries import FaqEntryStore
from bot.storage.faq_proposals import FaqProposalStore
from bot.storage.faq_reviews import FaqReviewStore
from bot.storage.login_throttle import LoginThrottle
from bot.storage.quizzes import QuizStore
from bot.storage.schema import utcnow
from bot.storage.staff import StaffStore
from bot.storage.staff_sessions import Expiry, SessionStore
from bot.storage.stats import Stats
from bot.storage.tickets import SqlTicketStore

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_SECRET = "change-me-in-production"
MIN_SECRET_LENGTH = 32
APPROVED_FAQ_FILE = "da-duyet.yaml"


class InsecureSessionSecret(RuntimeError):
    """The desk would sign sessions with a key anyone can read in the source code."""


def check_session_secret(settings: Settings) -> str:
    """The session key; refused when weak on a public server, a warning on a local one."""
    secret = settings.session_secret.get_secret_value()
    if secret != DEFAULT_SECRET and len(secret) >= MIN_SECRET_LENGTH:
        return secret
    problem = (
        "LAWBOT_SESSION_SECRET is the default value"
        if secret == DEFAULT_SECRET
        else f"LAWBOT_SESSION_SECRET is shorter than {MIN_SECRET_LENGTH} characters"
    )
    if settings.public_url:
        # with the default key anyone can forge the desk's cookies and CSRF tokens
        raise InsecureSessionSecret(
            f"{problem} while LAWBOT_PUBLIC_URL is set: refusing to serve the staff desk. "
            'Set a long random value, e.g. python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    log.warning("%s: set a long random value before exposing the staff desk", problem)
    return secret


def build_desk(
    db: Database,
    *,
    settings: Settings,
    notifier: Notifier | None = None,
    on_faq_approved: Callable[[], Any] | None = None,
    article_lookup: ArticleLookup | None = None,
    tickets: SqlTicketStore | None = None,
    faq_file: Path | None = None,
    password_hasher: PasswordHasher | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> Starlette:
    """The staff desk. Routes are relative to where it is mounted (`/staff`).

    - `notifier(ticket_id)`: queues the Telegram staff alert (see bot.desk.notify); the desk calls it
      when staff raise a ticket to urgent. The app calls the same notifier for new urgent tickets.
    - `on_faq_approved()`: reindexes the FAQ part after an admin approved an entry (sync or async).
    - `article_lookup(article_id)`: the article from the loaded index (dict or object), or None.
    - `tickets`: the app's SqlTicketStore (to share its outbox); one is made if not given.
    - `faq_file`: its stem is the slug of approved entries (they live in the database); entries an older
      version approved into this file (default `<settings.faq_dir>/da-duyet.yaml`) keep their ids.
    """
    secret = check_session_secret(settings)
    desk = Desk(
        db=db,
        settings=settings,
        tickets=tickets or SqlTicketStore(db, clock=clock),
        staff=StaffStore(db, clock=clock),
        sessions=SessionStore(
            db,
            Expiry(
                idle=dt.timedelta(minutes=settings.session_idle_minutes),
                absolute=dt.timedelta(hours=settings.session_max_hours),
            ),
            clock=clock,
        ),
        throttle=LoginThrottle(db, THROTTLE, clock=clock),
        proposals=FaqProposalStore(db, clock=clock),
        stats=Stats(db),
        passwords=Passwords(password_hasher),
        signer=SessionSigner(secret),
        csrf=CsrfTokens(secret),
        templates=build_templates(),
        faq_file=faq_file or Path(settings.faq_dir) / APPROVED_FAQ_FILE,
        faq_entries=FaqEntryStore(db, clock=clock),
        clock=clock,
        article_lookup=article_lookup,
        notifier=notifier,
        on_faq_approved=on_faq_approved,
        faq_reviews=FaqReviewStore(db, clock=clock),
        quizzes=QuizStore(db, clock=clock),
    )
    routes = [
        *routes_auth.routes,
        *routes_queue.routes,
        *routes_ticket.routes,
        *routes_article.routes,
        *routes_faq.routes,
        *routes_faq_review.routes,
        *routes_admin.routes,
        *routes_places.routes,
        *routes_stats.routes,
        *routes_quiz.routes,
        *routes_report.routes,
        *routes_bulletins.routes,
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(DeskGuard, desk=desk)],
        exception_handlers={HTTPException: http_exception},
    )
    app.state.desk = desk
    return app
