"""Staff authentication: argon2 password hashes, login with lockout after repeated failures, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.storage.schema import utcnow
from bot.storage.staff import StaffAccount, StaffStore

LOCK_AFTER = 5
LOCK_FOR = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is a CPU attack


class Passwords:
    """argon2id hashing (argon2-cffi defaults: RFC 9106 low-memory profile)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash("lawbot-no-such-account")

    def burn(self, password: str) -> None:
        """Spend the time a real check takes, so response times do not reveal which emails exist."""
        self.verify(self._dummy_hash, password[:MAX_PASSWORD_LENGTH])


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable (English, for the CLI and logs), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"password must have at most {MAX_PASSWORD_LENGTH} characters"
    if len(set(password)) < 5:
        return "password is too repetitive"
    return None


@dataclass(frozen=True)
class LoginOutcome:
    account: StaffAccount | None  # set on success only
    locked_until: dt.datetime | None = None  # set when the account is (now) locked

    @property
    def ok(self) -> bool:
        return self.account is not None


def authenticate(
    staff: StaffStore,
    passwords: Passwords,
    email: str,
    password: str,
    *,
    ip: str | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> LoginOutcome:
    """Check a login attempt, count failures, lock after LOCK_AFTER in a row, and audit every attempt.

    A locked account is refused without checking the password, so guessing cannot go on while locked.
    """
    email = email.strip().lower()[:255]
    account = staff.get_by_email(email) if email else None
    if account is None or not account.active:
        passwords.burn(password)
        staff.audit(account.id if account else None, "login_failed", email, {"reason": "unknown"}, ip)
        return LoginOutcome(None)
    now = clock()
    if account.is_locked(now):
        staff.audit(account.id, "login_refused_locked", email, None, ip)
        return LoginOutcome(None, account.locked_until)
    if not passwords.verify(account.password_hash, password):
        after = staff.record_failed_login(account.id, lock_after=LOCK_AFTER, lock_for=LOCK_FOR)
        staff.audit(account.id, "login_failed", email, {"reason": "password"}, ip)
        if after.is_locked(now):
            staff.audit(account.id, "account_locked", email, {"minutes": LOCK_FOR.seconds // 60}, ip)
            return LoginOutcome(None, after.locked_until)
        return LoginOutcome(None)
    staff.record_login(account.id)
    if passwords.needs_rehash(account.password_hash):
        # parameters were raised since this hash was made: upgrade it while we have the password
        account = staff.update(account.id, password_hash=passwords.hash(password))
    staff.audit(account.id, "login", email, None, ip)
    return LoginOutcome(account)
