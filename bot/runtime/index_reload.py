"""Hot index switch: watch `<index_dir>/CURRENT` (and SIGHUP), load the new build aside, swap atomically.

In-flight questions keep the assistant they started with (the swap only replaces a reference), and
a build made with another embedder than the running one is refused: the old index keeps serving.
`problem` says what is wrong meanwhile (a refused or damaged build, CURRENT missing, files of the
serving build changed on disk) for /healthz; it clears once a good build is loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import anyio.to_thread

from bot.compose import IncompatibleIndex, Loaded
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

T = TypeVar("T")


class Current(Generic[T]):
    """Holds the live build; reading `.value` is one attribute load, so swapping is atomic."""

    def __init__(self, loaded: Loaded[T] | None) -> None:
        self.loaded = loaded

    @property
    def value(self) -> T:
        if self.loaded is None:
            raise RuntimeError("no index is loaded")
        return self.loaded.value

    @property
    def build_id(self) -> str | None:
        return self.loaded.build_id if self.loaded else None

    @property
    def embedder_id(self) -> str | None:
        return self.loaded.embedder_id if self.loaded else None


Fingerprint = dict[str, tuple[int, int]]  # file (relative to the build) -> (size, mtime_ns)


def build_fingerprint(build_dir: Path) -> Fingerprint:
    """Sizes and times of a build's files: builds are never rewritten, so any change is damage."""
    found: Fingerprint = {}
    for path in build_dir.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                st = path.stat()
                found[str(path.relative_to(build_dir))] = (st.st_size, st.st_mtime_ns)
    return found


def fingerprint_changes(before: Fingerprint, after: Fingerprint) -> list[str]:
    """Files of `before` that are gone or differ in `after`."""
    return sorted(name for name, seen in before.items() if after.get(name) != seen)


def pointer_state(index_dir: Path) -> tuple[str, int] | None:
    """(content, mtime_ns) of the CURRENT pointer, or None when there is none yet."""
    path = index_dir / "CURRENT"
    try:
        return path.read_text(encoding="utf-8").strip(), path.stat().st_mtime_ns
    except OSError:
        return None


