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
from retrieval.loaders import LAW_FILE_SUFFIXES, attach_status, load_sources, source_files
from retrieval.manifest import MANIFEST as MANIFEST
from retrieval.manifest import IndexFormatError as IndexFormatError
from retrieval.manifest import read_manifest as read_manifest
from retrieval.normalize import fold
from retrieval.store import write_store
from retrieval.tokenize import TokenizerConfig
from retrieval.types import Article, Document

if TYPE_CHECKING:
    from retrieval.embed import Embedder

FORMAT_VERSION = 2  # 2: BM25 scores in our own files (1: the same arrays under bm25s's names; still read)
READABLE_FORMATS = (1, 2)
BUILDS = "builds"
CURRENT = "CURRENT"
TMP_PREFIX = ".tmp-"
# Files every build holds (relative to the build folder); a dense build also holds DENSE_FILES.
REQUIRED_FILES = (
    "articles.jsonl",
    "articles.offsets.npy",
    "article_ids.json",
    "status.npy",
    "indexed_rows.npy",
    "aliases.json",
    "bm25/scores.data.npy",
    "bm25/scores.indices.npy",
    "bm25/scores.indptr.npy",
    "bm25/bm25.json",
    "bm25/vocab.json",
    "bm25/bigrams.npz",
    "bm25/tokenizer.json",
)
_FORMAT_1_NAMES = {
    "bm25/scores.data.npy": "bm25/data.csc.index.npy",
    "bm25/scores.indices.npy": "bm25/indices.csc.index.npy",
    "bm25/scores.indptr.npy": "bm25/indptr.csc.index.npy",
    "bm25/bm25.json": "bm25/params.index.json",
}
DENSE_FILES = ("dense/dense.faiss",)


# A build with fewer articles than this share of the current one does not take CURRENT without
# force: a mistyped --source or a half-parsed corpus must not silently shrink what citizens are served.
SHRINK_RATIO = 0.5


class SourceError(ValueError):
    """A --source that does not exist, holds no corpus file or gives no article."""


class BuildShrank(ValueError):
    """The new build is far smaller than the current one; it was kept on disk, CURRENT was not moved."""

    def __init__(self, message: str, build_dir: Path) -> None:
        super().__init__(message)
        self.build_dir = build_dir


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
    allow_empty: bool = False,
    force: bool = False,
    faq_records: Iterable[object] | None = None,
) -> Path:
    """Build an index of `sources` under `<out_dir>/builds/<id>/` and point `<out_dir>/CURRENT` at it.

    The build is written to a temporary folder first; CURRENT switches (write + os.replace) only
    after everything is on disk, so a crash mid-build leaves the previous build serving. Dense
    vectors are made only when `embedder` is given, through the embedding cache at `cache_path`
    (so a rebuild embeds only new or changed text and an interrupted build resumes).
    Temporary folders left by builds that were killed (their process is gone) are removed first;
    their embeddings are in the cache, so the new build resumes where they stopped.

    `allow_empty`: sources that do not exist are skipped with a message, and a corpus without
    any article gives an empty build (it loads, and every search returns no hit) instead of a
    ValueError; for a fresh clone whose knowledge base holds no law text yet. Without it, a source
    that does not exist, holds no corpus file or gives no article is a SourceError (nothing built).

    A build with under SHRINK_RATIO of the current build's articles is kept in builds/ but CURRENT
    stays where it was (BuildShrank) unless `force`.
    `faq_records`: vetted FAQ entries (retrieval.faq.FaqRecord); when given, the build gets the
    learned ranking stage (`ranking/`: their questions as expansions of the articles they cite,
    document features, retrieval/ranker.json), see retrieval/rank_build.py.
    Returns the new build folder.
    """
    started = time.perf_counter()
    out = Path(out_dir)
    builds = out / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    for stale in clean_stale_tmp(out):
        echo(f"Removed {stale}, left by a build that was stopped (its process is gone)")
    config = config or TokenizerConfig()
    steps: dict[str, float] = {}

    t0 = time.perf_counter()
    paths = [Path(s) for s in sources]
    if allow_empty:
        for missing in [p for p in paths if not p.exists()]:
            echo(f"Source {missing} does not exist: skipped")
        paths = [p for p in paths if p.exists()]
    else:
        check_sources(paths)
    articles, report = load_sources(paths, progress=progress)
    if register:
        matched = attach_status(articles, register)
        echo(f"Register: status for {matched} of {len(articles)} articles")
    echo(report.summary())
    barren = [src for src, n in report.sources.items() if n == 0]
    if barren and not allow_empty:
        raise SourceError(
            "no article was imported from "
            + ", ".join(barren)
            + " (every file or line was skipped: see the list above); nothing was built"
        )
    if not articles:
        if not allow_empty:
            raise ValueError(
                "no article was imported; nothing to index (see the skipped list above)"
            )
        echo("No article in the sources: building an empty index (searches find nothing)")
    steps["load"] = time.perf_counter() - t0

    canonical, aliases = group_duplicates(articles)
    corpus_hash = _corpus_hash(articles)
    created = dt.datetime.now(dt.UTC)
    build_id = _new_build_id(builds, created, corpus_hash)
    tmp = builds / f"{TMP_PREFIX}{build_id}-{os.getpid()}"
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

        if faq_records is not None and indexed:
            from retrieval.rank_build import add_ranking

            t0 = time.perf_counter()
            add_ranking(tmp, faq_records, articles=indexed, bm25=bm25)
            steps["ranking"] = time.perf_counter() - t0

        manifest: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "build_id": build_id,
            "created_at": created.isoformat(timespec="seconds"),
            "data_date": data_date(articles, created.date()),
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
    previous = _current_manifest(out)
    if previous is not None:
        lost = {
            c: n for c, n in (previous.get("counts") or {}).items() if c not in manifest["counts"]
        }
        if lost:
            echo(
                "Note: the current build also holds "
                + ", ".join(f"{n} {corpus} articles" for corpus, n in sorted(lost.items()))
                + " that this build has no source for"
            )
        if not force:
            _refuse_shrink(previous, final, manifest)
    switch_current(out, build_id)
    echo(
        f"Built {build_id}: {len(articles)} articles ({len(canonical)} indexed), "
        f"{manifest['build_seconds']} s; CURRENT -> {build_id}"
    )
    return final


