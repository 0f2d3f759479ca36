"""Confidence of an answer from law text: signals of retrieval, clause match and FAQ agreement, a fitted logistic model."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core import logistic
from bot.core.clauses import Unit, score_units, terms, units
from bot.core.models import Passage
from bot.core.ports import FaqMatch
from bot.core.ranking import rerank

# The signals, in the order the model stores its weights. Scale-free on purpose: with the ranking stage
# a passage's score is a probability, without it a BM25 score; shares and ratios read the same in both.
FEATURES = (
    "rerank",  # the writer's own confidence: best clause coverage and lead of the first article
    "coverage",  # share of the question's content words in the first article's best clause and title
    "top_share",  # retrieval score of the first retrieved article / sum over the top k
    "second_ratio",  # retrieval score of the second / the first (1: a tie, 0: a clear lead)
    "rerank_agrees",  # the article the answer would quote first is also retrieval's first
    "faq_top",  # probability of the closest FAQ entry (it did not answer: below its own threshold)
    "faq_cites_first",  # one of the closest FAQ entries cites the article the answer would quote first
    "faq_cites_cited",  # ... or one of the articles it would cite
    "is_law",  # the first article is a Luật / Bộ luật (citizens' questions mostly are)
    "question_terms",  # log(1 + content words of the question): fragments say little
)


@dataclass(frozen=True)
class Signals:
    """What is known about one would-be answer from law text (before deciding to give it)."""

    values: tuple[float, ...]
    ranked: tuple[Passage, ...]  # passages in the order the answer would cite them
    rerank_confidence: float

    def as_dict(self) -> dict[str, float]:
        return dict(zip(FEATURES, self.values, strict=True))


def signals(question: str, passages: Sequence[Passage], matches: Sequence[FaqMatch], cite_k: int = 3,
            faq_k: int = 3) -> Signals:
    """The confidence signals of answering `question` from `passages` (retrieval order)."""
    ranked, conf = rerank(question, list(passages))
    if not ranked:
        return Signals(tuple(0.0 for _ in FEATURES), (), 0.0)
    first = ranked[0]
    scores = [max(0.0, p.score) for p in passages]
    total = sum(scores) or 1.0
    top = scores[0] or 1.0
    q_uni, _ = terms(question)
    cands = [*units(first.text), Unit(None, None, first.title)]
    score_units(question, cands, (first.clause_no, None) if first.clause_no else None)
    best = max(cands, key=lambda u: u.score)
    coverage = len(terms(best.text + " " + first.title)[0] & q_uni) / (len(q_uni) or 1)
    cited = {p.article_id for p in ranked[:cite_k]}
    close = [m for m in matches[:faq_k]]
    faq_cited = [{c.article_id for c in m.entry.citations} for m in close]
    values = (
        conf,
        coverage,
        scores[0] / total,
        (scores[1] / top) if len(scores) > 1 else 0.0,
        1.0 if passages[0].article_id == first.article_id else 0.0,
        matches[0].score if matches else 0.0,
        1.0 if any(first.article_id in ids for ids in faq_cited) else 0.0,
        1.0 if any(cited & ids for ids in faq_cited) else 0.0,
        1.0 if first.doc_type.casefold() in ("luật", "bộ luật") else 0.0,
        math.log1p(len(q_uni)),
    )
    return Signals(values, tuple(ranked), conf)


@dataclass(frozen=True)
class ConfidenceModel:
    """P(a cited article answers) = sigmoid(bias + sum(w * (x - mean) / scale)), with the thresholds
    chosen with it: at or above `sure` the bot answers; below `floor` it lists no article at all."""

    weights: tuple[float, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    bias: float
    sure: float
    floor: float
    features: tuple[str, ...] = FEATURES

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ConfidenceModel:
        """From the JSON `scripts/calibrate.py` writes; refuses a model fitted on other signals."""
        features = tuple(str(f) for f in data["features"])  # type: ignore[attr-defined]
        if features != FEATURES:
            raise ValueError(f"confidence model was fitted on {features}, this code computes {FEATURES}")

        def floats(key: str) -> tuple[float, ...]:
            return tuple(float(v) for v in data[key])  # type: ignore[attr-defined]

        return cls(floats("weights"), floats("mean"), floats("scale"), float(data["bias"]),  # type: ignore[arg-type]
                   float(data["sure"]), float(data["floor"]), features)  # type: ignore[arg-type]

    def probability(self, s: Signals) -> float:
        return logistic.probability(s.values, self.weights, self.mean, self.scale, self.bias)


@dataclass(frozen=True)
class Decision:
    """Answer sure, list possibly related articles as "not sure", or (below the floor) list none."""

    confidence: float
    sure: bool
    show_articles: bool
    ranked: tuple[Passage, ...]


def decide(s: Signals, model: ConfidenceModel | None, answer_threshold: float, relevance_floor: float) -> Decision:
    """Without a fitted model the writer's own confidence is compared with the thresholds (as before)."""
    conf = model.probability(s) if model is not None else s.rerank_confidence
    return Decision(conf, conf >= answer_threshold, conf >= relevance_floor, s.ranked)
