"""Staff accounts (hashes come from the desk; nothing here sees a password) and the staff audit log."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.storage.db import Database, affected
from bot.storage.schema import StaffAudit, StaffSession, StaffUser, utcnow

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
    failed_logins: int  # legacy (0001) columns: failed logins are throttled in staff_login_throttle
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    display_name: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


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


def account_of(u: StaffUser) -> StaffAccount:
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


def revoke_all_sessions(session: Session, staff_id: int) -> int:
    """End every desk session of an account, inside the caller's transaction."""
    return affected(session.execute(sa.delete(StaffSession).where(StaffSession.staff_id == staff_id)))


class StaffStore:
    """Accounts, their last login, and the append-only audit log."""

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
                return account_of(user)
        except sa.exc.IntegrityError:
            raise StaffExists(email) from None

    def get(self, staff_id: int) -> StaffAccount | None:
        with self.db.session(readonly=True) as s:
            user = s.get(StaffUser, staff_id)
            return account_of(user) if user else None

    def get_by_email(self, email: str) -> StaffAccount | None:
        with self.db.session(readonly=True) as s:
            user = s.scalars(
                sa.select(StaffUser).where(StaffUser.email == normalise_email(email))
            ).one_or_none()
            return account_of(user) if user else None

    def list(self) -> builtins.list[StaffAccount]:
        with self.db.session(readonly=True) as s:
            return [account_of(u) for u in s.scalars(sa.select(StaffUser).order_by(StaffUser.email))]

    def record_login(self, staff_id: int) -> None:
        """A successful login (failed logins are counted per address by bot.storage.login_throttle)."""
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
                # a new password ends every session: whoever knew the old one is logged out
                revoke_all_sessions(s, staff_id)
            if role is not None:
                user.role = role
            if active is not None:
                user.active = active
                if not active:
                    revoke_all_sessions(s, staff_id)
            if display_name is not None:
                user.display_name = display_name
            s.flush()
            return account_of(user)

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
