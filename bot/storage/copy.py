"""Copy a whole lawbot database to another (SQLite -> PostgreSQL when an install scales out)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.storage.db import Database, alembic_config, normalise_url
from bot.storage.schema import Base

log = logging.getLogger(__name__)

DEFAULT_BATCH = 1000
# tables of the database that are not ours to copy (the target's migrations write its own)
_FOREIGN_TABLES = frozenset({"alembic_version"})


class CopyError(RuntimeError):
    """The copy cannot start or did not produce the same rows; the message says what to do."""


@dataclass
class TableCopy:
    """What happened to one table."""

    name: str
    source_rows: int = 0
    target_rows: int = 0
    # values PostgreSQL cannot hold as they were: strings over the column length, NUL characters
    truncated: int = 0
    nul_removed: int = 0

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows


@dataclass
class CopyReport:
    tables: list[TableCopy] = field(default_factory=list)
    sequences_fixed: list[str] = field(default_factory=list)
    revision: str | None = None

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def total_rows(self) -> int:
        return sum(t.target_rows for t in self.tables)


def head_revision() -> str | None:
    """The newest migration shipped with this version of lawbot."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def tables_in_order() -> list[sa.Table]:
    """Every lawbot table, parents before children (foreign-key order)."""
    return list(Base.metadata.sorted_tables)


def count_rows(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _snapshot(db: Database) -> Connection:
    """A connection whose transaction sees one consistent state of the source."""
    conn = db.engine.connect()
    if db.dialect == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    else:
        # a plain BEGIN (see Database's SQLite engine): readers need no write lock
        conn = conn.execution_options(lawbot_readonly=True)
    return conn


def _batches(conn: Connection, table: sa.Table, size: int) -> Iterator[list[dict[str, Any]]]:
    """Rows in primary-key order (a message's reply_to row comes before it), `size` at a time."""
    pk = list(table.primary_key.columns)  # one column, or several (a subscriber's topics)
    key = sa.tuple_(*pk) if len(pk) > 1 else pk[0]
    last: Any = None
    while True:
        query = sa.select(table).order_by(*pk).limit(size)
        if last is not None:
            query = query.where(key > (sa.tuple_(*last) if len(pk) > 1 else last[0]))
        rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return
        yield rows
        last = [rows[-1][c.name] for c in pk]


class _Fitter:
    """Makes SQLite values fit PostgreSQL: VARCHAR(n) is enforced there, NUL is refused in text."""

    def __init__(self, table: sa.Table, report: TableCopy, strict_target: bool) -> None:
        self.report = report
        self.strict = strict_target
        self.lengths = {
            c.name: c.type.length
            for c in table.columns
            if isinstance(c.type, sa.String) and getattr(c.type, "length", None)
        }
        self.text_columns = [
            c.name for c in table.columns if isinstance(c.type, sa.String | sa.Text)
        ]

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        if not self.strict:
            return row
        for name in self.text_columns:
            value = row.get(name)
            if not isinstance(value, str):
                continue
            if "\x00" in value:
                value = value.replace("\x00", "")
                self.report.nul_removed += 1
            limit = self.lengths.get(name)
            if limit is not None and len(value) > limit:
                value = value[:limit]
                self.report.truncated += 1
            row[name] = value
        return row


def _fix_sequences(conn: Connection, tables: list[sa.Table]) -> list[str]:
    """Set each serial id's sequence past the copied ids, so that new rows get fresh ids."""
    fixed = []
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        column = pk[0].name
        sequence = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column}
        ).scalar()
        if sequence is None:
            continue
        # empty table: the next id is 1 (is_called = false); otherwise max(id) + 1
        conn.execute(
            sa.text(
                f"SELECT setval(:s, COALESCE((SELECT MAX({column}) FROM {table.name}), 1), "
                f"(SELECT MAX({column}) FROM {table.name}) IS NOT NULL)"
            ),
            {"s": sequence},
        )
        fixed.append(table.name)
    return fixed


def _check_source(conn: Connection) -> str | None:
    head = head_revision()
    current = None
    if sa.inspect(conn).has_table("alembic_version"):
        current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    if current != head:
        raise CopyError(
            f"the source database is at schema revision {current or 'none'}, this lawbot expects "
            f"{head}: stop lawbot, run `LAWBOT_DATABASE_URL=<source> lawbot db migrate`, then copy"
        )
    known = {t.name for t in tables_in_order()} | _FOREIGN_TABLES
    unknown = sorted(set(sa.inspect(conn).get_table_names()) - known)
    if unknown:
        log.warning("source tables not copied (not part of lawbot's schema): %s", unknown)
    return head


