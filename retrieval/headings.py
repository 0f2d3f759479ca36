"""Heading vectors: one embedding per indexed article of "<đề mục or law title>. <article title>".

Headings are ~10-15 tokens, so the whole pháp điển embeds in minutes where bodies take hours;
they carry what an article is about in the law's own terms, which a citizen's paraphrase reaches
through the embedding where BM25 needs the same words. Vectors are cached by text hash
(retrieval/embed_cache.py), so a rebuild embeds only new or changed headings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.dense import passage_header
from retrieval.embed import Embedder
from retrieval.types import Article

HEADINGS_FILE = "heading_vectors.npy"


def heading_texts(articles: Sequence[Article]) -> list[str]:
    """The text embedded per article (its header; the article id when it has no title at all)."""
    return [passage_header(a) or a.id for a in articles]


def heading_vectors(
    articles: Sequence[Article],
    embedder: Embedder,
    cache_path: Path | str | None = None,
    *,
    progress: bool = False,
    batch_size: int = 64,
) -> np.ndarray:
    """Unit vectors (float32, one row per article) of the articles' headings."""
    texts = heading_texts(articles)
    if cache_path is not None:
        from retrieval.embed_cache import EmbeddingCache

        with EmbeddingCache(cache_path) as cache:
            vecs = cache.embed(embedder, texts, batch_size=batch_size, progress=progress, desc="headings")
    else:
        vecs = embedder.embed_passages(texts)
    vecs = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)
