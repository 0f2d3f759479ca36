"""Add the ranking stage to a build: document features, FAQ expansions, the model, heading vectors.

Everything goes into `<build>/ranking/` (and, with heading vectors, `<build>/dense/` plus the
embedder in the manifest), so a build stays self-contained and read-only once served. Run by
scripts/build_ranking.py on an existing build, in seconds without an embedder.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from retrieval.bm25_index import BM25Index
from retrieval.expand import EXPANSIONS_FILE, FaqExpander, faq_expansions, position_resolver
from retrieval.manifest import MANIFEST, read_manifest
from retrieval.rank import DOC_META_FILE, MODEL_FILE, DocMeta
from retrieval.store import ArticleStore
from retrieval.types import Article

RANKING_DIR = "ranking"
RANKER_FILE = "ranker.json"


def indexed_articles(build_dir: Path) -> list[Article]:
    """The articles at the BM25 positions of a build (canonical copies), without clauses."""
    store = ArticleStore(build_dir)
    try:
        rows = np.load(build_dir / "indexed_rows.npy")
        return [store.article(int(r), clauses=False) for r in rows]
    finally:
        store.close()


def build_expander(build_dir: Path, faq_records: Iterable[object]) -> FaqExpander:
    """The FAQ expander of a build: FAQ questions mapped to the build's BM25 positions."""
    store = ArticleStore(build_dir)
    try:
        ids = store.ids
        nums: list[str] = []
        arts: list[str] = []
        for r in range(len(store)):
            a = store.article(r, clauses=False)
            nums.append(a.doc_number)
            arts.append(a.number)
    finally:
        store.close()
    aliases = json.loads((build_dir / "aliases.json").read_text("utf-8"))
    resolve = position_resolver(ids, nums, arts, np.load(build_dir / "indexed_rows.npy"), aliases)
    return FaqExpander(faq_expansions(faq_records, resolve))


def add_ranking(build_dir: Path, faq_records: Iterable[object], model_path: Path | str = MODEL_FILE,
                articles: list[Article] | None = None, bm25: BM25Index | None = None) -> Path:
    """Write `<build>/ranking/` (document features, FAQ expansions, model); returns that folder.
    `articles`/`bm25`: the build's indexed articles and BM25 index when the caller has them."""
    bm25 = bm25 or BM25Index.load(build_dir / "bm25")
    articles = articles if articles is not None else indexed_articles(build_dir)
    tmp = build_dir / (RANKING_DIR + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    DocMeta.from_articles(articles, bm25).save(tmp / DOC_META_FILE)
    build_expander(build_dir, faq_records).save(tmp / EXPANSIONS_FILE)
    if Path(model_path).is_file():
        shutil.copyfile(model_path, tmp / RANKER_FILE)
    final = build_dir / RANKING_DIR
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)
    return final


def add_heading_dense(build_dir: Path, vectors: np.ndarray, embedder_id: str) -> None:
    """Serve heading vectors as the build's dense index (one row per BM25 position) and record
    the embedder in the manifest, so a server with another embedder refuses the build."""
    from retrieval.dense import DenseIndex

    manifest = read_manifest(build_dir)
    if len(vectors) != int(manifest["n_indexed"]):
        raise ValueError(f"{len(vectors)} heading vectors for {manifest['n_indexed']} indexed articles")
    DenseIndex.build(np.asarray(vectors, dtype=np.float32), embedder_id=embedder_id).save(build_dir / "dense")
    manifest.update({"embedder": embedder_id, "dimension": int(vectors.shape[1]), "dense_text": "heading"})
    tmp = build_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, build_dir / MANIFEST)
