"""Answers computed in child processes, so CPU-bound retrieval never delays webhook acknowledgements.

The web process keeps the event loop (webhooks, outbox, desk) free of long-running Python: each
child process loads the index and an Assistant once and answers `handle`/`handle_button` calls.
A `PooledAssistant` looks like an Assistant to the workers; an index switch starts a new pool and
retires the old one once its in-flight answers are done.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.compose import Loaded
from bot.core.models import ButtonAction, Channel, IncomingMessage, Reply
from bot.settings import Settings

log = logging.getLogger(__name__)

READY_TIMEOUT = 300.0  # loading a large index (and an embedder) can take a while
# Children run at a lower CPU priority: when the machine is busy, acknowledging a webhook (a few
# milliseconds) must not wait behind answers (tens of milliseconds each, queued by the hundred).
ANSWER_NICENESS = 10

# --- child side ------------------------------------------------------------------------------

_child: dict[str, Any] = {}


def _child_init(settings: Settings, expected_embedder_id: str | None) -> None:
    """Runs once in each child: logging with masking, the database, the index, the Assistant."""
    try:
        if hasattr(os, "nice"):
            os.nice(ANSWER_NICENESS)
        from bot.compose import index_engine
        from bot.runtime.logsafe import setup_logging
        from bot.storage.db import Database
        from bot.storage.outbox import Outbox

        secrets = [
            s.get_secret_value() if s is not None else None
            for s in (settings.telegram_token, settings.zalo_token, settings.llm_api_key)
        ]
        setup_logging(settings.log_level, secrets=secrets)
        database = Database(settings.database_url)
        loaded = index_engine(settings, database, Outbox(database))(expected_embedder_id)
        _child["assistant"] = loaded.value
        _child["info"] = (loaded.build_id, loaded.embedder_id)
    except BaseException as exc:  # reported by _child_info: a failing initializer breaks the pool
        _child["error"] = exc


def _child_info() -> tuple[str, str | None]:
    if "error" in _child:
        raise _child["error"]
    return _child["info"]  # type: ignore[no-any-return]


def _child_handle(msg: IncomingMessage, max_chars: int) -> Reply:
    return _child["assistant"].handle(msg, max_chars)  # type: ignore[no-any-return]


def _child_button(
    channel: Channel,
    user_id: str,
    chat_id: str,
    action: ButtonAction,
    max_chars: int,
    inbox_id: int | None = None,
    ref: str | None = None,
) -> Reply:
    return _child["assistant"].handle_button(  # type: ignore[no-any-return]
        channel, user_id, chat_id, action, max_chars, inbox_id=inbox_id, ref=ref
    )


def _child_article(article_id: str) -> Any:
    return _child["assistant"].article(article_id)


# --- parent side -----------------------------------------------------------------------------


def _start_pool(
    settings: Settings, expected: str | None, processes: int
) -> tuple[ProcessPoolExecutor, tuple[str, str | None]]:
    executor = ProcessPoolExecutor(
        max_workers=processes,
        # spawn: forking a process that runs threads and an event loop is unsafe
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_child_init,
        initargs=(settings, expected),
    )
    try:
        info = executor.submit(_child_info).result(timeout=READY_TIMEOUT)
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    return executor, info


class PooledAssistant:
    """The Assistant interface (`handle`, `handle_button`), answered by a pool of child processes.

    Blocking calls: the workers call them from a thread. A crashed child (e.g. killed by the OOM
    killer) breaks the pool; the call raises (the inbox retries the update) and a new pool starts.
    """

    def __init__(self, settings: Settings, expected: str | None, processes: int = 1) -> None:
        self.settings = settings
        self.expected = expected
        self.processes = processes
        self._lock = threading.Lock()
        self._closed = False
        self._executor, (self.build_id, self.embedder_id) = _start_pool(
            settings, expected, processes
        )

    def _submit(self, fn: Any, *args: Any) -> Reply:
        executor = self._executor
        try:
            future: Future[Reply] = executor.submit(fn, *args)
            return future.result()
        except BrokenProcessPool:
            self._restart(executor)
            raise

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is not broken:
                return  # another thread already restarted it
            log.error("an answer process died; starting a new one")
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor, _ = _start_pool(self.settings, self.expected, self.processes)

    def handle(self, msg: IncomingMessage, max_chars: int) -> Reply:
        return self._submit(_child_handle, msg, max_chars)

    def handle_button(
        self,
        channel: Channel,
        user_id: str,
        chat_id: str,
        action: ButtonAction,
        max_chars: int,
        inbox_id: int | None = None,
        ref: str | None = None,
    ) -> Reply:
        return self._submit(_child_button, channel, user_id, chat_id, action, max_chars, inbox_id, ref)

    def article(self, article_id: str) -> Any:
        """An article of the serving index (the desk shows it), looked up in a child."""
        return self._submit(_child_article, article_id)

    @property
    def pids(self) -> list[int]:
        """Process ids of the children (for operators and tests)."""
        return list(getattr(self._executor, "_processes", None) or {})

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop the children after the answers already submitted are done."""
        self._closed = True
        self._executor.shutdown(wait=True)


def pooled_engine(processes: int = 1) -> Any:
    """An `EngineFactory` for `build_app`: the CURRENT build is served by `processes` children."""

    def factory(settings: Settings, database: Any, outbox: Any) -> Any:
        def load(expected_embedder_id: str | None) -> Loaded[PooledAssistant]:
            pool = PooledAssistant(settings, expected_embedder_id, processes)
            return Loaded(pool.build_id, pool.embedder_id, pool)

        return load

    return factory
