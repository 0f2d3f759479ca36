"""Shared fixtures: the read-only data folder beside the checkout, and databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# fake platform servers and a mini index, shared by the app-level test modules
pytest_plugins = ["tests.auxil.platform_fixtures"]

REPO = Path(__file__).resolve().parents[1]
# Most tests run the assistant with lexical FAQ matching and rule triage (no sentence model to load
# and no thousands of FAQ questions to embed per test); the tests of understanding opt in.
os.environ.setdefault("LAWBOT_UNDERSTANDING_EMBEDDER", "none")
SHARED_DATA = Path(os.environ.get("LAWBOT_SHARED_DATA", REPO.parent / "shared" / "data"))
# the PostgreSQL server of this machine (trust auth); override to point elsewhere
POSTGRES_ADMIN_URL = os.environ.get(
    "LAWBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder; tests that need it are skipped on a machine without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Callable[[], str]]:
    """Factory of fresh, uniquely named PostgreSQL databases (URL returned), all dropped at the end.

    Other contributors run tests on the same server at the same time: nobody shares a database.
    Skips when the server is unreachable.
    """
    import sqlalchemy as sa

    admin = sa.create_engine(
        POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {type(exc).__name__}")
    created: list[str] = []

    def make() -> str:
        name = f"lawbot_t_{secrets.token_hex(6)}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return str(sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False))

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _postgres_db(postgres_database: Callable[[], str]):  # type: ignore[no-untyped-def]
    """One migrated PostgreSQL database for the session; tables are emptied after each test."""
    from bot.storage.db import Database

    db = Database(postgres_database())
    db.migrate()
    yield db
    db.dispose()


def _empty_tables(db) -> None:  # type: ignore[no-untyped-def]
    from bot.storage.schema import Base

    # DELETE beats TRUNCATE on tiny tables (TRUNCATE rewrites files); children first
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time costs more than the test)."""
    from bot.storage.db import Database

    path = tmp_path_factory.mktemp("sqlite-template") / "lawbot.sqlite3"
    template = Database(f"sqlite:///{path}")
    template.migrate()
    template.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A migrated, empty database: a SQLite file, then the same test on PostgreSQL."""
    from bot.storage.db import Database

    if request.param == "sqlite":
        path = tmp_path / "db" / "lawbot.sqlite3"
        path.parent.mkdir()
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    database = request.getfixturevalue("_postgres_db")
    _empty_tables(database)
    yield database
