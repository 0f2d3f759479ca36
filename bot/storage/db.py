"""The database handle: engine (SQLite or PostgreSQL), transactional sessions and migrations."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key: several workers starting at once must not migrate concurrently
MIGRATION_LOCK_KEY = 0x1A3B07
SQLITE_BUSY_TIMEOUT_MS = 15_000
_READONLY = "lawbot_readonly"


def normalise_url(url: str | URL) -> URL:
    """Parse a database URL; plain postgres:// URLs use the psycopg 3 driver (the one installed)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class Database:
    """One engine per process. `session()` is a unit of work: committed on success, rolled back on error.

    SQLite: WAL, foreign keys, busy timeout, `secure_delete` (deleted rows are overwritten with
    zeros, not left in free pages), and write transactions start with BEGIN IMMEDIATE so that
    concurrent writers queue on the lock instead of failing half-way. PostgreSQL: pooled connections
    checked before use, so a restarted server costs no more than the requests in flight.
    """

    def __init__(self, url: str | URL, *, echo: bool = False, pool_size: int = 5) -> None:
        self.url = normalise_url(url)
        if self.url.get_backend_name() == "sqlite":
            self.engine = self._sqlite_engine(echo)
        else:
            self.engine = sa.create_engine(
                self.url,
                echo=echo,
                pool_pre_ping=True,
                pool_size=pool_size,
                max_overflow=2 * pool_size,
                pool_recycle=1800,
                connect_args={"connect_timeout": 5, "application_name": "lawbot"},
            )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # readers on SQLite need no write lock (WAL lets them run beside the writer)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{_READONLY: True}), expire_on_commit=False
        )

    # ------------------------------------------------------------------ engine setup

    def _sqlite_engine(self, echo: bool) -> Engine:
        database = self.url.database or ""
        memory = database in ("", ":memory:") or database.startswith("file::memory:")
        kwargs: dict[str, Any] = {
            "echo": echo,
            "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        }
        if memory:
            # one shared connection, or every checkout would see a different empty database
            kwargs["poolclass"] = StaticPool
        else:
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(self.url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # we issue BEGIN ourselves (below); pysqlite's implicit transactions would get in the way
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            if not memory:
                _use_wal(cursor)
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # erased and purged personal data must not linger in free pages of the file
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            readonly = conn.get_execution_options().get(_READONLY, False)
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine

    # ------------------------------------------------------------------ public API

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A transaction: commit when the block ends, roll back if it raises."""
        session = (self._read_sessions if readonly else self._sessions)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` with the migrations shipped in bot/storage/migrations."""
        from alembic import command

        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            cfg = alembic_config(conn)
            command.upgrade(cfg, revision)

    def downgrade(self, revision: str) -> None:
        """Undo migrations down to `revision` ('base' empties the database)."""
        from alembic import command

        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            command.downgrade(alembic_config(conn), revision)

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def ping(self) -> bool:
        """True if the database answers (for /healthz)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError as exc:
            log.warning("database ping failed: %s", type(exc).__name__)
            return False

    def checkpoint(self) -> bool:
        """SQLite: copy the write-ahead log into the database file and empty it (TRUNCATE), so that
        rows just deleted leave no copy in `-wal`; False if readers kept it from finishing.
        PostgreSQL: nothing to do here (see docs/security.md, "Personal data", on VACUUM)."""
        if self.dialect != "sqlite":
            return True
        # outside any transaction (SQLAlchemy would open one, and a checkpoint cannot run in it)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            busy, _frames, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        if busy:
            log.warning("WAL checkpoint blocked by a reader; the next one will empty the log")
        return not busy

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"


def alembic_config(connection: Connection | None = None) -> Any:
    """Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def insert_ignore(
    session: Session, table: Any, values: dict[str, Any], conflict: list[str]
) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None if it already existed.

    Safe under concurrent identical inserts on both dialects (the unique index decides).
    """
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    return session.execute(stmt.returning(table.id)).scalar_one_or_none()


def affected(result: Any) -> int:
    """Rows changed by an UPDATE or DELETE."""
    return int(result.rowcount)


def _use_wal(cursor: Any) -> None:
    """Switch a SQLite file to WAL (kept in the file: later connections find it set).

    The switch needs the file to itself, and SQLite answers "database is locked" at once, without its
    busy handler, while another connection is in a transaction: workers starting together on a new file
    (one of them migrating) retry until the busy timeout instead of failing.
    """
    import sqlite3

    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # not a wait on a condition we could observe: SQLite offers no signal

