"""Fixtures shared by the app-level tests: fake Bot API servers (reset before each test) and a mini index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auxil.fake_telegram import FakeTelegram
from tests.auxil.fake_zalo import FakeZalo
from tests.auxil.mini_index import build_mini_index


def _fresh(fake: FakeTelegram | FakeZalo) -> None:
    """A server kept for the module, as if new: up, no calls recorded, no webhook set."""
    fake.up()
    fake.calls.clear()
    fake.webhook = {}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeTelegram, FakeZalo]]:
    tg, zalo = FakeTelegram(), FakeZalo()
    with tg.running(), zalo.running():
        yield tg, zalo


@pytest.fixture
def fakes(servers: tuple[FakeTelegram, FakeZalo]) -> tuple[FakeTelegram, FakeZalo]:
    for fake in servers:
        _fresh(fake)
    return servers


@pytest.fixture(scope="module")
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    with fake.running():
        yield fake


@pytest.fixture
def fake(tg: FakeTelegram) -> FakeTelegram:
    _fresh(tg)
    return tg


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("index") / "index"
    build_mini_index(path)
    return path
