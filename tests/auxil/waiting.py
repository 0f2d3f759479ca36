"""Wait for a condition (poll it with a deadline) instead of sleeping a fixed time and hoping."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The awaited condition did not hold in time (an AssertionError: pytest shows it as a failure)."""


def describe(predicate: Callable[[], Any]) -> str:
    """The predicate's source line (a lambda) or name: what the failure message says was awaited."""
    try:
        source = inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return getattr(predicate, "__qualname__", repr(predicate))
    return " ".join(source.split())[:200]


def _timed_out(
    what: str | None, predicate: Callable[[], Any], timeout: float, last: Any
) -> WaitTimeout:
    return WaitTimeout(
        f"waited {timeout:g} s for {what or describe(predicate)}; last value: {last!r}"
    )


def wait_until(
    predicate: Callable[[], T],
    what: str | None = None,
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
) -> T:
    """Poll `predicate()` until it is truthy and return that value; raise WaitTimeout naming
    `what` (default: the predicate's source) when `timeout` seconds pass first. Blocks the thread:
    use `await_until` inside an event loop."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _timed_out(what, predicate, timeout, value)
        time.sleep(interval)


async def await_until(
    predicate: Callable[[], T | Awaitable[T]],
    what: str | None = None,
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
) -> T:
    """`wait_until` for coroutines: the event loop keeps running (servers, workers) meanwhile.
    `predicate` may be async (returns an awaitable)."""
    deadline = time.monotonic() + timeout
    while True:
        value: Any = predicate()
        if inspect.isawaitable(value):  # an async check (e.g. an HTTP probe)
            value = await value
        if value:
            return cast(T, value)
        if time.monotonic() >= deadline:
            raise _timed_out(what, predicate, timeout, value)
        await asyncio.sleep(interval)


async def first_within(
    predicate: Callable[[], T | Awaitable[T]], *, timeout: float, interval: float = 0.02
) -> T | None:
    """Poll for `timeout` seconds; the first truthy value, or None when none came. For servers that
    hold a request open until something arrives (a long poll), where nothing arriving is normal."""
    try:
        return await await_until(predicate, timeout=timeout, interval=interval)
    except WaitTimeout:
        return None
