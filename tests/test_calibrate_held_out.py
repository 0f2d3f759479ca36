"""The confidence fit refuses held-out question files, also when one is passed among training files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_calibrate_refuses_a_check_file_among_its_cases(tmp_path: Path) -> None:
    own = tmp_path / "answers_train_x.jsonl"
    held = tmp_path / "answers_check_x.jsonl"
    line = '{"id": "t1", "kind": "answer", "text": "nghỉ phép năm mấy ngày", "gold_ids": ["20.2.LQ.113"]}\n'
    own.write_text(line, encoding="utf-8")
    held.write_text(line, encoding="utf-8")
    out = tmp_path / "confidence.json"
    done = subprocess.run(
        [sys.executable, "scripts/calibrate.py", "--index", str(tmp_path / "no-index"), "--cases", str(own), str(held),
         "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert "answers_check_x.jsonl: held out" in done.stderr
    assert not out.exists()  # nothing fitted, nothing written