def check_sources(paths: list[Path]) -> None:
    """SourceError naming every source that does not exist or holds no corpus file."""
    if not paths:
        raise SourceError("no source given: pass --source FILE_OR_FOLDER")
    problems = []
    for p in paths:
        if not p.exists():
            problems.append(f"{p} does not exist")
        elif not source_files(p):
            problems.append(f"{p} holds no corpus file (.jsonl, {', '.join(LAW_FILE_SUFFIXES)})")
    if problems:
        raise SourceError(
            "no article to index from "
            + "; ".join(problems)
            + ". Check --source; nothing was built"
        )


def _current_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest CURRENT points to, or None when there is no usable one (nothing to compare)."""
    try:
        return read_manifest(current_build(out))
    except (FileNotFoundError, IndexFormatError):
        return None


def _refuse_shrink(old: dict[str, Any], build: Path, manifest: dict[str, Any]) -> None:
    """BuildShrank when the new build holds under SHRINK_RATIO of the current build's articles."""
    try:
        before = int(old["n_articles"])
    except (KeyError, TypeError, ValueError):
        return
    after = int(manifest["n_articles"])
    if before == 0 or after >= before * SHRINK_RATIO:
        return
    counts = old.get("counts") or {}
    changes = ", ".join(
        f"{corpus} {counts.get(corpus, 0)} -> {manifest['counts'].get(corpus, 0)}"
        for corpus in sorted(set(counts) | set(manifest["counts"]))
        if counts.get(corpus, 0) != manifest["counts"].get(corpus, 0)
    )
    raise BuildShrank(
        f"the new build holds {after} articles, under half of the {before} of the current build "
        f"{old.get('build_id')} ({changes}); CURRENT still points to {old.get('build_id')}. "
        f"The new build is kept in {build}. If the smaller index is what you want, build again "
        "with --force",
        build,
    )


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
    if not build_id or "/" in build_id or not (path / MANIFEST).is_file():
        raise FileNotFoundError(f"CURRENT points to {build_id!r}, but {path / MANIFEST} is missing")
    return path


def check_build(build_dir: Path, manifest: dict[str, Any], *, dense: bool = True) -> None:
    """Refuse a build this code cannot serve (IndexFormatError naming the folder): another format
    version, or files missing (a copy cut short, a disk cleaned by hand)."""
    version = manifest.get("format")
    if version not in READABLE_FORMATS:
        raise IndexFormatError(
            f"index build {build_dir} has format {version!r}; this lawbot reads formats "
            f"{', '.join(map(str, READABLE_FORMATS))}: rebuild it with `lawbot index build`"
        )
    for key in ("build_id", "created_at", "n_articles", "n_indexed"):
        if key not in manifest:
            raise IndexFormatError(f"index build {build_dir}: {MANIFEST} lacks {key!r}")
    wanted = list(REQUIRED_FILES) if version == FORMAT_VERSION else [
        _FORMAT_1_NAMES.get(name, name) for name in REQUIRED_FILES]
    if dense and manifest.get("embedder"):
        wanted += DENSE_FILES
    missing = [name for name in wanted if not (build_dir / name).is_file()]
    if missing:
        raise IndexFormatError(
            f"index build {build_dir} is incomplete: missing {', '.join(missing)}; "
            "rebuild it with `lawbot index build`"
        )


def clean_stale_tmp(out_dir: Path | str) -> list[Path]:
    """Remove the temporary folders (and CURRENT temp files) of builds whose process is gone.

    A build writes into builds/.tmp-<id>-<pid> and renames it when done; a build killed with
    SIGKILL, or by a power cut, leaves it behind. Folders of a running build (pid alive, e.g. a
    second build into the same folder) are kept. Returns what was removed.
    """
    out = Path(out_dir)
    removed: list[Path] = []
    candidates = list((out / BUILDS).glob(TMP_PREFIX + "*")) if (out / BUILDS).is_dir() else []
    candidates += list(out.glob(f".{CURRENT}.*.tmp"))
    for path in candidates:
        pid = _pid_of(path.name)
        if pid is None or pid == os.getpid() or _pid_alive(pid):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        if not path.exists():
            removed.append(path)
    return removed


def _pid_of(name: str) -> int | None:
    """The pid at the end of '.tmp-<build id>-<pid>' or '.CURRENT.<pid>.tmp'."""
    if name.startswith(TMP_PREFIX):
        tail = name.rsplit("-", 1)[-1]
    elif name.startswith(f".{CURRENT}.") and name.endswith(".tmp"):
        tail = name[len(CURRENT) + 2 : -4]
    else:
        return None
    return int(tail) if tail.isdigit() else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


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


def data_date(articles: list[Article], today: dt.date) -> str | None:
    """How current the law in a build is: the latest effective date of its articles that is not in the
    future (a build made today from a 2025 snapshot holds the law of 2025, not of today)."""
    latest = ""
    for article in articles:
        value = (article.effective_from or "")[:10]
        if len(value) == 10 and value <= today.isoformat() and value > latest:
            latest = value
    return latest or None
