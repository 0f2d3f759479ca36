"""Content gaps: the questions the bot could not answer confidently, grouped by meaning and ranked by citizens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.storage.db import Database
from bot.storage.gaps import DEFAULT_SCAN, UnsureQuestion, unsure_questions
from bot.storage.stats import question_key
from retrieval.cluster import (
    DENSE_WEIGHT,
    THRESHOLD,
    background_mean,
    closest_to_centroid,
    greedy_clusters,
)
from retrieval.normalize import has_diacritics

Embed = Callable[[list[str]], np.ndarray]
MIN_WORDS = 2  # "?" or one word ("alo") is not a question anyone can write an answer for
CSV_HEADER = [
    "hang", "so_nguoi_hoi", "so_lan_hoi", "cau_hoi_dai_dien", "vi_du", "lan_cuoi",
    "faq_gan_nhat", "cau_hoi_faq", "diem_faq",
]


@dataclass(frozen=True)
class FaqHint:
    """The closest existing FAQ entry to a gap (maybe it only needs another question variant)."""

    entry_id: str
    question: str
    score: float


@dataclass(frozen=True)
class GapCluster:
    representative: str  # the question nearest the cluster's centre
    citizens: int  # distinct citizens who asked something in the cluster
    asked: int  # times asked
    examples: list[str]  # other wordings, most asked first
    last_asked: dt.datetime
    closest_faq: FaqHint | None = None


@dataclass
class _Text:
    text: str
    last: dt.datetime
    citizens: set[int] = field(default_factory=set)
    asked: int = 0


def _distinct(questions: Sequence[UnsureQuestion]) -> list[_Text]:
    """One item per wording (case, spacing, punctuation ignored), most citizens first."""
    by_key: dict[str, _Text] = {}
    for q in questions:
        key = question_key(q.text)
        if len(key.split()) < MIN_WORDS:
            continue
        item = by_key.setdefault(key, _Text(" ".join(q.text.split()), q.asked_at))
        item.citizens.add(q.citizen_id)
        item.asked += 1
        if q.asked_at >= item.last:
            item.last, item.text = q.asked_at, " ".join(q.text.split())  # the newest wording
    # ties: a wording with diacritics reads better as a cluster's face, then the newest
    return sorted(
        by_key.values(),
        key=lambda t: (-len(t.citizens), -t.asked, not has_diacritics(t.text), -t.last.timestamp()),
    )


def _faq_hint(faq_search: Any, text: str) -> FaqHint | None:
    if faq_search is None:
        return None
    matches = faq_search.search(text, 1)
    if not matches:
        return None
    entry = matches[0].entry
    return FaqHint(entry.id, entry.questions[0] if entry.questions else "", float(matches[0].score))


def cluster_gaps(
    questions: Sequence[UnsureQuestion],
    embed: Embed,
    faq_search: Any | None = None,
    *,
    limit: int = 20,
    examples: int = 3,
    threshold: float = THRESHOLD,
    dense_weight: float = DENSE_WEIGHT,
) -> list[GapCluster]:
    """The `limit` largest clusters of `questions` by distinct citizens, each with its representative,
    up to `examples` other wordings, and the closest FAQ entry (`faq_search.search(text, 1)`)."""
    items = _distinct(questions)
    if not items:
        return []
    texts = [t.text for t in items]
    groups = greedy_clusters(
        texts,
        embed,
        weights=[len(t.citizens) for t in items],
        threshold=threshold,
        dense_weight=dense_weight,
        background=background_mean(getattr(embed, "id", None)),
    )
    clusters = []
    for members in groups:
        citizens: set[int] = set().union(*(items[i].citizens for i in members))
        last = max(items[i].last for i in members)
        clusters.append((len(citizens), sum(items[i].asked for i in members), last, members))
    clusters.sort(key=lambda c: (-c[0], -c[1], -c[2].timestamp()))
    out = []
    for n_citizens, asked, last, members in clusters[:limit]:
        rep = closest_to_centroid(members, texts, embed)
        others = [texts[i] for i in members if i != rep][:examples]
        out.append(
            GapCluster(
                representative=texts[rep],
                citizens=n_citizens,
                asked=asked,
                examples=others,
                last_asked=last,
                closest_faq=_faq_hint(faq_search, texts[rep]),
            )
        )
    return out


def find_gaps(
    db: Database,
    since: dt.datetime,
    embed: Embed,
    faq_search: Any | None = None,
    *,
    until: dt.datetime | None = None,
    limit: int = 20,
    examples: int = 3,
    scan: int = DEFAULT_SCAN,
) -> list[GapCluster]:
    """The newest `scan` unsure questions asked in [since, until), clustered and ranked (see cluster_gaps)."""
    questions = unsure_questions(db, since, until, scan=scan)
    return cluster_gaps(questions, embed, faq_search, limit=limit, examples=examples)


def gaps_csv(clusters: Sequence[GapCluster], fmt_time: Callable[[dt.datetime], str] | None = None) -> str:
    """The clusters as a spreadsheet (UTF-8 with BOM; personal numbers masked; no formula injection)."""
    from bot.kb.csv_export import citizen_text, to_csv

    show = fmt_time or (lambda t: t.isoformat(timespec="minutes"))
    return to_csv(
        CSV_HEADER,
        (
            [
                rank,
                c.citizens,
                c.asked,
                citizen_text(c.representative),
                " | ".join(citizen_text(e) for e in c.examples),
                show(c.last_asked),
                c.closest_faq.entry_id if c.closest_faq else "",
                c.closest_faq.question if c.closest_faq else "",
                f"{c.closest_faq.score:.2f}" if c.closest_faq else "",
            ]
            for rank, c in enumerate(clusters, start=1)
        ),
    )


class MemoEmbed:
    """An Embed that remembers the vectors of texts it has seen (the desk re-clusters the same questions)."""

    def __init__(self, embedder: Any, memory: int = 20_000) -> None:
        self.embedder = embedder
        self.id: str | None = getattr(embedder, "id", None)  # picks the shipped background vector
        self.memory = memory
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            if len(self._vectors) + len(missing) > self.memory:
                self._vectors.clear()
                missing = list(dict.fromkeys(texts))
            for t, v in zip(missing, np.asarray(self.embedder.embed_queries(missing), dtype=np.float32), strict=True):
                self._vectors[t] = v
        if not texts:
            return np.zeros((0, int(getattr(self.embedder, "dim", 0))), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


def gap_embedder(name: str) -> MemoEmbed:
    """The embedder that groups unsure questions by meaning, remembering vectors (loads a model)."""
    from retrieval.embed import make_embedder

    return MemoEmbed(make_embedder(name))


def faq_search(folder: Any) -> Any:
    """The FAQ search that names the closest existing entry of each gap."""
    from bot.adapters.faq_search import YamlFaqSearch

    return YamlFaqSearch(folder)
