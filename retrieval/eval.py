"""Retrieval evaluation on the labelled question files: recall@k, MRR@10 and query latency."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.normalize import strip_diacritics

METRIC_KEYS = ("n", "R@1", "R@5", "R@10", "MRR@10", "p50_ms", "p95_ms")


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    gold: tuple[str, ...]


def question_from_record(rec: dict) -> Question | None:
    """A labelled question from any of the dev files, or None when the record is not usable.

    Zalo: only `phapdien_mapping == "full"` (gold `phapdien_gold_ids`); ALQAC and legal entailment:
    `gold_doc_ids`; citizen_eval: `kind == "answer"` cases (gold `gold_ids`).
    """
    if "phapdien_gold_ids" in rec:
        if rec.get("phapdien_mapping") != "full":
            return None
        gold = rec["phapdien_gold_ids"]
    elif "gold_doc_ids" in rec:
        gold = rec["gold_doc_ids"]
    elif "gold_ids" in rec:
        if rec.get("kind", "answer") != "answer":
            return None
        gold = rec["gold_ids"]
    else:
        return None
    text = rec.get("question") or rec.get("statement") or rec.get("text") or ""
    if not gold or not text.strip():
        return None
    qid = str(rec.get("qid") or rec.get("id") or "")
    return Question(qid=qid, text=text, gold=tuple(gold))


def load_questions(path: Path | str) -> list[Question]:
    """Usable labelled questions of a JSONL question file."""
    out = []
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                q = question_from_record(json.loads(line))
                if q is not None:
                    out.append(q)
    return out


def evaluate(
    search: Callable[[str, int], Sequence[str | Collection[str]]],
    questions: Iterable[Question],
    *,
    k: int = 10,
    unaccented: bool = False,
    progress: bool = False,
) -> dict[str, float]:
    """Run every question through `search(text, k) -> ranked hits`; return the metric dict.

    A hit is an article id, or the ids of articles with the same text (one hit stands for all
    copies of a duplicated article).

    R@n counts a question as found when any of its gold ids is in the top n; MRR@10 uses the rank
    of the first gold id found. `unaccented` strips diacritics from questions first.
    """
    from tqdm import tqdm

    qs = list(questions)
    ranks: list[int | None] = []
    latencies: list[float] = []
    for q in tqdm(qs, desc="questions", unit="q", disable=not progress):
        text = strip_diacritics(q.text) if unaccented else q.text
        t0 = time.perf_counter()
        ids = search(text, max(k, 10))
        latencies.append((time.perf_counter() - t0) * 1000)
        gold = set(q.gold)
        ranks.append(next((i + 1 for i, x in enumerate(ids) if not gold.isdisjoint(_ids(x))), None))
    return metrics(ranks, latencies)


def _ids(hit: str | Collection[str]) -> Collection[str]:
    return (hit,) if isinstance(hit, str) else hit


def metrics(ranks: list[int | None], latencies_ms: list[float]) -> dict[str, float]:
    """The metric dict (keys METRIC_KEYS) from first-gold ranks (None: not found) and latencies."""
    n = len(ranks)
    if n == 0:
        return {key: 0.0 for key in METRIC_KEYS}

    def recall(at: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= at) / n

    lat = np.array(latencies_ms or [0.0])
    return {
        "n": n,
        "R@1": round(recall(1), 4),
        "R@5": round(recall(5), 4),
        "R@10": round(recall(10), 4),
        "MRR@10": round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
    }
