"""Staff accounts (hashes come from the desk; nothing here sees a password) and the staff audit log."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.storage.db import Database
from bot.storage.schema import StaffAudit, StaffUser, utcnow

ROLES = ("staff", "admin")


class StaffExists(ValueError):
    """An account with this email already exists."""


@dataclass(frozen=True)
class StaffAccount:
    id: int
    email: str
    role: str
    active: bool
    password_hash: str
    failed_logins: int
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    display_name: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def is_locked(self, now: dt.datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff_id: int | None
    staff_email: str | None
    action: str
    target: str | None
    detail: dict[str, Any] | None
    ip: str | None
    created_at: dt.datetime


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _account(u: StaffUser) -> StaffAccount:
    return StaffAccount(
        id=u.id,
        email=u.email,
        role=u.role,
        active=u.active,
        password_hash=u.password_hash,
        failed_logins=u.failed_logins,
        locked_until=u.locked_until,
        last_login_at=u.last_login_at,
        created_at=u.created_at,
        display_name=u.display_name,
    )


class StaffStore:
    """Accounts, login bookkeeping (failed attempts, lockout) and the append-only audit log."""

    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def create(
        self, email: str, password_hash: str, role: str = "staff", display_name: str | None = None
    ) -> StaffAccount:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        email = normalise_email(email)
        try:
            with self.db.session() as s:
                user = StaffUser(
                    email=email,
                    password_hash=password_hash,
                    role=role,
                    display_name=display_name,
                    active=True,
                    failed_logins=0,
                    created_at=self.clock(),
                )
                s.add(user)
                s.flush()
                return _account(user)
        except sa.exc.IntegrityError:
            raise StaffExists(email) from None

    def get(self, staff_id: int) -> StaffAccount | None:
        with self.db.session(readonly=True) as s:
            user = s.get(StaffUser, staff_id)
            return _account(user) if user else None

    def get_by_email(self, email: str) -> StaffAccount | None:
        with self.db.session(readonly=True) as s:
            user = s.scalars(
                sa.select(StaffUser).where(StaffUser.email == normalise_email(email))
            ).one_or_none()
            return _account(user) if user else None

    def list(self) -> builtins.list[StaffAccount]:
        with self.db.session(readonly=True) as s:
            return [_account(u) for u in s.scalars(sa.select(StaffUser).order_by(StaffUser.email))]

    def record_failed_login(
        self,
        staff_id: int,
        *,
        lock_after: int = 5,
        lock_for: dt.timedelta = dt.timedelta(minutes=15),
    ) -> StaffAccount:
        """Count a wrong password; the `lock_after`-th in a row locks the account for `lock_for`."""
        now = self.clock()
        with self.db.session() as s:
            # row lock: parallel wrong guesses must all be counted
            user = s.get(StaffUser, staff_id, with_for_update=True)
            if user is None:
                raise LookupError(staff_id)
            user.failed_logins += 1
            if user.failed_logins >= lock_after:
                user.locked_until = now + lock_for
                user.failed_logins = 0  # a new series starts once the lock expires
            s.flush()
            return _account(user)

    def record_login(self, staff_id: int) -> None:
        """A successful login: clear the failure count and any lock."""
        with self.db.session() as s:
            s.execute(
                sa.update(StaffUser)
                .where(StaffUser.id == staff_id)
                .values(failed_logins=0, locked_until=None, last_login_at=self.clock())
            )

    def update(
        self,
        staff_id: int,
        *,
        password_hash: str | None = None,
        role: str | None = None,
        active: bool | None = None,
        display_name: str | None = None,
    ) -> StaffAccount:
        if role is not None and role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        with self.db.session() as s:
            user = s.get(StaffUser, staff_id)
            if user is None:
                raise LookupError(staff_id)
            if password_hash is not None:
                user.password_hash = password_hash
            if role is not None:
                user.role = role
            if active is not None:
                user.active = active
            if display_name is not None:
                user.display_name = display_name
            s.flush()
            return _account(user)

    # ------------------------------------------------------------------ audit log

    def audit(
        self,
        staff_id: int | None,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        ip: str | None = None,
    ) -> None:
        with self.db.session() as s:
            s.add(
                StaffAudit(
                    staff_id=staff_id,
                    action=action[:64],
                    target=target[:255] if target else None,
                    detail=detail,
                    ip=ip[:64] if ip else None,
                    created_at=self.clock(),
                )
            )

    def audit_log(
        self, *, staff_id: int | None = None, limit: int = 200, offset: int = 0
    ) -> builtins.list[AuditEntry]:
        q = (
            sa.select(StaffAudit, StaffUser.email)
            .outerjoin(StaffUser, StaffUser.id == StaffAudit.staff_id)
            .order_by(StaffAudit.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if staff_id is not None:
            q = q.where(StaffAudit.staff_id == staff_id)
        with self.db.session(readonly=True) as s:
            return [
                AuditEntry(
                    a.id, a.staff_id, email, a.action, a.target, a.detail, a.ip, a.created_at
                )
                for a, email in s.execute(q)
            ]
