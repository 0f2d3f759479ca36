"""docs/deploy.md runs as written: every shell block marked `<!-- test: run -->` runs, in order, against a temporary root.

The convention: a line `<!-- test: run -->` right before a fenced block marks it as runnable on a machine
set up from the guide. Blocks that need root services (useradd, systemd, nginx, remote hosts) stay
unmarked. The test maps the guide's fixed places to stand-ins and nothing else: `/opt/lawbot` is this
checkout (its .venv), `/etc/lawbot`, `/srv/lawbot`, `/var/lib/lawbot`, `/var/backups/lawbot` are folders of
a temporary root, `sudo` and owner options are dropped (the test runs as one user), the PostgreSQL
database `lawbot` is a fresh database of the local server (§7 copies into a second one), and `kb fetch phapdien` reads a small
pháp điển zip built in that format instead of the Ministry's address (this machine has no internet).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.auxil.phapdien_fixture import make_zip
from tests.conftest import POSTGRES_ADMIN_URL, REPO

MARKER = "<!-- test: run -->"
GUIDE = REPO / "docs" / "deploy.md"
PLACES = ("/etc/lawbot", "/srv/lawbot", "/var/lib/lawbot", "/var/backups/lawbot")
GUIDE_DB_URL = "postgresql+psycopg://lawbot:PASSWORD@db.internal:5432/lawbot"


def runnable_blocks(text: str) -> list[str]:
    """The bodies of the fenced blocks right after a marker line (list-item indentation removed)."""
    lines = text.splitlines()
    blocks: list[str] = []
    for i, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        fence = lines[i + 1]
        assert fence.strip().startswith("```"), f"deploy.md line {i + 1}: {MARKER} must precede a fenced block"
        indent = len(fence) - len(fence.lstrip())
        body: list[str] = []
        for inner in lines[i + 2 :]:
            if inner.strip() == "```":
                break
            body.append(inner[indent:])
        blocks.append("\n".join(body))
    return blocks


def adapt(block: str, root: Path, names: dict[str, str]) -> str:
    """The block with the guide's fixed places, users and database mapped to this machine's stand-ins."""
    out = block.replace(GUIDE_DB_URL, names["copy_url"])
    out = out.replace("lawbot_restore_test", names["restore"])
    out = re.sub(r"-d lawbot\b", f"-d {names['db']}", out)
    out = out.replace("/opt/lawbot", str(REPO))
    for place in PLACES:
        out = out.replace(place, f"{root}{place}")
    out = re.sub(r"\bsudo -u \w+ (env )?", lambda m: m.group(1) or "", out)
    out = re.sub(r"\bsudo ", "", out)
    out = re.sub(r"(\binstall\b.*?) -[og] \w+", r"\1", out)  # owners need root
    out = re.sub(r"(\binstall\b.*?) -[og] \w+", r"\1", out)
    return out.replace("kb fetch phapdien", f"kb fetch phapdien --from {names['zip']}")


def _env_file(root: Path, url: str) -> Path:
    """/etc/lawbot/lawbot.env: a copy of .env.example edited as §2's table says."""
    edits = {
        "LAWBOT_DATABASE_URL": url,
        "LAWBOT_INDEX_DIR": f"{root}/srv/lawbot/index",
        "LAWBOT_EMBEDDER": "none",
        "LAWBOT_UNDERSTANDING_EMBEDDER": "none",
        "LAWBOT_FAQ_DIR": f"{REPO}/knowledge_base/faq",
        "LAWBOT_DOCUMENTS_REGISTER": f"{REPO}/knowledge_base/documents.yaml",
    }
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    for key, value in edits.items():
        text, n = re.subn(rf"^{key}=.*$", f"{key}={value}", text, flags=re.M)
        assert n == 1, key
    path = root / "etc" / "lawbot" / "lawbot.env"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o640)
    return path


def _approve_one(url: str) -> str:
    """An entry approved in the desk (stored as the desk stores it), for the export of §5a to show."""
    from bot.storage.db import Database
    from bot.storage.faq_entries import add_entry

    db = Database(url)
    try:
        with db.session() as s:
            return add_entry(
                s,
                {"questions": ["Thử việc công nhân kỹ thuật tối đa bao lâu?", "thu viec cong nhan ky thuat bao lau"],
                 "answer": "Không quá 30 ngày với công việc cần trình độ trung cấp, công nhân kỹ thuật.",
                 "citations": [{"doc_number": "45/2019/QH14", "article": "25", "clause": "3"}],
                 "note": None, "reviewed_by": "Lan", "reviewed_at": "2026-12-01"},
                slug="da-duyet", topic="Cán bộ trợ giúp pháp lý giải đáp",
            )
    finally:
        db.dispose()


def test_the_guide_marks_its_runnable_blocks() -> None:
    blocks = runnable_blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    joined = "\n".join(blocks)
    for command in ("db migrate", "kb fetch phapdien", "pg_restore", ".backup", "db copy", "purge", "kb export"):
        assert command in joined


@pytest.mark.slow
@pytest.mark.postgres
def test_deploy_guide_commands_run_as_written(
    tmp_path: Path, postgres_database: Callable[[], str]
) -> None:
    from bot.storage.db import Database

    root = tmp_path / "root"
    root.mkdir()
    url = postgres_database()
    db_name = sa.make_url(url).database or ""
    names = {
        "url": url,
        "db": db_name,
        "restore": f"{db_name}_restore",
        "copy_url": postgres_database(),  # §7 copies into an empty database
        "zip": str(make_zip(tmp_path / "pd.zip")),
    }
    _env_file(root, url)
    # the single-process install §6 backs up and §7 moves to PostgreSQL
    sqlite = Database(f"sqlite:///{root}/var/lib/lawbot/lawbot.sqlite3")
    sqlite.migrate()
    sqlite.dispose()
    admin = sa.make_url(POSTGRES_ADMIN_URL)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LAWBOT_")},
        "PGHOST": admin.host or "127.0.0.1",
        "PGPORT": str(admin.port or 5432),
        "PGUSER": admin.username or "postgres",
    }
    approved = None
    for n, block in enumerate(runnable_blocks(GUIDE.read_text(encoding="utf-8")), start=1):
        if "kb export" in block:
            approved = _approve_one(url)
        script = adapt(block, root, names)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, f"block {n} failed:\n{script}\n--- output\n{done.stdout}\n{done.stderr}"

    assert (root / "srv/lawbot/index-build/CURRENT").is_file()
    assert list((root / "var/backups/lawbot").glob("lawbot-*.dump"))
    assert list((root / "var/backups/lawbot").glob("lawbot-*.sqlite3"))
    assert approved is not None
    exported = (root / "var/lib/lawbot/faq-export/da-duyet.yaml").read_text(encoding="utf-8")
    assert f"id: {approved}" in exported
