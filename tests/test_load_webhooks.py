"""The load run, small: two `lawbot serve` workers on one PostgreSQL, duplicates posted to either one:
every update answered exactly once (the full-size figures are in docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.auxil.mini_index import build_mini_index

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_on_one_postgres_lose_and_duplicate_nothing(
    postgres_database: Callable[[], str], tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    build_mini_index(index_dir)
    result_file = tmp_path / "result.json"
    cmd = [
        sys.executable, "scripts/load_webhooks.py",
        "--rate", "25", "--seconds", "4", "--workers", "2", "--duplicates", "0.2",
        "--index-dir", str(index_dir), "--database-url", postgres_database(),
        "--settle", "120", "--output", str(result_file),
    ]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(result_file.read_text())
    assert result["updates"] == 100 and result["duplicate_posts"] > 0
    assert (result["lost"], result["duplicated"], result["failed_acks"]) == (0, 0, 0)
