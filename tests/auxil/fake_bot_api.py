"""Common machinery of the fake Bot API servers: `/bot<TOKEN>/<method>` routing, call log, fault injection."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.auxil.live_server import serve_in_thread
from tests.auxil.waiting import first_within


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic()
    status: int  # what the fake answered
    wall: float = field(default_factory=time.time)  # epoch seconds (to compare with database times)


@dataclass
class _Fault:
    status: int
    retry_after: float | None = None
    hang: float = 0.0
    methods: frozenset[str] | None = None
    after: int = 0  # matching calls that still succeed before this fault strikes

    def applies(self, method: str) -> bool:
        return self.methods is None or method in self.methods


@dataclass
class FakeBotApi:
    """Subclasses implement `handle(method, params) -> (status, result_or_description)`."""

    token: str
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _faults: list[_Fault] = field(default_factory=list)
    _down_until: float = 0.0
    _down: _Fault | None = None
    # (seconds, methods): answer these calls normally, but only after a delay (a slow platform)
    _slow: tuple[float, frozenset[str] | None] = (0.0, None)
    base_url: str | None = None

    # --- fault injection (thread-safe; called from tests) ---------------------------------

    def fail_next(
        self, n: int = 1, status: int = 500, *, methods: set[str] | None = None, after: int = 0
    ) -> None:
        """The next `n` calls (of `methods`, default any) answer `status`, once `after` more
        matching calls have succeeded (e.g. `after=1`: the second part of a split reply fails)."""
        with self._lock:
            self._faults += [
                _Fault(status, methods=_frozen(methods), after=after) for _ in range(n)
            ]

    def rate_limit_next(
        self, n: int = 1, retry_after: float = 1, *, methods: set[str] | None = None
    ) -> None:
        """The next `n` calls answer 429 with `retry_after` seconds."""
        with self._lock:
            self._faults += [
                _Fault(429, retry_after=retry_after, methods=_frozen(methods)) for _ in range(n)
            ]

    def hang_next(
        self, n: int = 1, seconds: float = 5.0, *, methods: set[str] | None = None
    ) -> None:
        """The next `n` calls answer only after `seconds` (clients with a shorter timeout give up)."""
        with self._lock:
            self._faults += [_Fault(504, hang=seconds, methods=_frozen(methods)) for _ in range(n)]

    def down_for(self, seconds: float, status: int = 503, *, hang: float = 0.0) -> None:
        """Every call fails with `status` (after `hang` seconds) for the next `seconds` seconds."""
        with self._lock:
            self._down_until = time.monotonic() + seconds
            self._down = _Fault(status, hang=hang)

    def slow(self, seconds: float, *, methods: set[str] | None = None) -> None:
        """Calls (of `methods`, default any) succeed as usual, but answer only after `seconds`."""
        with self._lock:
            self._slow = (seconds, _frozen(methods))

    def up(self) -> None:
        with self._lock:
            self._down_until = 0.0
            self._faults.clear()
            self._slow = (0.0, None)

    def _fault_for(self, method: str) -> _Fault | None:
        with self._lock:
            if time.monotonic() < self._down_until and self._down is not None:
                return self._down
            for i, fault in enumerate(self._faults):
                if fault.applies(method):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    return self._faults.pop(i)
        return None

    def _delay_for(self, method: str) -> float:
        with self._lock:
            seconds, methods = self._slow
        return seconds if methods is None or method in methods else 0.0

    # --- inspection --------------------------------------------------------------------------

    def calls_to(self, method: str, *, ok_only: bool = True) -> list[dict[str, Any]]:
        with self._lock:
            return [
                c.params
                for c in self.calls
                if c.method == method and (c.status == 200 or not ok_only)
            ]

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02
    ) -> bool:
        """Wait (without blocking the event loop) until `predicate()` holds; False on timeout
        (callers assert on it, or add the server log to the failure)."""
        return await first_within(predicate, timeout=timeout, interval=interval) is not None

    # --- protocol details each fake defines ---------------------------------------------------

    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        raise NotImplementedError

    def error_body(
        self, status: int, description: str, retry_after: float | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return body

    # --- server ------------------------------------------------------------------------------

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif "form" in ctype:
            form = await request.form()
            for key, value in form.items():
                params[key] = _decode_form_value(value) if isinstance(value, str) else value
        return params

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        try:
            params = await self._params(request)
        except ClientDisconnect:  # the client gave up (its timeout): nothing to answer
            return JSONResponse({}, status_code=499)
        status, payload = await self._answer(request.path_params["token"], method, params)
        with self._lock:
            self.calls.append(Call(method, params, time.monotonic(), status))
        delay = self._delay_for(method) if status == 200 else 0.0
        if delay:
            # a slow platform: the call is carried out (and logged) now, answered late; a client
            # that timed out meanwhile does not know that its message was delivered
            await asyncio.sleep(delay)  # not a wait: the slow platform the test asked for
        return JSONResponse(payload, status_code=status)

    async def _answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if token != self.token:
            return 401, self.error_body(401, "Unauthorized", None)
        fault = self._fault_for(method)
        if fault is not None:
            if fault.hang:
                await asyncio.sleep(fault.hang)  # not a wait: the hang the test injected
            description = "Too Many Requests" if fault.status == 429 else "Service Unavailable"
            return fault.status, self.error_body(fault.status, description, fault.retry_after)
        status, result = await self.handle(method, params)
        if status != 200:
            return status, self.error_body(status, str(result), None)
        return 200, {"ok": True, "result": result}

    async def _sent_log(self, request: Request) -> JSONResponse:
        """[[chat_id, monotonic time], ...] of accepted sendMessage calls (for a load test in
        another process: CLOCK_MONOTONIC is shared by the processes of one machine); with
        `?texts=1`, [[chat_id, monotonic time, text, wall-clock epoch seconds], ...]."""
        texts = request.query_params.get("texts") == "1"
        with self._lock:
            sent = [
                [str(c.params.get("chat_id")), c.at]
                + ([str(c.params.get("text")), c.wall] if texts else [])
                for c in self.calls
                if c.method == "sendMessage" and c.status == 200
            ]
        return JSONResponse(sent)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/_fake/sent", self._sent_log, methods=["GET"]),
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
            ]
        )

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on a free 127.0.0.1 port; yields the server root URL."""
        with serve_in_thread(self.app()) as url:
            self.base_url = url
            yield url


def _frozen(methods: set[str] | None) -> frozenset[str] | None:
    return frozenset(methods) if methods else None


def _decode_form_value(value: str) -> Any:
    """python-telegram-bot JSON-encodes non-string form values (reply_markup, allowed_updates ...)."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
