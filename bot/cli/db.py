"""`lawbot db migrate|copy|purge`: schema upgrades, moving SQLite to PostgreSQL, the retention purge."""

from __future__ import annotations

from typing import Annotated

import typer

db_app = typer.Typer(add_completion=False, help="Database: migrations, copy, retention purge.")


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: say nothing about it
        return "(unparsable URL)"


@db_app.command("migrate")
def migrate(
    revision: Annotated[
        str, typer.Option("--revision", help="Target revision (default: the newest).")
    ] = "head",
) -> None:
    """Apply the schema migrations to LAWBOT_DATABASE_URL (safe to run twice, or from N workers)."""
    from bot.settings import Settings
    from bot.storage.db import Database

    settings = Settings()
    db = Database(settings.database_url)
    try:
        before = db.current_revision()
        db.migrate(revision)
        after = db.current_revision()
    finally:
        db.dispose()
    where = _hide_password(settings.database_url)
    if before == after:
        typer.echo(f"{where}: already at revision {after}")
    else:
        typer.echo(f"{where}: migrated from {before or 'empty'} to {after}")


@db_app.command("copy")
def copy(
    source: Annotated[
        str, typer.Option("--from", help="Source URL, e.g. sqlite:///var/lawbot.sqlite3.")
    ],
    target: Annotated[
        str,
        typer.Option("--to", help="Target URL, e.g. postgresql+psycopg://lawbot@db/lawbot."),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Delete the rows the target already holds first.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Rows inserted per statement.")
    ] = 1000,
) -> None:
    """Copy every table (stop lawbot first): migrate the target, copy, fix sequences, verify counts."""
    from bot.storage.copy import CopyError, copy_database, format_report

    typer.echo(f"Copying {_hide_password(source)} -> {_hide_password(target)}")
    try:
        report = copy_database(source, target, force=force, batch_size=batch_size, echo=typer.echo)
    except CopyError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(format_report(report))
    if report.sequences_fixed:
        typer.echo(f"Sequences moved past the copied ids: {len(report.sequences_fixed)} tables")
    typer.echo(
        f"OK: {report.total_rows} rows, schema revision {report.revision}. "
        "Now set LAWBOT_DATABASE_URL to the target and start lawbot."
    )


def purge_command(
    days: Annotated[
        int | None,
        typer.Option("--days", min=0, help="Retention in days (default: LAWBOT_RETENTION_DAYS)."),
    ] = None,
) -> None:
    """Delete conversations, delivered messages and resolved tickets older than the retention period."""
    from bot.settings import Settings
    from bot.storage.db import Database
    from bot.storage.purge import purge

    settings = Settings()
    keep = settings.retention_days if days is None else days
    db = Database(settings.database_url)
    try:
        counts = purge(db, keep)
    finally:
        db.dispose()
    removed = ", ".join(f"{table} {n}" for table, n in counts.items())
    typer.echo(f"Purged data older than {keep} days: {removed}")


db_app.command("purge")(purge_command)