class IndexWatcher(Generic[T]):
    """Polls the CURRENT pointer every `interval` seconds; `request_reload()` forces a check (SIGHUP)."""

    def __init__(
        self,
        index_dir: Path,
        current: Current[T],
        load: Callable[[str | None], Loaded[T]],
        metrics: Metrics | None = None,
        interval: float = 3.0,
    ) -> None:
        """`load(expected_embedder_id)` loads the build CURRENT points to (blocking; run in a thread)
        and raises IncompatibleIndex when its embedder differs from `expected_embedder_id`."""
        self.index_dir = index_dir
        self.current = current
        self.load = load
        self.metrics = metrics
        self.interval = interval
        self._seen = pointer_state(index_dir)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.retire_after = 60.0  # seconds an old build stays open for the questions still on it
        self._retiring: dict[asyncio.Task[None], Any] = {}
        self.problem: str | None = None  # what /healthz reports; None when all is well
        self._fingerprint: Fingerprint = {}  # of the serving build, taken when it was loaded
        self._damage_reported: list[str] = []

    def request_reload(self) -> None:
        self._wake.set()

    def install_sighup(self) -> bool:
        """Reload on SIGHUP (main thread on Unix only); returns whether the handler is installed."""
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.request_reload)
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            return False
        return True

    def remove_sighup(self) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError, AttributeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    async def run(self, stopping: asyncio.Event) -> None:
        stopped = asyncio.ensure_future(stopping.wait())
        try:
            while not stopping.is_set():
                woken = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait(
                        {woken, stopped}, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    woken.cancel()
                if stopping.is_set():
                    return
                forced = self._wake.is_set()
                self._wake.clear()
                state = pointer_state(self.index_dir)
                if forced or state != self._seen:
                    self._seen = state
                    await self.reload()
                else:
                    await self.check_serving_build()
        finally:
            stopped.cancel()

    def _build_dir(self, build_id: str | None) -> Path | None:
        path = self.index_dir / "builds" / build_id if build_id else None
        return path if path is not None and path.is_dir() else None

    async def _remember_files(self) -> None:
        build_dir = self._build_dir(self.current.build_id)
        self._fingerprint = (
            await anyio.to_thread.run_sync(build_fingerprint, build_dir) if build_dir else {}
        )
        self._damage_reported = []

    async def check_serving_build(self) -> list[str]:
        """Files of the serving build that changed on disk since it was loaded (a disk cleaned by
        hand, a copy over it): reported as a problem, since its next read may fail or crash."""
        build_dir = self._build_dir(self.current.build_id)
        if not self._fingerprint:
            return []
        now = await anyio.to_thread.run_sync(build_fingerprint, build_dir) if build_dir else {}
        changed = fingerprint_changes(self._fingerprint, now)
        if changed and changed != self._damage_reported:
            self._damage_reported = changed
            self.problem = (
                f"files of the serving build {self.current.build_id} changed on disk since it was "
                f"loaded: {', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}; "
                "rebuild the index (lawbot index build) or restore the build"
            )
            log.error("index: %s", self.problem)
        return changed

    def _explain(self, exc: BaseException) -> str:
        """The load error, made relative to the index folder, and for a missing CURRENT the
        builds that are there (they are never replaced by an empty default index)."""
        text = f"{type(exc).__name__}: {exc}".replace(f"{self.index_dir}/", "")
        if isinstance(exc, FileNotFoundError) and not (self.index_dir / "CURRENT").is_file():
            builds = sorted(
                p.name
                for p in (self.index_dir / "builds").glob("*")
                if p.is_dir() and not p.name.startswith(".")
            )
            if builds:
                text += (
                    f" (builds present: {', '.join(builds[-3:])}; point CURRENT at one: "
                    f"echo <build id> > {self.index_dir}/CURRENT)"
                )
        return text

    def _failed(self, exc: BaseException) -> None:
        serving = self.current.build_id
        self.problem = (
            f"still serving {serving}, the build CURRENT points to was not loaded: {self._explain(exc)}"
            if serving is not None
            else f"no index loaded: {self._explain(exc)}"
        )

    def _outcome(self, outcome: str) -> str:
        if self.metrics is not None:
            self.metrics.index_reloads.labels(outcome).inc()
        return outcome

    async def reload(self) -> str:
        """Load the build CURRENT points to and switch to it: 'switched', 'unchanged', 'refused' or 'failed'."""
        async with self._lock:
            try:
                loaded: Loaded[Any] = await anyio.to_thread.run_sync(
                    self.load, self.current.embedder_id
                )
            except IncompatibleIndex as exc:
                log.error("index switch refused, still serving %s: %s", self.current.build_id, exc)
                self._failed(exc)
                return self._outcome("refused")
            except Exception as exc:
                log.error(
                    "index switch failed, still serving %s: %s: %s",
                    self.current.build_id,
                    type(exc).__name__,
                    exc,
                )
                self._failed(exc)
                return self._outcome("failed")
            running = self.current.embedder_id
            if running is not None and loaded.embedder_id != running:
                log.error(
                    "index switch refused, still serving %s: build %s uses embedder %s, not %s",
                    self.current.build_id,
                    loaded.build_id,
                    loaded.embedder_id,
                    running,
                )
                await _close(loaded.value)
                self._failed(IncompatibleIndex(f"build {loaded.build_id} uses another embedder"))
                return self._outcome("refused")
            if loaded.build_id == self.current.build_id:
                await _close(loaded.value)
                self.problem = None  # e.g. CURRENT pointed back at the serving build
                await self._remember_files()
                return "unchanged"
            old = self.current.loaded
            self.current.loaded = loaded  # the atomic swap
            self.problem = None
            await self._remember_files()
            if old is None:
                log.info("index %s loaded", loaded.build_id)
            else:
                log.info("index switched from %s to %s", old.build_id, loaded.build_id)
            if old is not None:
                self._retire(old.value)
            return self._outcome("switched")

    def _retire(self, value: Any) -> None:
        """Close the old build's resources later: questions that started on it finish first."""
        if getattr(value, "close", None) is None:
            return

        async def later() -> None:
            await asyncio.sleep(self.retire_after)
            await _close(value)

        task = asyncio.create_task(later())
        self._retiring[task] = value
        task.add_done_callback(lambda t: self._retiring.pop(t, None))

    async def close(self) -> None:
        """Shutdown: close retiring builds now, then the current one."""
        for task, value in list(self._retiring.items()):
            task.cancel()
            await _close(value)
        if self.current.loaded is not None:
            await _close(self.current.loaded.value)


async def _close(value: Any) -> None:
    close = getattr(value, "close", None)
    if close is not None:
        try:
            await anyio.to_thread.run_sync(close)
        except Exception as exc:
            log.warning("closing an index build failed: %s", exc)
