"""Fit the FAQ matcher's calibration: the FAQ itself (leave one variant / one entry out) and citizen questions we wrote."""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.adapters.faq_search import DENSE_FEATURES, LEXICAL_FEATURES, Calibration, YamlFaqSearch
from bot.adapters.logreg import fit_softmax
from bot.core.ports import FaqEntry


@dataclass
class LooRow:
    """One candidate of one held-out question: its features and whether it is the right entry."""

    values: dict[str, float]
    right: bool
    # "variant" (the entry is there, one paraphrase removed) | "entry" (the entry is removed) |
    # "citizen" (a question we wrote as citizens do, with the entries that answer it, maybe none)
    scenario: str
    query: int  # which held-out question


@dataclass(frozen=True)
class Question:
    """A citizen question and the ids of the FAQ entries that answer it (empty: none does)."""

    text: str
    right: frozenset[str]
    # entries neither right nor wrong (they cite a gold article but lack the wording): not fitted on
    unsure: frozenset[str] = frozenset()


def load_pairs(path: Path | str) -> list[Question]:
    """faq_pairs_train.jsonl: {"text", "faq_id" (null: no entry answers), "near": [entries that do not]}."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            ids = raw.get("faq_id")
            right = [ids] if isinstance(ids, str) else list(ids or [])
            out.append(Question(str(raw["text"]), frozenset(right)))
    return out


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().replace(" 0", " ").split())


def answer_questions(path: Path | str, entries: list[FaqEntry], ids_of: Callable[[str], Iterable[str]]) -> list[Question]:
    """answers_train.jsonl cases (gold articles and wording) as FAQ questions: an entry answers a case
    when it cites one of the gold articles (or an identical copy, `ids_of`) and its answer holds the wording;
    one citing a gold article without the wording is left out (a partial answer is no near miss to learn)."""
    cited = [set().union(*[{c.article_id, *ids_of(c.article_id)} for c in e.citations]) for e in entries]
    answers = [" " + _fold(e.answer) for e in entries]
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        if case.get("kind") != "answer":
            continue
        gold = set(case.get("gold_ids") or [])
        wording = [" " + _fold(w) for w in case.get("must_contain_any") or []]
        citing = {e.id: ans for e, ids, ans in zip(entries, cited, answers, strict=True) if gold & ids}
        right = {i for i, ans in citing.items() if not wording or any(w.strip() in ans for w in wording)}
        out.append(Question(str(case["text"]), frozenset(right), frozenset(citing) - right))
    return out


def question_rows(search: YamlFaqSearch, questions: list[Question], first: int = 0) -> list[LooRow]:
    """Candidates for citizen questions, numbered from `first`."""
    rows = []
    for n, q in enumerate(questions, start=first):
        for c in search.candidates(q.text):
            entry_id = search.entries[c.entry].id
            if entry_id not in q.unsure:
                rows.append(LooRow(c.values, entry_id in q.right, "citizen", n))
    return rows


def loo_rows(search: YamlFaqSearch, *, per_entry: int = 1, seed: int = 0) -> list[LooRow]:
    """Candidates for held-out variants: with the rest of their entry (positives) and without it (negatives)."""
    rng = random.Random(seed)
    rows: list[LooRow] = []
    owners = search.matcher.owners
    by_entry: dict[int, list[int]] = {}
    for v, e in enumerate(owners):
        by_entry.setdefault(e, []).append(v)
    texts = [q for e in search.entries for q in e.questions]
    query = 0
    for entry, variants in by_entry.items():
        if len(variants) < 2:
            continue
        for v in rng.sample(variants, min(per_entry, len(variants))):
            qvec = search.variant_vector(v)
            for scenario, kwargs in (("variant", {"skip_variants": frozenset({v})}), ("entry", {"skip_entry": entry})):
                for c in search.candidates(texts[v], qvec, **kwargs):  # type: ignore[arg-type]
                    rows.append(LooRow(c.values, c.entry == entry, scenario, query))
                query += 1
    return rows


def fit_calibration(rows: list[LooRow], features: tuple[str, ...], citizen_weight: float = 1.0) -> Calibration:
    """Logistic fit of "right entry" on the features; rows of citizen questions weigh `citizen_weight`."""
    x = np.asarray([[r.values[f] for f in features] for r in rows], dtype=np.float64)
    labels = ["yes" if r.right else "no" for r in rows]
    weight = np.asarray([citizen_weight if r.scenario == "citizen" else 1.0 for r in rows])
    model = fit_softmax(x, labels, l2=1e-3, iterations=600, balanced=0.0, sample_weight=weight)
    # two classes: P(yes) = sigmoid(z_yes - z_no)
    yes, no = model.classes.index("yes"), model.classes.index("no")
    w = model.weights[:, yes] - model.weights[:, no]
    b = float(model.bias[yes] - model.bias[no])
    return Calibration(features, tuple(float(v) for v in w), b, tuple(float(v) for v in model.mean),
                       tuple(float(v) for v in model.scale))


def top1_report(rows: list[LooRow], cal: Calibration, thresholds: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)) -> dict[str, Any]:
    """Leave-one-variant-out top-1 and, per threshold, how often a held-out question gets a right or a wrong answer."""
    best: dict[tuple[str, int], tuple[float, bool]] = {}
    for r in rows:
        p = cal.prob(r.values)
        key = (r.scenario, r.query)
        if key not in best or p > best[key][0]:
            best[key] = (p, r.right)
    variant = [v for (s, _), v in best.items() if s == "variant"]
    entry = [v for (s, _), v in best.items() if s == "entry"]
    out: dict[str, Any] = {"questions": len(variant), "loo_variant_top1": round(sum(ok for _, ok in variant) / max(1, len(variant)), 3)}
    for t in thresholds:
        answered_right = sum(1 for p, ok in variant if ok and p >= t) / max(1, len(variant))
        answered_wrong = sum(1 for p, ok in variant if not ok and p >= t) / max(1, len(variant))
        uncovered_answered = sum(1 for p, _ in entry if p >= t) / max(1, len(entry))
        out[f"t{t}"] = {"covered_right": round(answered_right, 3), "covered_wrong": round(answered_wrong, 3),
                        "uncovered_answered": round(uncovered_answered, 3)}
    return out


class Scorer(Protocol):
    def prob(self, values: dict[str, float]) -> float: ...


def citizen_report(rows: list[LooRow], cal: Scorer, covered: set[int],
                   thresholds: tuple[float, ...] = (0.3, 0.5, 0.7)) -> dict[str, Any]:
    """Citizen questions: top-1 among those an entry answers, and per threshold the share answered right,
    answered wrong (a wrong entry above it, also for questions no entry answers)."""
    best: dict[int, tuple[float, bool]] = {}
    for r in rows:
        p = cal.prob(r.values)
        if r.query not in best or p > best[r.query][0]:
            best[r.query] = (p, r.right)
    n = max(1, len(best))
    out: dict[str, Any] = {"questions": len(best), "covered": len(covered & set(best)),
                           "top1": round(sum(ok for q, (_, ok) in best.items() if q in covered)
                                         / max(1, len(covered & set(best))), 3)}
    for t in thresholds:
        out[f"t{t}"] = {"right": round(sum(1 for p, ok in best.values() if ok and p >= t) / n, 3),
                        "wrong": round(sum(1 for p, ok in best.values() if not ok and p >= t) / n, 3)}
    return out


def _cv_rows(fit: list[LooRow], citizen: list[LooRow], features: tuple[str, ...], weight: float,
             folds: int = 5) -> dict[int, float]:
    """Each citizen question scored by a calibration fitted without its fold: id(values) -> probability."""
    out: dict[int, float] = {}
    for f in range(folds):
        cal = fit_calibration(fit + [r for r in citizen if r.query % folds != f], features, weight)
        out.update({id(r.values): cal.prob(r.values) for r in citizen if r.query % folds == f})
    return out


@dataclass(frozen=True)
class _Scored:
    """A calibration stand-in that returns the cross-validated probability of a row."""

    probs: dict[int, float]

    def prob(self, values: dict[str, float]) -> float:
        return self.probs[id(values)]


def train(search_dense: YamlFaqSearch, search_lexical: YamlFaqSearch, out: Path | str, *, seed: int = 0,
          questions: list[Question] | None = None, citizen_weight: float = 2.0) -> dict[str, Any]:
    """Fit both calibrations, write them to `out` (JSON), return the held-out report.

    Rows: held-out FAQ variants (leave-one-out) and, when given, citizen `questions` with the entries that
    answer them, including same-topic questions an entry does not answer (the near misses leave-one-out
    never shows). LOO figures are on held-out variants never fitted on; citizen figures by 5-fold."""
    report: dict[str, Any] = {}
    result: dict[str, Any] = {}
    questions = questions or []
    covered = {i for i, q in enumerate(questions) if q.right}
    for name, search, features in (("dense", search_dense, DENSE_FEATURES), ("lexical", search_lexical, LEXICAL_FEATURES)):
        rows = loo_rows(search, seed=seed)
        # fit on even-numbered held-out questions, report on odd ones (never scored on what it was fitted on)
        fit_rows = [r for r in rows if r.query % 4 < 2]
        test_rows = [r for r in rows if r.query % 4 >= 2]
        citizen = question_rows(search, questions)
        cal = fit_calibration(fit_rows + citizen, features, citizen_weight)
        report[name] = top1_report(test_rows, cal)
        if citizen:
            scored = _Scored(_cv_rows(fit_rows, citizen, features, citizen_weight))
            report[name]["citizen_cv"] = citizen_report(citizen, scored, covered)
        result[name] = cal.to_json()
    result["report"] = report
    Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return report
