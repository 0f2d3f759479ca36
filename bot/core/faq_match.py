"""Lexical FAQ matching: a citizen message against every question variant, diacritics folded, idf-weighted."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable

from bot.core.clean import expand_teencode, extract_question, legal_terms
from bot.core.ports import FaqEntry, FaqMatch
from retrieval.normalize import STOPWORDS, strip_diacritics

_WORD = re.compile(r"[a-z0-9]+")
_LEAD_ZERO = re.compile(r"\b0+(\d)")


def features(text: str, *, expand: bool = True) -> dict[str, float]:
    """Folded content syllables (1.0), syllable bigrams (1.5) and legal-term syllables (0.5)."""
    text = expand_teencode(text)
    question = extract_question(text)
    words = _WORD.findall(_LEAD_ZERO.sub(r"\1", strip_diacritics(question).lower()))
    out: dict[str, float] = {}
    for w in words:
        if w not in STOPWORDS and (len(w) > 1 or w.isdigit()):
            out[w] = 1.0
    for a, b in itertools.pairwise(words):
        if a in STOPWORDS and b in STOPWORDS:
            continue
        out[f"{a}_{b}"] = 1.5
    # Also bigrams of the content words alone: "đăng ký thường trú ở nhà thuê" and "ở nhà thuê có
    # đăng ký thường trú" share them although the function words around them differ.
    content = [w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    for a, b in itertools.pairwise(content):
        out.setdefault(f"{a}_{b}", 1.0)
    if expand:
        for term in legal_terms(text):
            for w in _WORD.findall(strip_diacritics(term).lower()):
                if w not in STOPWORDS and w not in out:
                    out[w] = 0.5
    return out


class FaqMatcher:
    """Scores = max cosine (idf-weighted) between the message and an entry's question variants."""

    def __init__(self, entries: Iterable[FaqEntry]) -> None:
        self.entries = list(entries)
        self._variants: list[tuple[int, dict[str, float]]] = []
        for i, e in enumerate(self.entries):
            for q in e.questions:
                self._variants.append((i, features(q)))
        n = len(self._variants) or 1
        df: dict[str, int] = {}
        for _, f in self._variants:
            for t in f:
                df[t] = df.get(t, 0) + 1
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._default_idf = math.log(1 + n)
        self._vecs = [(i, self._weigh(f)) for i, f in self._variants]
        self._index: dict[str, list[int]] = {}
        for v, (_, vec) in enumerate(self._vecs):
            for t in vec[0]:
                self._index.setdefault(t, []).append(v)

    def _weigh(self, f: dict[str, float]) -> tuple[dict[str, float], float]:
        vec = {t: w * self._idf.get(t, self._default_idf) for t, w in f.items()}
        return vec, math.sqrt(sum(x * x for x in vec.values())) or 1.0

    @property
    def owners(self) -> list[int]:
        """Entry index of each question variant, in variant order."""
        return [i for i, _ in self._vecs]

    def variant_scores(self, query: str) -> dict[int, float]:
        """Variant index -> cosine in [0, 1] (variants sharing no term are left out)."""
        qvec, qnorm = self._weigh(features(query))
        dots: dict[int, float] = {}
        for t, w in qvec.items():
            for v in self._index.get(t, ()):
                dots[v] = dots.get(v, 0.0) + w * self._vecs[v][1][0][t]
        return {v: dot / (qnorm * self._vecs[v][1][1]) for v, dot in dots.items()}

    def scores(self, query: str, skip: frozenset[int] = frozenset()) -> dict[int, float]:
        """Entry index -> best variant cosine in [0, 1]; variants in `skip` are ignored (leave-one-out)."""
        best: dict[int, float] = {}
        for v, s in self.variant_scores(query).items():
            if v in skip:
                continue
            entry = self._vecs[v][0]
            if s > best.get(entry, 0.0):
                best[entry] = s
        return best

    def search(self, query: str, k: int = 3) -> list[FaqMatch]:
        ranked = sorted(self.scores(query).items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [FaqMatch(self.entries[i], min(1.0, s)) for i, s in ranked]
