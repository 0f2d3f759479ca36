"""Login throttling that parallel requests cannot race: counters checked and bumped under a lock.

An attempt is counted as a failure *before* the (slow) password check, inside one write transaction
(SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite), so a burst of parallel guesses
gets at most `attempts` password checks. A success gives the reservation back. Counters exist per
(e-mail, address) pair, per address and per e-mail; an address where the e-mail's owner logged in
recently is "trusted" and only its pair counter applies, so strangers elsewhere cannot lock the
owner out. Keys are stored as SHA-256 hashes: the table holds no e-mail and no address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.db import Database
from bot.storage.schema import StaffLoginThrottle, utcnow


@dataclass(frozen=True)
class Limit:
    """`attempts` failures, then a delay of `base_delay` doubling at each new block up to `max_delay`."""

    kind: str
    attempts: int
    base_delay: dt.timedelta
    max_delay: dt.timedelta

    def delay(self, strikes: int) -> dt.timedelta:
        return min(self.max_delay, self.base_delay * (2 ** min(strikes, 16)))


@dataclass(frozen=True)
class Policy:
    pair: Limit
    address: Limit
    account: Limit
    quiet: dt.timedelta  # no failure for this long: counters and backoff start over
    trusted_for: dt.timedelta  # a successful login makes its address trusted for this long
    in_flight: dt.timedelta  # a reservation older than this was never settled (crash): a failure


@dataclass(frozen=True)
class Attempt:
    """The counters one login attempt reserved (empty when it was refused)."""

    allowed: bool
    keys: tuple[tuple[str, Limit], ...] = ()


def throttle_key(kind: str, *parts: str) -> str:
    return hashlib.sha256("\0".join((kind, *parts)).encode("utf-8")).hexdigest()


class LoginThrottle:
    def __init__(
        self, db: Database, policy: Policy, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock

    def begin(self, email: str, address: str | None) -> Attempt:
        """Refuse, or count this attempt as a failure in advance (call `succeeded`/`failed` after)."""
        p = self.policy
        now = self.clock()
        address = address or "unknown"
        pair = throttle_key(p.pair.kind, email, address)
        keys = {
            pair: p.pair,
            throttle_key(p.address.kind, address): p.address,
            throttle_key(p.account.kind, email): p.account,
        }
        with self.db.session() as s:
            rows = self._locked(s, keys, now)
            last_ok = rows[pair].last_success_at
            trusted = last_ok is not None and now - last_ok <= p.trusted_for
            counted = [(pair, p.pair)] if trusted else list(keys.items())
            for key, limit in counted:
                self._catch_up(rows[key], limit, now)
            if any(self._refuses(rows[key], limit, now) for key, limit in counted):
                return Attempt(False)
            for key, _limit in counted:
                row = rows[key]
                row.failures += 1
                row.last_failure_at = now
                row.updated_at = now
            return Attempt(True, tuple(counted))

    def failed(self, attempt: Attempt) -> None:
        """The password was wrong: a counter that reached its limit blocks for its delay."""
        if not attempt.keys:
            return
        now = self.clock()
        with self.db.session() as s:
            rows = self._locked(s, dict(attempt.keys), now)
            for key, limit in attempt.keys:
                self._block_if_full(rows[key], limit, now, since=now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the pair starts over and becomes trusted; the others get it back."""
        if not attempt.keys:
            return
        now = self.clock()
        with self.db.session() as s:
            rows = self._locked(s, dict(attempt.keys), now)
            for key, limit in attempt.keys:
                row = rows[key]
                row.updated_at = now
                if limit.kind == self.policy.pair.kind:
                    row.failures, row.strikes, row.blocked_until = 0, 0, None
                    row.last_success_at = now
                else:
                    row.failures = max(0, row.failures - 1)
            # forget what nobody has touched for longer than anything here is remembered
            horizon = now - max(self.policy.trusted_for, self.policy.quiet)
            s.execute(sa.delete(StaffLoginThrottle).where(StaffLoginThrottle.updated_at < horizon))

    # ------------------------------------------------------------------ internals

    def _locked(
        self, s: Session, keys: dict[str, Limit], now: dt.datetime
    ) -> dict[str, StaffLoginThrottle]:
        """The rows of `keys`, created if missing, locked until the transaction ends (sorted: no deadlock)."""
        dialect = s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        ordered = sorted(keys)
        for key in ordered:
            s.execute(
                insert(StaffLoginThrottle)
                .values(key_hash=key, kind=keys[key].kind, failures=0, strikes=0, updated_at=now)
                .on_conflict_do_nothing(index_elements=["key_hash"])
            )
        found = s.scalars(
            sa.select(StaffLoginThrottle)
            .where(StaffLoginThrottle.key_hash.in_(ordered))
            .order_by(StaffLoginThrottle.key_hash)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {row.key_hash: row for row in found}

    def _catch_up(self, row: StaffLoginThrottle, limit: Limit, now: dt.datetime) -> None:
        """Apply what time has done to a counter: reservations never settled, quiet periods, ended blocks."""
        last = row.last_failure_at
        if last is not None and now - last > self.policy.in_flight:
            self._block_if_full(row, limit, now, since=last)
        if row.blocked_until is not None and row.blocked_until > now:
            return
        if last is not None and now - last > self.policy.quiet:
            row.failures, row.strikes = 0, 0
        elif row.failures >= limit.attempts and row.blocked_until is not None:
            row.failures = 0  # the block is over: a new series of attempts
        if row.blocked_until is not None and row.blocked_until <= now:
            row.blocked_until = None

    @staticmethod
    def _refuses(row: StaffLoginThrottle, limit: Limit, now: dt.datetime) -> bool:
        blocked = row.blocked_until is not None and row.blocked_until > now
        return blocked or row.failures >= limit.attempts  # full: the remaining checks are in flight

    @staticmethod
    def _block_if_full(
        row: StaffLoginThrottle, limit: Limit, now: dt.datetime, *, since: dt.datetime
    ) -> None:
        if row.failures >= limit.attempts and row.blocked_until is None:
            row.blocked_until = since + limit.delay(row.strikes)
            row.strikes += 1
            row.updated_at = now
