"""SQLite cache of embeddings keyed by (embedder id, sha256 of text): rebuilds embed only new text."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np

from retrieval.embed import Embedder

DEFAULT_CACHE_PATH = Path("var/embed_cache.sqlite3")
Kind = Literal["passage", "query"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    embedder TEXT NOT NULL,
    kind TEXT NOT NULL,
    text_sha256 BLOB NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (embedder, kind, text_sha256)
) WITHOUT ROWID;
"""
# SQLite's limit on bound parameters is 32766 in current builds, 999 in old ones.
_LOOKUP_CHUNK = 900


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Embeddings of passages (and optionally queries) in one SQLite file.

    WAL mode: an index build can write while a server or a second build reads. Every batch is
    committed, so a killed build loses at most the batch in flight and the next run resumes.
    """

    def __init__(self, path: Path | str = DEFAULT_CACHE_PATH) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a killed process in WAL mode (only power loss can lose the
        # last commits), and much faster than FULL.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reading -------------------------------------------------------------------------------

    def lookup(
        self, embedder_id: str, dim: int, texts: Sequence[str], kind: Kind = "passage"
    ) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, found): rows for the cached texts, zeros elsewhere; found[i] says which."""
        keys = [text_key(t) for t in texts]
        got = self._get(embedder_id, kind, keys, dim)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        found = np.zeros(len(texts), dtype=bool)
        for i, k in enumerate(keys):
            vec = got.get(k)
            if vec is not None:
                out[i] = vec
                found[i] = True
        return out, found

    def _get(
        self, embedder_id: str, kind: str, keys: Sequence[bytes], dim: int
    ) -> dict[bytes, np.ndarray]:
        got: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for i in range(0, len(unique), _LOOKUP_CHUNK):
                chunk = unique[i : i + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    "SELECT text_sha256, vector FROM embeddings WHERE embedder = ? AND kind = ? "
                    f"AND text_sha256 IN ({marks})",
                    (embedder_id, kind, *chunk),
                )
                for key, blob in rows:
                    vec = np.frombuffer(blob, dtype="<f4")
                    if vec.size == dim:  # a row of another size is stale; embed again
                        got[key] = vec
        return got

    def count(self, embedder_id: str | None = None) -> dict[tuple[str, str], int]:
        """Rows per (embedder id, kind), optionally for one embedder."""
        sql = "SELECT embedder, kind, COUNT(*) FROM embeddings"
        args: tuple[str, ...] = ()
        if embedder_id is not None:
            sql += " WHERE embedder = ?"
            args = (embedder_id,)
        with self._lock:
            rows = self._db.execute(sql + " GROUP BY embedder, kind", args).fetchall()
        return {(e, k): n for e, k, n in rows}

    # ---- writing -------------------------------------------------------------------------------

    def put(
        self, embedder_id: str, texts: Sequence[str], vectors: np.ndarray, kind: Kind = "passage"
    ) -> None:
        rows = [
            (embedder_id, kind, text_key(t), np.asarray(v, dtype="<f4").tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)

    def embed(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        *,
        batch_size: int = 16,
        progress: bool = True,
        kind: Kind = "passage",
        desc: str = "embedding",
    ) -> np.ndarray:
        """Vectors for `texts` (same order, duplicates included), embedding only texts not cached.

        Identical texts are embedded once. Each batch is committed before the next starts.
        """
        keys = [text_key(t) for t in texts]
        vectors = self._get(embedder.id, kind, keys, embedder.dim)
        todo: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in vectors and key not in todo:
                todo[key] = text
        if todo:
            self._embed_missing(embedder, todo, vectors, batch_size, progress, kind, desc)
        out = np.empty((len(texts), embedder.dim), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = vectors[key]
        return out

    def _embed_missing(
        self,
        embedder: Embedder,
        todo: dict[bytes, str],
        vectors: dict[bytes, np.ndarray],
        batch_size: int,
        progress: bool,
        kind: Kind,
        desc: str,
    ) -> None:
        items = list(todo.items())
        count_tokens = getattr(embedder, "token_count", None)
        # Token counts drive the bar, so its rate and ETA are in tokens (texts vary 10x in length).
        tokens = [count_tokens(t) if count_tokens else len(t) // 4 + 1 for _, t in items]
        embed = embedder.embed_queries if kind == "query" else embedder.embed_passages
        with _bar(sum(tokens), len(items), desc, progress) as bar:
            for i in range(0, len(items), batch_size):
                batch = items[i : i + batch_size]
                texts = [t for _, t in batch]
                vecs = embed(texts)
                self.put(embedder.id, texts, vecs, kind)
                for (key, _), vec in zip(batch, vecs, strict=True):
                    vectors[key] = vec
                bar.advance(sum(tokens[i : i + batch_size]), len(batch))


class _Bar:
    def __init__(self, total_tokens: int, total_texts: int, desc: str, enabled: bool) -> None:
        from tqdm import tqdm

        self.total_texts = total_texts
        self.done_texts = 0
        self.t0 = time.perf_counter()
        self.tqdm = tqdm(
            total=total_tokens,
            unit="tok",
            unit_scale=True,
            desc=desc,
            disable=not enabled,
            smoothing=0.05,
        )

    def advance(self, tokens: int, texts: int) -> None:
        self.done_texts += texts
        elapsed = max(time.perf_counter() - self.t0, 1e-9)
        self.tqdm.set_postfix_str(
            f"{self.done_texts}/{self.total_texts} texts, {self.done_texts / elapsed:.1f} texts/s",
            refresh=False,
        )
        self.tqdm.update(tokens)


@contextmanager
def _bar(total_tokens: int, total_texts: int, desc: str, enabled: bool) -> Iterator[_Bar]:
    bar = _Bar(total_tokens, total_texts, desc, enabled)
    try:
        yield bar
    finally:
        bar.tqdm.close()
