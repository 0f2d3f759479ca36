"""Versioned index builds: <out>/builds/<id>/ (BM25, articles, FAISS) and an atomic CURRENT pointer."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.bm25_index import BM25Index, article_fields
from retrieval.loaders import attach_status, load_sources
from retrieval.normalize import fold
from retrieval.store import write_store
from retrieval.tokenize import TokenizerConfig
from retrieval.types import Article, Document

if TYPE_CHECKING:
    from retrieval.embed import Embedder

FORMAT_VERSION = 1
BUILDS = "builds"
CURRENT = "CURRENT"
MANIFEST = "manifest.json"


def build_index(
    sources: Iterable[Path | str],
    out_dir: Path | str,
    embedder: Embedder | None = None,
    cache_path: Path | str | None = None,
    progress: bool = True,
    *,
    register: dict[str, Document] | None = None,
    config: TokenizerConfig | None = None,
    echo: Callable[[str], None] = print,
) -> Path:
    """Build an index of `sources` under `<out_dir>/builds/<id>/` and point `<out_dir>/CURRENT` at it.

    The build is written to a temporary folder first; CURRENT switches (write + os.replace) only
    after everything is on disk, so a crash mid-build leaves the previous build serving. Dense
    vectors are made only when `embedder` is given, through the embedding cache at `cache_path`
    (so a rebuild embeds only new or changed text and an interrupted build resumes).
    Returns the new build folder.
    """
    started = time.perf_counter()
    out = Path(out_dir)
    builds = out / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    config = config or TokenizerConfig()
    steps: dict[str, float] = {}

    t0 = time.perf_counter()
    articles, report = load_sources(sources, progress=progress)
    if register:
        matched = attach_status(articles, register)
        echo(f"Register: status for {matched} of {len(articles)} articles")
    echo(report.summary())
    if not articles:
        raise ValueError("no article was imported; nothing to index (see the skipped list above)")
    steps["load"] = time.perf_counter() - t0

    canonical, aliases = group_duplicates(articles)
    corpus_hash = _corpus_hash(articles)
    created = dt.datetime.now(dt.UTC)
    build_id = _new_build_id(builds, created, corpus_hash)
    tmp = builds / f".tmp-{build_id}-{os.getpid()}"
    tmp.mkdir()
    try:
        t0 = time.perf_counter()
        indexed = [articles[row] for row in canonical]
        bm25 = BM25Index.build(
            (article_fields(a, config) for a in indexed),
            config,
            progress=progress,
            total=len(indexed),
        )
        bm25.save(tmp / "bm25")
        steps["bm25"] = time.perf_counter() - t0

        dimension = None
        if embedder is not None:
            t0 = time.perf_counter()
            dimension = _build_dense(tmp / "dense", indexed, embedder, cache_path, progress)
            steps["dense"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        write_store(tmp, articles)
        np.save(tmp / "indexed_rows.npy", np.array(canonical, dtype=np.int32))
        (tmp / "aliases.json").write_text(json.dumps(aliases, ensure_ascii=False), encoding="utf-8")
        steps["store"] = time.perf_counter() - t0

        manifest: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "build_id": build_id,
            "created_at": created.isoformat(timespec="seconds"),
            "corpus_hash": corpus_hash,
            "embedder": embedder.id if embedder is not None else None,
            "dimension": dimension,
            "counts": dict(sorted(Counter(a.corpus for a in articles).items())),
            "n_articles": len(articles),
            "n_indexed": len(canonical),
            "n_duplicates": len(articles) - len(canonical),
            "skipped": len(report.skipped),
            "sources": [str(s) for s in report.files],
            "tokenizer": config.to_dict(),
            "build_seconds": round(time.perf_counter() - started, 2),
            "step_seconds": {k: round(v, 2) for k, v in steps.items()},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        final = builds / build_id
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    switch_current(out, build_id)
    echo(
        f"Built {build_id}: {len(articles)} articles ({len(canonical)} indexed), "
        f"{manifest['build_seconds']} s; CURRENT -> {build_id}"
    )
    return final


def switch_current(out_dir: Path, build_id: str) -> None:
    """Point CURRENT at a build atomically (a reader sees the old or the new id, never a torn file)."""
    if not (out_dir / BUILDS / build_id / MANIFEST).is_file():
        raise FileNotFoundError(f"no complete build {build_id} in {out_dir / BUILDS}")
    tmp = out_dir / f".{CURRENT}.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(build_id + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out_dir / CURRENT)


def current_build(out_dir: Path | str) -> Path:
    """The build folder CURRENT points to."""
    out = Path(out_dir)
    pointer = out / CURRENT
    if not pointer.is_file():
        raise FileNotFoundError(
            f"{pointer} does not exist: build an index first (lawbot index build)"
        )
    build_id = pointer.read_text(encoding="utf-8").strip()
    path = out / BUILDS / build_id
    if not (path / MANIFEST).is_file():
        raise FileNotFoundError(f"CURRENT points to {build_id}, but {path / MANIFEST} is missing")
    return path


def read_manifest(build_dir: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
    return manifest


def group_duplicates(articles: list[Article]) -> tuple[list[int], dict[str, list[str]]]:
    """Rows to index (first of each group of identical articles) and canonical id -> other ids.

    Identical = same article number, title and text after folding (the ALQAC corpora hold the
    Civil Code and the Cybersecurity Law twice under two ids); one entry answers for all copies.
    """
    # Folding 60 MB of text takes seconds, so only articles that share their number and their
    # length without whitespace (tone placement and spacing do not change it) are compared.
    buckets: dict[tuple[str, int], list[int]] = {}
    for row, a in enumerate(articles):
        size = len(a.text) - a.text.count(" ") - a.text.count("\n")
        buckets.setdefault((a.number, size), []).append(row)
    first_of: dict[int, int] = {}
    for rows in buckets.values():
        if len(rows) < 2:
            continue
        seen: dict[str, int] = {}
        for row in rows:
            key = fold(f"{articles[row].title} {articles[row].text}")
            first_of[row] = seen.setdefault(key, row)
    canonical: list[int] = []
    aliases: dict[str, list[str]] = {}
    for row, a in enumerate(articles):
        head = first_of.get(row, row)
        if head == row:
            canonical.append(row)
        else:
            aliases.setdefault(articles[head].id, []).append(a.id)
    return canonical, aliases


def _corpus_hash(articles: list[Article]) -> str:
    h = hashlib.sha256()
    for a in articles:
        for part in (a.id, a.doc_number, a.title, a.text, str(a.status)):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
    return h.hexdigest()


def _new_build_id(builds: Path, created: dt.datetime, corpus_hash: str) -> str:
    base = f"{created:%Y%m%d-%H%M%S}-{corpus_hash[:8]}"
    build_id, n = base, 1
    while (builds / build_id).exists():
        n += 1
        build_id = f"{base}-{n}"
    return build_id


def _build_dense(
    out: Path,
    articles: list[Article],
    embedder: Embedder,
    cache_path: Path | str | None,
    progress: bool,
) -> int:
    from retrieval.dense import DenseIndex, passage_text

    texts = [passage_text(a) for a in articles]
    if cache_path is not None:
        from retrieval.embed_cache import EmbeddingCache

        vectors = EmbeddingCache(Path(cache_path)).embed(embedder, texts, progress=progress)
    else:
        vectors = embedder.embed_passages(texts)
    vectors = np.asarray(vectors, dtype=np.float32)
    out.mkdir(parents=True, exist_ok=True)
    DenseIndex.build(vectors).save(out)
    return int(vectors.shape[1])
