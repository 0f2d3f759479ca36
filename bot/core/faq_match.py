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


# The features of the last FAQ built in this process, by question variant: the FAQ is built again on every
# reload and index switch (and for every assistant a test builds) while its 20,000 variants rarely change,
# and computing them is most of the build. Only the latest build's variants are kept, so it never outgrows
# the FAQ; each build swaps in a new dict, so builds in two threads at once stay correct.
_LAST_BUILD: dict[str, dict[str, float]] = {}


def variant_features(questions: list[str]) -> list[dict[str, float]]:
    """`features` of each question variant (the dicts are shared between builds: never mutate them)."""
    global _LAST_BUILD
    done = _LAST_BUILD
    out = [done[q] if q in done else features(q) for q in questions]
    _LAST_BUILD = dict(zip(questions, out, strict=True))
    return out


def content_of(feats: dict[str, float]) -> frozenset[str]:
    """`content_words` of a question from its `features` (its content syllables weigh 1.0, legal-term
    syllables added by the expansion 0.5, bigrams carry "_")."""
    return frozenset(t for t, w in feats.items() if w == 1.0 and "_" not in t)


def content_words(text: str, *, whole: bool = False) -> frozenset[str]:
    """Folded content syllables of a question (or, `whole`, of any text such as an answer): what coverage counts."""
    if whole:
        words = _WORD.findall(_LEAD_ZERO.sub(r"\1", strip_diacritics(text).lower()))
        return frozenset(w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit()))
    return frozenset(t for t in features(text, expand=False) if "_" not in t)


# What a question asks for, and the form of it an answer that gives it must contain (folded text).
# A question about "how long" answered by an entry that states no duration is the classic near miss
# (same topic, another question); so is "what percent" answered without a percentage.
_ASKS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "duration": (
        re.compile(r"\b(bao lau|may (ngay|thang|nam|tuan|gio|tieng)|bao nhieu (ngay|thang|tuan|gio|tieng)|"
                   r"thoi han|thoi hieu|han chot|trong vong bao|mat bao lau|het han khi nao)\b"),
        re.compile(r"\b(\d+|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi|muoi lam)\s*(\(\d+\)\s*)?"
                   r"(ngay|thang|nam|tuan|gio|lan)\b|\bngay lam viec\b|\bthoi hieu\b|\bthoi han\b"),
    ),
    "percent": (
        re.compile(r"%|\bphan tram\b|\bty le\b|\bbao nhieu phan\b"),
        re.compile(r"%|\bphan tram\b|\b(mot|hai|ba) phan\b"),
    ),
    "money": (
        re.compile(r"\b(bao nhieu tien|may (trieu|chuc trieu|tram|nghin|ngan)|bao nhieu trieu|muc phat|"
                   r"phat bao nhieu|phat (may|nhieu)|le phi|bao nhieu phi|mat bao nhieu|ton bao nhieu|muc huong|"
                   r"duoc bao nhieu tien|tien bao nhieu)\b"),
        re.compile(r"\b(dong|trieu|nghin|luong co so|muc luong|tien luong|mien phi|khong mat phi|le phi)\b|\d\.\d{3}"),
    ),
    "age": (
        re.compile(r"\b(bao nhieu tuoi|may tuoi|du tuoi|do tuoi|tuoi nao)\b"),
        re.compile(r"\btuoi\b"),
    ),
}


def asked(text: str) -> frozenset[str]:
    """Which kinds of value the question asks for (duration, percent, money, age), from its folded words."""
    folded = " ".join(_WORD.findall(strip_diacritics(extract_question(expand_teencode(text))).lower()))
    folded += " %" if "%" in text else ""
    return frozenset(k for k, (ask, _) in _ASKS.items() if ask.search(folded))


def gives(answer: str) -> frozenset[str]:
    """Which kinds of value an answer states."""
    folded = strip_diacritics(answer).lower()
    return frozenset(k for k, (_, give) in _ASKS.items() if give.search(folded))


class FaqMatcher:
    """Scores = max cosine (idf-weighted) between the message and an entry's question variants."""

    def __init__(self, entries: Iterable[FaqEntry]) -> None:
        self.entries = list(entries)
        owners = [i for i, e in enumerate(self.entries) for _ in e.questions]
        questions = [q for e in self.entries for q in e.questions]
        self._variants: list[tuple[int, dict[str, float]]] = list(zip(owners, variant_features(questions),
                                                                      strict=True))
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

    def idf(self, term: str) -> float:
        """A term's idf over the question variants (an unknown term: the largest)."""
        return self._idf.get(term, self._default_idf)

    def variant_words(self) -> list[frozenset[str]]:
        """`content_words` of each question variant, in variant order."""
        return [content_of(f) for _, f in self._variants]

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