def copy_database(
    source_url: str,
    target_url: str,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH,
    echo: Callable[[str], None] = lambda _: None,
) -> CopyReport:
    """Copy every row of every lawbot table from `source_url` to `target_url`.

    The target is migrated first, then filled in one transaction (a failure leaves it as it was),
    table by table in foreign-key order and `batch_size` rows at a time; on PostgreSQL the id
    sequences are moved past the copied ids. A target that already holds rows is refused unless
    `force`, which empties it first. Rows are counted on both sides at the end: a difference
    raises CopyError. The source is only read (stop the bot first so that it does not change).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    _require_sqlite_file(source_url)
    source, target = Database(source_url), Database(target_url)
    try:
        if _same_database(source, target):
            raise CopyError("the source and the target are the same database")
        report = CopyReport()
        tables = tables_in_order()
        with _snapshot(source) as src, src.begin():
            report.revision = _check_source(src)
            echo(f"Migrating the target to revision {report.revision} ...")
            target.migrate()
            with target.engine.begin() as dst:
                _empty_target(dst, tables, force)
                strict = target.dialect == "postgresql"
                for table in tables:
                    entry = TableCopy(table.name, source_rows=count_rows(src, table))
                    fit = _Fitter(table, entry, strict)
                    for rows in _batches(src, table, batch_size):
                        dst.execute(table.insert(), [fit(r) for r in rows])
                    report.tables.append(entry)
                    echo(f"  {table.name}: {entry.source_rows} rows")
                if target.dialect == "postgresql":
                    report.sequences_fixed = _fix_sequences(dst, tables)
        with target.engine.connect() as dst:
            for entry in report.tables:
                entry.target_rows = count_rows(dst, Base.metadata.tables[entry.name])
        if not report.ok:
            bad = [f"{t.name} {t.source_rows} -> {t.target_rows}" for t in report.tables if not t.ok]
            raise CopyError("row counts differ after the copy: " + ", ".join(bad))
        return report
    finally:
        source.dispose()
        target.dispose()


def _empty_target(dst: Connection, tables: list[sa.Table], force: bool) -> None:
    filled = {t.name: n for t in tables if (n := count_rows(dst, t))}
    if not filled:
        return
    if not force:
        listed = ", ".join(f"{name} ({n})" for name, n in filled.items())
        raise CopyError(
            f"the target database already holds rows: {listed}. Copy into an empty database, "
            "or pass --force to delete them first"
        )
    for table in reversed(tables):  # children first
        dst.execute(table.delete())


def _require_sqlite_file(url: str) -> None:
    # opening a missing SQLite file would create an empty database and hide the typo
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    name = parsed.database or ""
    if name in ("", ":memory:") or not Path(name).expanduser().is_file():
        raise CopyError(f"no SQLite database file at {name or '(empty path)'}")


def _same_database(a: Database, b: Database) -> bool:
    def key(db: Database) -> tuple[Any, ...]:
        u = db.url
        if db.dialect == "sqlite":
            return ("sqlite", str(Path(u.database or "").expanduser().resolve()))
        return (u.get_backend_name(), u.host, u.port or 5432, u.database)

    return key(a) == key(b)


def format_report(report: CopyReport) -> str:
    """The per-table counts as an aligned table (what `lawbot db copy` prints)."""
    width = max((len(t.name) for t in report.tables), default=5)
    lines = [f"{'table':<{width}}  {'source':>8}  {'target':>8}"]
    for t in report.tables:
        flag = "" if t.ok else "  MISMATCH"
        notes = []
        if t.truncated:
            notes.append(f"{t.truncated} values cut to the column length")
        if t.nul_removed:
            notes.append(f"{t.nul_removed} NUL characters removed")
        extra = f"  ({'; '.join(notes)})" if notes else ""
        lines.append(f"{t.name:<{width}}  {t.source_rows:>8}  {t.target_rows:>8}{flag}{extra}")
    lines.append(f"{'total':<{width}}  {sum(t.source_rows for t in report.tables):>8}  "
                 f"{report.total_rows:>8}")
    return "\n".join(lines)
