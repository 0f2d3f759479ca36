"""Fit the FAQ matcher's calibration on the FAQ itself: leave one variant out (a paraphrase) and one entry out (not covered)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.adapters.faq_search import DENSE_FEATURES, LEXICAL_FEATURES, Calibration, YamlFaqSearch
from bot.adapters.logreg import fit_softmax


@dataclass
class LooRow:
    """One candidate of one held-out question: its features and whether it is the right entry."""

    values: dict[str, float]
    right: bool
    scenario: str  # "variant" (the entry is there, one paraphrase removed) | "entry" (the entry is removed)
    query: int  # which held-out question


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


def fit_calibration(rows: list[LooRow], features: tuple[str, ...]) -> Calibration:
    x = np.asarray([[r.values[f] for f in features] for r in rows], dtype=np.float64)
    labels = ["yes" if r.right else "no" for r in rows]
    model = fit_softmax(x, labels, l2=1e-3, iterations=400, balanced=0.0)
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


def train(search_dense: YamlFaqSearch, search_lexical: YamlFaqSearch, out: Path | str, *, seed: int = 0) -> dict[str, Any]:
    """Fit both calibrations, write them to `out` (JSON), return the leave-one-out report."""
    report: dict[str, Any] = {}
    result: dict[str, Any] = {}
    for name, search, features in (("dense", search_dense, DENSE_FEATURES), ("lexical", search_lexical, LEXICAL_FEATURES)):
        rows = loo_rows(search, seed=seed)
        # fit on even-numbered held-out questions, report on odd ones (never scored on what it was fitted on)
        fit_rows = [r for r in rows if r.query % 4 < 2]
        test_rows = [r for r in rows if r.query % 4 >= 2]
        cal = fit_calibration(fit_rows, features)
        report[name] = top1_report(test_rows, cal)
        result[name] = cal.to_json()
    result["report"] = report
    Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return report
