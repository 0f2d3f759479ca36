"""Login throttle counters under real concurrency (threads, SQLite and PostgreSQL), backoff and recovery."""

from __future__ import annotations

import threading

import pytest

from bot.desk.auth import THROTTLE
from bot.storage.db import Database
from bot.storage.login_throttle import Attempt, LoginThrottle
from tests.auxil.storage_builders import Clock

EMAIL, ADDRESS = "lan@tgpl.vn", "203.0.113.9"


def _burst(throttle: LoginThrottle, n: int) -> list[Attempt]:
    """n threads asking at the same instant (a barrier), as parallel HTTP requests do."""
    barrier = threading.Barrier(n)
    results: list[Attempt] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one() -> None:
        try:
            barrier.wait()
            attempt = throttle.begin(EMAIL, ADDRESS)
            with lock:
                results.append(attempt)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def test_parallel_attempts_get_at_most_the_limit(db: Database) -> None:
    throttle = LoginThrottle(db, THROTTLE, clock=Clock())
    results = _burst(throttle, 28)
    # nothing was settled yet (every password check still "in flight"): exactly the limit got through
    assert sum(a.allowed for a in results) == THROTTLE.pair.attempts == 5


def test_backoff_doubles_and_a_success_starts_over(db: Database) -> None:
    clock = Clock()
    throttle = LoginThrottle(db, THROTTLE, clock=clock)

    def fail_series() -> None:
        for _ in range(5):
            attempt = throttle.begin(EMAIL, ADDRESS)
            assert attempt.allowed
            throttle.failed(attempt)
        assert not throttle.begin(EMAIL, ADDRESS).allowed

    fail_series()
    clock.advance(minutes=1, seconds=1)
    fail_series()
    clock.advance(minutes=1, seconds=1)
    assert not throttle.begin(EMAIL, ADDRESS).allowed  # the second block lasts two minutes
    clock.advance(minutes=1)
    ok = throttle.begin(EMAIL, ADDRESS)
    assert ok.allowed
    throttle.succeeded(ok)
    fail_series()  # after a success, five attempts again and the first (one-minute) delay
    clock.advance(minutes=1, seconds=1)
    assert throttle.begin(EMAIL, ADDRESS).allowed


def test_an_attempt_never_settled_counts_as_a_failure_and_does_not_block_forever(
    db: Database,
) -> None:
    clock = Clock()
    throttle = LoginThrottle(db, THROTTLE, clock=clock)
    for _ in range(5):
        assert throttle.begin(EMAIL, ADDRESS).allowed  # the process dies before settling each
    assert not throttle.begin(EMAIL, ADDRESS).allowed
    clock.advance(minutes=3)  # past the in-flight allowance and the one-minute delay
    assert throttle.begin(EMAIL, ADDRESS).allowed


@pytest.mark.parametrize("address", [None, "2001:db8::1"])
def test_other_addresses_are_not_slowed_by_one_pair(db: Database, address: str | None) -> None:
    throttle = LoginThrottle(db, THROTTLE, clock=Clock())
    for _ in range(5):
        throttle.failed(throttle.begin(EMAIL, ADDRESS))
    assert not throttle.begin(EMAIL, ADDRESS).allowed
    assert throttle.begin(EMAIL, address).allowed
    assert throttle.begin("minh@tgpl.vn", ADDRESS).allowed  # the address as a whole has room left
