"""`lawbot kb`: import law files, pháp điển JSONL and FAQ (YAML/CSV) into knowledge_base/, export the FAQ, check it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

kb_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

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
    from bot.kb import import_sources

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
) -> None:
    """Write every FAQ entry out, e.g. as a spreadsheet for legal-aid staff to review."""
    from bot.kb import export_faq
    from retrieval.faq import FaqError

    if fmt not in ("yaml", "csv"):
        raise typer.BadParameter("choose yaml or csv", param_hint="--format")
    try:
        n = export_faq(kb, fmt, out)
    except FaqError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Exported {n} FAQ entries to {out}")


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
    from bot.kb import check_knowledge_base

    result = check_knowledge_base(kb, data)
    typer.echo(result.summary())
    if result.errors or (strict and result.warnings):
        raise typer.Exit(1)
