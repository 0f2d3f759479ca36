"""FAQ questions as expansions of the articles they cite: citizens' words -> the law's articles.

Each vetted FAQ question ("bị đuổi việc có được bồi thường không") is written the way citizens
ask and cites the articles that answer it ("Điều 41 Bộ luật Lao động": "đơn phương chấm dứt hợp
đồng lao động trái pháp luật"). A small BM25 index over those questions maps a new question to the
FAQ questions it resembles and so to their cited articles, which then join the law-text
candidates as a feature of the ranker (retrieval/rank.py), even when no FAQ answer fits as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.bm25_index import BM25Index, top_k
from retrieval.register import normalize_doc_number
from retrieval.tokenize import TokenizerConfig

EXPANSIONS_FILE = "faq_expansions.jsonl"
# how many of the most similar FAQ questions lend their citations to a question
TOP_QUESTIONS = 10


@dataclass(frozen=True)
class Expansion:
    """One FAQ question and the BM25 positions of the articles its entry cites."""

    text: str
    entry: str  # FAQ entry id (its questions are paraphrases of each other)
    docs: tuple[int, ...]


def position_resolver(
    ids: Sequence[str],
    doc_numbers: Sequence[str],
    numbers: Sequence[str],
    indexed_rows: np.ndarray,
    aliases: dict[str, list[str]],
) -> Callable[[str | None, str, str], int | None]:
    """(article id, doc number, article number) -> BM25 position of that article, or None.

    `ids`, `doc_numbers`, `numbers`: per store row. An id is looked up first (a copy of an article
    stands for its canonical row), then the (document number, article) pair, so a citation of a
    pháp điển id also reaches the same article in another corpus.
    """
    position_of_row = {int(r): p for p, r in enumerate(indexed_rows.tolist())}
    row_of = {aid: r for r, aid in enumerate(ids)}
    by_id: dict[str, int] = {}
    by_number: dict[tuple[str, str], int] = {}
    for row, pos in position_of_row.items():
        canonical = ids[row]
        for aid in (canonical, *aliases.get(canonical, [])):
            by_id[aid] = pos
            r = row_of.get(aid)
            if r is not None:
                by_number.setdefault((normalize_doc_number(doc_numbers[r]), numbers[r].strip()), pos)

    def resolve(article_id: str | None, doc_number: str, article: str) -> int | None:
        if article_id and article_id in by_id:
            return by_id[article_id]
        return by_number.get((normalize_doc_number(doc_number), str(article).strip()))

    return resolve


def faq_expansions(
    records: Iterable[object], resolve: Callable[[str | None, str, str], int | None]
) -> list[Expansion]:
    """One Expansion per question of every FAQ record whose citations resolve to indexed articles."""
    out: list[Expansion] = []
    for rec in records:
        docs: list[int] = []
        for c in getattr(rec, "citations", []):
            pos = resolve(c.article_id, c.doc_number, c.article)
            if pos is not None and pos not in docs:
                docs.append(pos)
        if not docs:
            continue
        for q in getattr(rec, "questions", []):
            if q.strip():
                out.append(Expansion(" ".join(q.split()), str(getattr(rec, "id", "")), tuple(docs)))
    return out


class FaqExpander:
    """Best similarity of a question to the FAQ questions citing each article."""

    def __init__(self, expansions: Sequence[Expansion], config: TokenizerConfig | None = None) -> None:
        self.expansions = list(expansions)
        self.bm25 = BM25Index.build((((e.text, 1.0),) for e in self.expansions), config or TokenizerConfig())
        entries = sorted({e.entry for e in self.expansions})
        self.entry_index = {e: i for i, e in enumerate(entries)}
        self.entry_of = np.array([self.entry_index[e.entry] for e in self.expansions], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.expansions)

    def question_scores(self, query: str) -> np.ndarray:
        """BM25 score of every FAQ question for `query`."""
        if not self.expansions:
            return np.zeros(0, dtype=np.float32)
        return self.bm25.scores(query)

    def article_scores(
        self, scores: np.ndarray, *, exclude_entry: str | None = None, top: int = TOP_QUESTIONS
    ) -> dict[int, tuple[float, int, float]]:
        """BM25 position -> (best score of a FAQ question citing it, rank of that question (1-based),
        votes), over the `top` best questions; votes add, per FAQ entry citing the article, its best
        question's score relative to the best question's: several entries agreeing on an article
        outweigh one that shares only the question's frame ("... cần giấy tờ gì").
        `exclude_entry` leaves one entry out (used when fitting the ranker on FAQ questions, so an
        entry never lends its articles to its own questions)."""
        if len(scores) == 0:
            return {}
        if exclude_entry is not None and exclude_entry in self.entry_index:
            scores = np.where(self.entry_of == self.entry_index[exclude_entry], 0.0, scores)
        out: dict[int, tuple[float, int, float]] = {}
        seen: set[tuple[int, int]] = set()  # (article, entry) pairs already counted
        best = 0.0
        for rank, (i, s) in enumerate(top_k(scores, top), 1):
            best = best or s
            for d in self.expansions[i].docs:
                first, first_rank, votes = out.get(d, (s, rank, 0.0))
                if (d, int(self.entry_of[i])) not in seen:
                    seen.add((d, int(self.entry_of[i])))
                    votes += s / best
                out[d] = (first, first_rank, votes)
        return out

    def save(self, path: Path | str) -> None:
        with Path(path).open("w", encoding="utf-8") as fh:
            for e in self.expansions:
                fh.write(json.dumps({"text": e.text, "entry": e.entry, "docs": list(e.docs)}, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: Path | str, config: TokenizerConfig | None = None) -> FaqExpander:
        expansions = []
        with Path(path).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    expansions.append(Expansion(rec["text"], rec["entry"], tuple(int(d) for d in rec["docs"])))
        return cls(expansions, config)
