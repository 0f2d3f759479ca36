"""One sentence embedder shared by FAQ matching and triage: each message is embedded once, texts we ship are cached on disk."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from retrieval.embed import Embedder
from retrieval.embed_cache import EmbeddingCache, Kind

log = logging.getLogger(__name__)


class TextVectors:
    """Query vectors for short texts (questions, messages), e5 "query:" side for both sides.

    Questions are compared with questions, so both sides use the query prefix. The last few
    hundred messages are kept in memory: triage and FAQ matching of one message share one
    embedding. Texts we ship (FAQ variants, training messages) go through the on-disk cache so
    only new or edited ones are embedded at start-up.
    """

    def __init__(self, embedder: Embedder, cache_path: Path | str | None = None, memory: int = 512,
                 prepare: Callable[[str], str] | None = None) -> None:
        self.embedder = embedder
        # applied to every text before embedding (diacritics restored: see bot/adapters/accents.py)
        self.prepare = prepare or (lambda text: text)
        self.id = embedder.id
        self.dim = embedder.dim
        self._cache_path = Path(cache_path) if cache_path is not None else None
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memory = memory
        self._lock = threading.Lock()

    def one(self, text: str) -> np.ndarray:
        """The vector of one message (memoised)."""
        text = self.prepare(text)
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

    def cached(self, texts: Sequence[str], kind: Kind = "query") -> bool:
        """Whether every text already has its vector in the disk cache (so `many` returns at once)."""
        if not texts or self._cache_path is None:
            return not texts
        texts = [self.prepare(t) for t in texts]
        if not self._cache_path.exists():
            return False
        try:
            with EmbeddingCache(self._cache_path) as cache:
                _, found = cache.lookup(self.id, self.dim, list(texts), kind=kind)
        except OSError:
            return False
        return bool(found.all())

    def many(self, texts: Sequence[str], desc: str = "embedding", kind: Kind = "query") -> np.ndarray:
        """Vectors of shipped texts, through the disk cache when one is configured. `kind` "passage":
        the e5 passage side, for texts a question is answered by (FAQ answer sentences), not compared with."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [self.prepare(t) for t in texts]
        embed = self.embedder.embed_queries if kind == "query" else self.embedder.embed_passages
        if self._cache_path is None:
            return np.asarray(embed(list(texts)), dtype=np.float32)
        try:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            with EmbeddingCache(self._cache_path) as cache:
                return cache.embed(self.embedder, list(texts), kind=kind, progress=False, desc=desc,
                                   batch_size=32)
        except OSError as exc:  # a read-only or full disk must not stop the bot from answering
            log.warning("embedding cache %s unusable (%s): embedding without it", self._cache_path, exc)
            return np.asarray(embed(list(texts)), dtype=np.float32)

    def passages(self, texts: Sequence[str], desc: str = "FAQ answers") -> np.ndarray:
        """Passage-side vectors of shipped texts (cached on disk like the questions)."""
        return self.many(texts, desc, kind="passage")


class Warmer:
    """Embeds shipped texts in a background thread, so a first start serves at once (lexical FAQ
    matching) and switches to matching by meaning when the vectors are cached (`generation` moves)."""

    def __init__(self, vectors: TextVectors) -> None:
        self.vectors = vectors
        self.generation = 0
        self._busy = False
        self._lock = threading.Lock()

    def start(self, texts: Sequence[str], passages: Sequence[str] = ()) -> None:
        """`texts`: FAQ questions (query side); `passages`: the sentences of their answers (passage side)."""
        with self._lock:
            if self._busy:
                return
            self._busy = True
        threading.Thread(target=self._run, args=(list(texts), list(passages)), name="faq-vectors",
                         daemon=True).start()

    def _run(self, texts: list[str], passages: list[str]) -> None:
        try:
            log.info("embedding %d FAQ questions and %d answer sentences in the background (matching by "
                     "meaning follows)", len(texts), len(passages))
            self.vectors.many(texts, desc="FAQ questions")
            self.vectors.passages(passages)
            self.generation += 1
        except Exception:
            log.exception("embedding the FAQ questions failed; FAQ matching stays lexical")
        finally:
            with self._lock:
                self._busy = False


def shipped_texts(faq_dir: Path | str, training_dir: Path | str) -> list[str]:
    """Accented text we ship (FAQ questions and answers, training messages): what accents are learned from."""
    import json

    from bot.adapters.faq_search import load_faq

    texts = [t for e in load_faq(faq_dir) for t in (*e.questions, e.answer)] if Path(faq_dir).is_dir() else []
    for path in sorted(Path(training_dir).glob("triage_train*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line).get("text") or ""))
    return texts


def make_text_vectors(embedder: Embedder, cache_path: Path | str | None, faq_dir: Path | str,
                      training_dir: Path | str) -> TextVectors:
    """The sentence vectors serving, training and tests all use: diacritics restored before embedding."""
    from bot.adapters.accents import AccentRestorer

    restorer = AccentRestorer(shipped_texts(faq_dir, training_dir))
    return TextVectors(embedder, cache_path, prepare=restorer.restore)
