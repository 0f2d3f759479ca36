"""One sentence embedder shared by FAQ matching and triage: each message is embedded once, texts we ship are cached on disk."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.embed import Embedder
from retrieval.embed_cache import EmbeddingCache

log = logging.getLogger(__name__)


class TextVectors:
    """Query vectors for short texts (questions, messages), e5 "query:" side for both sides.

    Questions are compared with questions, so both sides use the query prefix. The last few
    hundred messages are kept in memory: triage and FAQ matching of one message share one
    embedding. Texts we ship (FAQ variants, training messages) go through the on-disk cache so
    only new or edited ones are embedded at start-up.
    """

    def __init__(self, embedder: Embedder, cache_path: Path | str | None = None, memory: int = 512) -> None:
        self.embedder = embedder
        self.id = embedder.id
        self.dim = embedder.dim
        self._cache_path = Path(cache_path) if cache_path is not None else None
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memory = memory
        self._lock = threading.Lock()

    def one(self, text: str) -> np.ndarray:
        """The vector of one message (memoised)."""
        with self._lock:
            hit = self._recent.get(text)
            if hit is not None:
                self._recent.move_to_end(text)
                return hit
        vec = np.asarray(self.embedder.embed_queries([text]), dtype=np.float32)[0]
        with self._lock:
            self._recent[text] = vec
            while len(self._recent) > self._memory:
                self._recent.popitem(last=False)
        return vec

    def many(self, texts: Sequence[str], desc: str = "embedding") -> np.ndarray:
        """Vectors of shipped texts, through the disk cache when one is configured."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._cache_path is None:
            return np.asarray(self.embedder.embed_queries(list(texts)), dtype=np.float32)
        try:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            with EmbeddingCache(self._cache_path) as cache:
                return cache.embed(self.embedder, list(texts), kind="query", progress=False, desc=desc,
                                   batch_size=32)
        except OSError as exc:  # a read-only or full disk must not stop the bot from answering
            log.warning("embedding cache %s unusable (%s): embedding without it", self._cache_path, exc)
            return np.asarray(self.embedder.embed_queries(list(texts)), dtype=np.float32)
