"""Server-side staff desk sessions: created at login, looked up on every request, deleted to revoke."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.storage.db import Database, affected
from bot.storage.schema import StaffSession, StaffUser, utcnow
from bot.storage.staff import StaffAccount, account_of, revoke_all_sessions

# last_seen_at is written at most this often: a page view is not worth a write transaction
TOUCH_EVERY = dt.timedelta(minutes=1)


def token_hash(token: str) -> str:
    """What is stored: a leaked table (or backup) gives no usable session cookie."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Expiry:
    idle: dt.timedelta
    absolute: dt.timedelta


class SessionStore:
    """Sessions keyed by the SHA-256 of a random token; the token itself lives only in the cookie."""

    def __init__(
        self, db: Database, expiry: Expiry, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.db = db
        self.expiry = expiry
        self.clock = clock

    def create(self, staff_id: int) -> str:
        """A new session for the account; returns the token to put in the cookie."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.session() as s:
            self._purge_expired(s, now)
            s.add(
                StaffSession(
                    token_hash=token_hash(token), staff_id=staff_id, created_at=now, last_seen_at=now
                )
            )
        return token

    def resolve(self, token: str) -> StaffAccount | None:
        """The active account of a live session, or None (unknown, revoked, expired, deactivated)."""
        now = self.clock()
        key = token_hash(token)
        with self.db.session(readonly=True) as s:
            row = s.execute(
                sa.select(StaffSession, StaffUser)
                .join(StaffUser, StaffUser.id == StaffSession.staff_id)
                .where(StaffSession.token_hash == key)
            ).one_or_none()
            if row is None:
                return None
            sess, user = row
            account = account_of(user)
            created, seen = sess.created_at, sess.last_seen_at
        if not account.active or self._expired(created, seen, now):
            self.revoke(token)
            return None
        if now - seen >= TOUCH_EVERY:
            with self.db.session() as s:
                s.execute(
                    sa.update(StaffSession)
                    .where(StaffSession.token_hash == key)
                    .values(last_seen_at=now)
                )
        return account

    def revoke(self, token: str) -> bool:
        """End one session (logout); True if it existed."""
        with self.db.session() as s:
            result = s.execute(sa.delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))
            return affected(result) > 0

    def revoke_all(self, staff_id: int) -> int:
        with self.db.session() as s:
            return revoke_all_sessions(s, staff_id)

    def count(self, staff_id: int) -> int:
        with self.db.session(readonly=True) as s:
            return int(
                s.scalar(
                    sa.select(sa.func.count())
                    .select_from(StaffSession)
                    .where(StaffSession.staff_id == staff_id)
                )
                or 0
            )

    def _expired(self, created: dt.datetime, seen: dt.datetime, now: dt.datetime) -> bool:
        return now - created > self.expiry.absolute or now - seen > self.expiry.idle

    def _purge_expired(self, s: Session, now: dt.datetime) -> None:
        s.execute(
            sa.delete(StaffSession).where(
                sa.or_(
                    StaffSession.last_seen_at < now - self.expiry.idle,
                    StaffSession.created_at < now - self.expiry.absolute,
                )
            )
        )
