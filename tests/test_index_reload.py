"""Hot index switch: a new CURRENT build is loaded aside and swapped in; other embedders are refused."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import pytest

from bot.runtime.index_reload import Current, IncompatibleIndex, IndexWatcher, Loaded
from bot.runtime.metrics import Metrics
from tests.auxil.waiting import await_until


def point(index_dir: Path, build_id: str) -> None:
    """Switch CURRENT the way `lawbot index build` does: write aside, then atomic rename."""
    tmp = index_dir / "CURRENT.tmp"
    tmp.write_text(build_id)
    os.replace(tmp, index_dir / "CURRENT")


class Builds:
    """Stands in for the index loader: build id -> embedder id, with an optional slow load."""

    def __init__(self, index_dir: Path, embedders: dict[str, str]) -> None:
        self.index_dir = index_dir
        self.embedders = embedders
        self.release = threading.Event()
        self.release.set()
        self.loading = threading.Event()  # set when a load starts

    def load(self, expected: str | None) -> Loaded[str]:
        self.loading.set()
        build = (self.index_dir / "CURRENT").read_text().strip()
        if build not in self.embedders:
            raise FileNotFoundError(f"builds/{build} is missing")
        embedder = self.embedders[build]
        if expected is not None and embedder != expected:
            raise IncompatibleIndex(f"{build} uses {embedder}")
        self.release.wait(5)
        return Loaded(build, embedder, f"assistant-on-{build}")


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Builds, Current[str]]:
    builds = Builds(tmp_path, {"b1": "e5", "b2": "e5", "b3": "other-embedder"})
    point(tmp_path, "b1")
    return tmp_path, builds, Current(builds.load(None))


async def test_switches_when_current_changes_and_in_flight_work_keeps_the_old(setup) -> None:
    index_dir, builds, current = setup
    watcher = IndexWatcher(index_dir, current, builds.load, Metrics(), interval=0.05)
    stopping = asyncio.Event()
    task = asyncio.create_task(watcher.run(stopping))
    in_flight = current.value  # a question that started before the switch
    builds.release.clear()  # the new build takes a while to load ...
    builds.loading.clear()
    point(index_dir, "b2")
    await await_until(builds.loading.is_set, "the watcher to start loading b2")
    assert current.build_id == "b1"  # ... and the old one keeps serving meanwhile
    builds.release.set()
    await await_until(lambda: current.build_id == "b2", "b2 to serve")
    stopping.set()
    await task
    assert current.value == "assistant-on-b2"
    assert in_flight == "assistant-on-b1"


async def test_build_with_another_embedder_is_refused(setup) -> None:
    index_dir, builds, current = setup
    metrics = Metrics()
    watcher = IndexWatcher(index_dir, current, builds.load, metrics)
    point(index_dir, "b3")
    assert await watcher.reload() == "refused"
    assert current.build_id == "b1"
    assert b'lawbot_index_reloads_total{outcome="refused"} 1.0' in metrics.render()


async def test_broken_build_keeps_the_old_index(setup) -> None:
    index_dir, builds, current = setup
    watcher = IndexWatcher(index_dir, current, builds.load)
    point(index_dir, "b9-half-written")
    assert await watcher.reload() == "failed"
    assert current.value == "assistant-on-b1"


async def test_sighup_forces_a_reload(setup) -> None:
    index_dir, builds, current = setup
    watcher = IndexWatcher(index_dir, current, builds.load, interval=60)
    if not watcher.install_sighup():
        pytest.skip("signal handlers need the main thread on Unix")
    stopping = asyncio.Event()
    task = asyncio.create_task(watcher.run(stopping))
    try:
        # simulate a CURRENT change the poller cannot see yet (interval 60 s): only SIGHUP triggers
        (index_dir / "CURRENT").write_text("b2")
        os.kill(os.getpid(), signal.SIGHUP)
        await await_until(lambda: current.build_id == "b2", "b2 to serve after SIGHUP")
    finally:
        watcher.remove_sighup()
        stopping.set()
        await task
