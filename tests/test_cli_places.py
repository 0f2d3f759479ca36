"""`lawbot places import/export`: per-line errors and nothing written on a bad file; re-import changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.auxil.places import COMMUNES_CSV, POINTS_CSV

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LAWBOT_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    return tmp_path


def test_import_export_and_reimport(env: Path) -> None:
    points_first = runner.invoke(app, ["places", "import", str(POINTS_CSV)])
    assert points_first.exit_code == 1 and "dòng 4: mã xã \"26743\"" in points_first.output  # communes first
    assert "nothing was imported" in points_first.output
    r = runner.invoke(app, ["places", "import", str(COMMUNES_CSV)])
    assert r.exit_code == 0 and "12 new" in r.output
    r = runner.invoke(app, ["places", "import", str(POINTS_CSV)])
    assert r.exit_code == 0 and "9 new" in r.output
    out = env / "export.csv"
    assert runner.invoke(app, ["places", "export", "--out", str(out)]).exit_code == 0
    again = runner.invoke(app, ["places", "import", str(out)])
    assert again.exit_code == 0 and "0 new, 0 changed, 9 unchanged" in again.output
    communes = runner.invoke(app, ["places", "export", "--communes"])
    assert communes.output.splitlines()[0] == "ma_xa,ten_xa,ma_tinh,ten_tinh,ten_cu"


def test_a_malformed_file_names_its_lines(env: Path) -> None:
    runner.invoke(app, ["places", "import", str(COMMUNES_CSV)])
    bad = env / "bad.csv"
    bad.write_text('ma_xa,ten_xa,ma_tinh,ten_tinh,ten_cu\n00001,Xã A,01,Hà Nội,\n00002,,01\n"00003,Xã C\n',
                   encoding="utf-8")
    r = runner.invoke(app, ["places", "import", str(bad)])
    assert r.exit_code == 1 and "nothing was imported" in r.output
    exported = runner.invoke(app, ["places", "export", "--communes"]).output
    assert "00001" not in exported  # the good line was not written either
