"""The database handle: migrations on SQLite and PostgreSQL, models == migration, SQLite settings, reconnects."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.storage.db import Database, alembic_config, normalise_url
from bot.storage.schema import Base, Meta, utcnow


def _head() -> str:
    """The newest migration shipped (not a literal: the chain grows with every migration)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))


def test_migrations_create_every_table(db: Database) -> None:
    assert db.current_revision() is not None
    names = set(sa.inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    db.migrate()  # a second run (another worker starting) changes nothing
    assert _diff(db) == []


def test_models_and_migration_agree_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/m.sqlite3")
    db.migrate()
    assert _diff(db) == []
    db.downgrade("base")
    assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
    db.migrate()
    assert _diff(db) == []
    db.dispose()


@pytest.mark.postgres
def test_models_and_migration_agree_on_postgres(postgres_database: Callable[[], str]) -> None:
    db = Database(postgres_database())
    db.migrate()
    try:
        assert _diff(db) == []
        db.downgrade("base")
        db.migrate()
        assert _diff(db) == []
    finally:
        db.dispose()


def _migrate_concurrently(url: str) -> None:
    """Several workers start at once against a new database: each migrates, all succeed."""
    dbs = [Database(url) for _ in range(3)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(dbs))

    def start(d: Database) -> None:
        try:
            barrier.wait()
            d.migrate()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(d,)) for d in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert {d.current_revision() for d in dbs} == {_head()}
        assert _diff(dbs[0]) == []
    finally:
        for d in dbs:
            d.dispose()


def test_workers_starting_together_on_sqlite_migrate_once(tmp_path: Path) -> None:
    _migrate_concurrently(f"sqlite:///{tmp_path}/new.sqlite3")


@pytest.mark.postgres
def test_workers_starting_together_on_postgres_migrate_once(
    postgres_database: Callable[[], str],
) -> None:
    _migrate_concurrently(postgres_database())


def test_sqlite_file_settings(tmp_path: Path) -> None:
    path = tmp_path / "var" / "deep" / "lawbot.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    assert path.exists()  # the parent folders were created
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    assert db.dialect == "sqlite"
    db.dispose()


def test_session_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as s:
        s.add(Meta(key="k", value="v", updated_at=utcnow()))
        s.flush()
        raise RuntimeError("boom")
    with db.session(readonly=True) as s:
        assert s.get(Meta, "k") is None


def test_in_memory_sqlite_is_shared_between_sessions() -> None:
    db = Database("sqlite://")
    db.migrate()
    with db.session() as s:
        s.add(Meta(key="k", value="v", updated_at=utcnow()))
    with db.session(readonly=True) as s:
        assert s.get(Meta, "k") is not None


def test_plain_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"
    assert "secret" not in repr(Database("postgresql://u:secret@127.0.0.1:1/db"))


@pytest.mark.postgres
def test_reconnects_after_postgres_drops_connections(postgres_database: Callable[[], str]) -> None:
    db = Database(postgres_database())
    db.migrate()
    with db.session() as s:  # a pooled connection now exists
        s.add(Meta(key="before", value="1", updated_at=utcnow()))
    # what a server restart does to our pool: every backend of this database is killed
    admin = sa.create_engine(db.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :d AND pid <> pg_backend_pid()"
            ),
            {"d": db.url.database},
        ).scalar()
    admin.dispose()
    try:
        assert killed >= 1
        assert db.ping()
        with db.session() as s:
            s.add(Meta(key="after", value="1", updated_at=utcnow()))
        with db.session(readonly=True) as s:
            assert s.get(Meta, "before") is not None and s.get(Meta, "after") is not None
    finally:
        db.dispose()
