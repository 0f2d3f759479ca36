"""Staff authentication: argon2 password hashes, login throttled per address (never a lockout), audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.storage.login_throttle import Limit, LoginThrottle, Policy
from bot.storage.staff import StaffAccount, StaffStore, normalise_email

# Why these numbers: docs/security.md, "Staff desk". Five guesses per (e-mail, address), then a delay
# that doubles; an address or an e-mail under attack from untrusted addresses slows down as a whole,
# while the owner's recent addresses keep working.
THROTTLE = Policy(
    pair=Limit("pair", 5, dt.timedelta(minutes=1), dt.timedelta(minutes=15)),
    address=Limit("address", 20, dt.timedelta(minutes=5), dt.timedelta(hours=1)),
    account=Limit("account", 30, dt.timedelta(minutes=15), dt.timedelta(hours=1)),
    quiet=dt.timedelta(hours=1),
    trusted_for=dt.timedelta(days=30),
    in_flight=dt.timedelta(minutes=2),
)
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

    @property
    def ok(self) -> bool:
        return self.account is not None


def authenticate(
    staff: StaffStore,
    throttle: LoginThrottle,
    passwords: Passwords,
    email: str,
    password: str,
    *,
    ip: str | None = None,
) -> LoginOutcome:
    """Check a login attempt under the throttle, and audit it.

    The throttle counts the attempt before the slow password check (so parallel guesses cannot slip
    past the limit) and refuses without checking at all once a limit is reached. Unknown e-mails go
    through the same steps, so neither the answer nor the throttle tells which accounts exist.
    """
    email = normalise_email(email)[:255]
    attempt = throttle.begin(email, ip)
    if not attempt.allowed:
        staff.audit(None, "login_throttled", email, None, ip)
        return LoginOutcome(None)
    account = staff.get_by_email(email) if email else None
    if account is None or not account.active:
        passwords.burn(password)
        throttle.failed(attempt)
        staff.audit(account.id if account else None, "login_failed", email, {"reason": "unknown"}, ip)
        return LoginOutcome(None)
    if not passwords.verify(account.password_hash, password):
        throttle.failed(attempt)
        staff.audit(account.id, "login_failed", email, {"reason": "password"}, ip)
        return LoginOutcome(None)
    throttle.succeeded(attempt)
    staff.record_login(account.id)
    if passwords.needs_rehash(account.password_hash):
        # parameters were raised since this hash was made: upgrade it while we have the password
        # (this ends the account's other sessions, like any password change)
        account = staff.update(account.id, password_hash=passwords.hash(password))
    staff.audit(account.id, "login", email, None, ip)
    return LoginOutcome(account)
