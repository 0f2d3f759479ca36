"""Which FAQ candidate answers a question, and whether to be sure: a fitted logistic model over match, answer and law signals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core import logistic
from bot.core.models import Passage
from bot.core.ports import FaqMatch

# Per candidate (one of the FAQ search's top matches), in the order the model stores its weights:
# the matcher's probability and its lead over the other candidates; how well the entry's answer,
# sentence by sentence, reads as an answer to the question (e5 query -> passage) and its lead; how high
# law retrieval ranks the articles the entry cites; and a few of the matcher's own features. The
# matcher's probability alone ranks a same-topic neighbour (right article, another question) as high as
# the entry that answers; what its answer says and where retrieval puts its articles tell them apart.
FEATURES = (
    "score",  # the matcher's probability (FaqMatch.score)
    "score_margin",  # score minus the best other candidate's (negative below the first)
    "first",  # the matcher's first candidate
    "answer_max",  # best cosine between the question and one sentence of the entry's answer
    "answer_mean",  # mean over the answer's sentences
    "answer_first",  # ... its first sentence (the one that answers, in a well written entry)
    "answer_margin",  # answer_max minus the best other candidate's
    "law_rank",  # 1 / (1 + best rank of a cited article among the retrieved ones), 0 when none is retrieved
    "law_first",  # one of its cited articles is retrieval's first
    "dense",  # best question-variant similarity by meaning
    "lexical",  # best question-variant similarity by words
    "cover_all",  # share of the question's content words in the entry's questions and answer
    "asked_missing",  # kinds of value asked (duration, amount, ...) its answer does not state
    "short",  # 1 / (1 + content words of the question)
)
# read from what the FAQ search computed (FaqMatch.features); the others are derived here
_FROM_SEARCH = {"answer_max": "answer_max", "answer_mean": "answer_mean", "answer_first": "answer_first",
                "answer_margin": "answer_max", "dense": "dense", "lexical": "lexical", "cover_all": "cover_all",
                "asked_missing": "asked_missing", "short": "short"}


def candidate_features(matches: Sequence[FaqMatch], passages: Sequence[Passage], law_k: int = 10) -> list[dict[str, float]]:
    """Every feature of each candidate, in the order of `matches` (one the search did not compute reads 0)."""
    rank: dict[str, int] = {}
    for r, p in enumerate(passages[:law_k]):
        rank.setdefault(p.article_id, r)
    out = []
    for i, m in enumerate(matches):
        others = [o for j, o in enumerate(matches) if j != i]
        best_other = max((o.score for o in others), default=0.0)
        answer_other = max((o.features.get("answer_max", 0.0) for o in others), default=0.0)
        ranks = [rank[c.article_id] for c in m.entry.citations if c.article_id in rank]
        f = dict.fromkeys(_FROM_SEARCH, 0.0) | dict(m.features)
        out.append({
            "score": m.score,
            "score_margin": m.score - best_other,
            "first": 1.0 if i == 0 else 0.0,
            "answer_max": f["answer_max"],
            "answer_mean": f["answer_mean"],
            "answer_first": f["answer_first"],
            "answer_margin": f["answer_max"] - answer_other if others else 0.0,
            "law_rank": 1.0 / (1.0 + min(ranks)) if ranks else 0.0,
            "law_first": 1.0 if ranks and min(ranks) == 0 else 0.0,
            "dense": f["dense"],
            "lexical": f["lexical"],
            "cover_all": f["cover_all"],
            "asked_missing": f["asked_missing"],
            "short": f["short"],
        })
    return out


@dataclass(frozen=True)
class FaqPicker:
    """P(this candidate answers the question) = sigmoid(bias + sum(w * (x - mean) / scale)) over its
    `features` (a subset of FEATURES, chosen by cross-validation); the likeliest candidate answers when
    P >= `sure` (chosen out of sample, see bot/adapters/faq_pick_train.py)."""

    weights: tuple[float, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    bias: float
    sure: float
    features: tuple[str, ...] = FEATURES

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FaqPicker:
        """From the JSON `lawbot train faq` writes; refuses a model fitted on features this code does not compute."""
        features = tuple(str(f) for f in data["features"])  # type: ignore[attr-defined]
        unknown = [f for f in features if f not in FEATURES]
        if unknown:
            raise ValueError(f"FAQ picker was fitted on {unknown}, which this code does not compute")

        def floats(key: str) -> tuple[float, ...]:
            return tuple(float(v) for v in data[key])  # type: ignore[attr-defined]

        return cls(floats("weights"), floats("mean"), floats("scale"), float(data["bias"]),  # type: ignore[arg-type]
                   float(data["sure"]), features)  # type: ignore[arg-type]

    @property
    def reads_answers(self) -> bool:
        """Whether the model reads the answer-sentence features (the search must then embed the answers)."""
        return any(f.startswith("answer_") for f in self.features)

    def applicable(self, matches: Sequence[FaqMatch]) -> bool:
        """Whether the search computed what the model reads: it was fitted on matching by meaning, so a
        search matching by words only (the first start, while the FAQ is embedded) leaves the choice to
        the matcher-score thresholds."""
        needed = {"dense", *(_FROM_SEARCH[f] for f in self.features if f in _FROM_SEARCH)}
        return bool(matches) and all(needed <= m.features.keys() for m in matches)

    def probability(self, values: Mapping[str, float]) -> float:
        return logistic.probability((values[f] for f in self.features), self.weights, self.mean, self.scale,
                                    self.bias)

    def best(self, matches: Sequence[FaqMatch], passages: Sequence[Passage],
             law_k: int = 10) -> tuple[FaqMatch, float] | None:
        """The likeliest candidate and its probability (None without candidates)."""
        if not matches:
            return None
        probs = [self.probability(v) for v in candidate_features(matches, passages, law_k)]
        i = max(range(len(matches)), key=lambda j: (probs[j], -j))
        return matches[i], probs[i]

    def pick(self, matches: Sequence[FaqMatch], passages: Sequence[Passage],
             law_k: int = 10) -> tuple[FaqMatch, float] | None:
        """The candidate to answer with, sure, and its probability; None when none is likely enough."""
        best = self.best(matches, passages, law_k)
        return best if best is not None and best[1] >= self.sure else None
