"""Fit the answer confidence model (bot/core/confidence.py) and its thresholds on our own citizen questions.

Input: `knowledge_base/training/answers_train.jsonl` and `answers_train_2.jsonl` (questions whose answer is
in an article no FAQ entry cites), citizen-style questions we wrote with gold articles (citizen_eval format;
the `*check*` files are held out and refused here). For each question the
script computes, as the assistant does, the retrieved articles, the FAQ matches and the confidence
signals of answering from law text; the label is whether a gold article is among those the answer would
cite. A logistic regression (numpy, L2) turns the signals into a probability; `sure` is the lowest
threshold that keeps confidently wrong answers under the bound (with a margin) while answering as many
as possible right, `floor` the threshold below which fewer than 1 in 10 retrievals holds a right article.
The result is written as data: `knowledge_base/training/confidence.json` (loaded by bot/compose.py).

    LAWBOT_EMBEDDER=none python scripts/calibrate.py --index var/index_full            # compute + fit + write
    LAWBOT_EMBEDDER=none python scripts/calibrate.py --index var/index_full \
        --cases knowledge_base/training/answers_train.jsonl knowledge_base/training/answers_train_2.jsonl
    python scripts/calibrate.py --index var/index_full --rows /tmp/rows.json --refit     # refit cached signals

`--faq-questions` keeps the earlier mode (FAQ questions as queries, own entry left out of the
expansions) for comparison: those questions are too easy to calibrate on (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from bot.adapters.faq_search import load_faq
from bot.cli.eval_chat import build_assistant, confidence_points, confident_wrong, load_cases
from bot.core import confidence, texts
from bot.core.clean import clean_message, legal_terms
from bot.core.models import Channel, IncomingMessage, ReplyKind

MAX_CONFIDENT_WRONG = 0.03  # issue 10: at most 3 % of answer cases answered confidently and wrongly
FIT_MARGIN = 0.005  # chosen against 2.5 % on out-of-fold probabilities: a hidden set drifts
DEFAULT_OUT = Path("knowledge_base/training/confidence.json")
DEFAULT_CASES = (Path("knowledge_base/training/answers_train.jsonl"), Path("knowledge_base/training/answers_train_2.jsonl"))


# ----------------------------------------------------------------------------------------------
# signals of our own questions


def _ids_of(assistant: Any, article_id: str) -> set[str]:
    aliases = getattr(assistant.retriever, "aliases", None)
    return {article_id, *(aliases(article_id) if aliases else ())}


def reply_route(assistant: Any, case: dict[str, Any]) -> str:
    """How the assistant as served answers the case in a fresh chat: "faq" (a vetted answer), "law" (the
    law-text decision: sure, not sure or below the floor) or "other" (triage: escalated, refused, vague)."""
    msg = IncomingMessage(Channel.CLI, f"cal-{case.get('id')}", f"cal-{case.get('id')}", case.get("text") or "", "m")
    reply = assistant.handle(msg, 2000)
    if f"\n{texts.FAQ_SOURCES}\n" in reply.text:
        return "faq_wrong" if confident_wrong(assistant, case, reply) else "faq"
    if reply.kind in (ReplyKind.ANSWER, ReplyKind.CLARIFY) and reply.sources:
        return "law"
    return "other"


def signal_rows(assistant: Any, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each answer case: the confidence signals of a law-text answer, whether it would cite a gold
    article, and what the FAQ would do (pick an entry that answers, and whether that entry is right)."""
    cfg = assistant.config
    rows = []
    for case in cases:
        if case.get("kind") != "answer":
            continue
        cleaned = clean_message(case.get("text") or "", cfg.max_input_chars)
        question = cleaned.text
        scoring = " ".join([question, *legal_terms(question)])
        passages = assistant.retriever.search(cleaned.query, cfg.top_k) if cleaned.query.strip() else []
        matches = assistant.answering.faq_search(question)
        s = confidence.signals(scoring, passages, matches, cfg.cite_k)
        gold = set(case.get("gold_ids") or [])
        right = any(_ids_of(assistant, p.article_id) & gold for p in s.ranked[: cfg.cite_k])
        route = reply_route(assistant, case)
        picked = assistant.answering._pick_faq(matches, passages)
        faq_right = picked is not None and any(_ids_of(assistant, c.article_id) & gold for c in picked.entry.citations)
        rows.append({"id": case.get("id"), "x": list(s.values), "right": bool(right), "route": route,
                     "faq_picked": picked is not None, "faq_right": bool(faq_right),
                     "faq_score": picked.score if picked is not None else 0.0})
    return rows


# ----------------------------------------------------------------------------------------------
# logistic regression and thresholds


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 3000,
                 lr: float = 0.1) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """(weights, bias, mean, scale) by gradient descent on the mean log loss + l2/n * |w|^2."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    w = np.zeros(x.shape[1])
    b = float(np.log((y.mean() + 1e-3) / (1 - y.mean() + 1e-3)))
    n = len(y)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = p - y
        w -= lr * (z.T @ g / n + 2 * l2 / n * w)
        b -= lr * float(g.mean())
    return w, b, mean, scale


def choose(points: list[tuple[float, bool]], n_cases: int, bound: float) -> dict[str, float]:
    """`sure`: the most right answers while wrong sure answers stay <= bound * n_cases;
    `floor`: the highest threshold below which fewer than 1 in 10 are right."""
    grid = [i / 100 for i in range(0, 101)]
    allowed = [t for t in grid if sum(not ok and c >= t for c, ok in points) <= bound * n_cases] or [1.0]
    sure = max(allowed, key=lambda t: (sum(ok and c >= t for c, ok in points), -t))
    floor = 0.0
    for t in grid:
        below = [ok for c, ok in points if c < t]
        if below and sum(below) / len(below) < 0.1:
            floor = t
    return {"sure": sure, "floor": min(floor, sure)}


def report(points: list[tuple[float, bool]], sure: float, floor: float) -> dict[str, float]:
    n = max(1, len(points))
    return {"n": len(points), "right_among_all": round(sum(ok for _, ok in points) / n, 3),
            "sure_share": round(sum(c >= sure for c, _ in points) / n, 3),
            "sure_right_share": round(sum(ok and c >= sure for c, ok in points) / n, 3),
            "confident_wrong_share": round(sum(not ok and c >= sure for c, ok in points) / n, 3),
            "below_floor_share": round(sum(c < floor for c, _ in points) / n, 3)}


def _model(rows: list[dict[str, Any]], l2: float) -> confidence.ConfidenceModel:
    x = np.array([r["x"] for r in rows], dtype=np.float64)
    y = np.array([1.0 if r["right"] else 0.0 for r in rows])
    w, b, mean, scale = fit_logistic(x, y, l2=l2)
    return confidence.ConfidenceModel(tuple(w.tolist()), tuple(mean.tolist()), tuple(scale.tolist()), b, 1.0, 0.0)


def _prob(model: confidence.ConfidenceModel, row: dict[str, Any]) -> float:
    return model.probability(confidence.Signals(tuple(row["x"]), (), 0.0))


def out_of_fold(rows: list[dict[str, Any]], l2: float, folds: int = 5) -> list[float]:
    """Each row's probability from a model fitted without its fold (rows split by id hash)."""
    probs = [0.0] * len(rows)
    fold = [zlib.crc32(str(r["id"]).encode()) % folds for r in rows]
    for f in range(folds):
        model = _model([r for r, g in zip(rows, fold, strict=True) if g != f], l2)
        for i, g in enumerate(fold):
            if g == f:
                probs[i] = _prob(model, rows[i])
    return probs


def fit_rows(rows: list[dict[str, Any]], l2: float, bound: float = MAX_CONFIDENT_WRONG - FIT_MARGIN
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Weights fitted on every row (a FAQ answer today may be a law-text answer after the FAQ changes);
    thresholds chosen on out-of-fold probabilities of the rows the law-text decision answers, so that
    confident wrong answers, FAQ ones included, stay under `bound` of all answer cases."""
    model = _model(rows, l2)
    oof = out_of_fold(rows, l2)
    law = [(p, r["right"]) for p, r in zip(oof, rows, strict=True) if r["route"] == "law"]
    faq_wrong = sum(r["route"] == "faq_wrong" for r in rows)
    budget = max(0.0, bound * len(rows) - faq_wrong) / max(1, len(rows))
    chosen = choose(law, len(rows), budget)
    data = {"features": list(confidence.FEATURES), "weights": [round(v, 6) for v in model.weights],
            "mean": [round(v, 6) for v in model.mean], "scale": [round(v, 6) for v in model.scale],
            "bias": round(model.bias, 6), **chosen}
    old = [(r["x"][0], r["right"]) for r in rows if r["route"] == "law"]
    summary = {"rows": len(rows), "law_text_rows": len(law), "faq_wrong": faq_wrong,
               "out_of_fold": report(law, chosen["sure"], chosen["floor"]),
               "in_sample": report([(_prob(model, r), r["right"]) for r in rows if r["route"] == "law"],
                                   chosen["sure"], chosen["floor"]),
               "old_rule_0.62": report(old, 0.62, 0.3)}
    return data, summary


# ----------------------------------------------------------------------------------------------
# the earlier mode: FAQ questions as queries


def _leave_entry_out(assistant: Any) -> dict[str, str | None]:
    """While an entry is asked, its questions are left out of the ranking stage's FAQ expansions."""
    asked: dict[str, str | None] = {"entry": None}
    ranker = getattr(getattr(assistant.retriever, "index", None), "ranker", None)
    expander = getattr(ranker, "expander", None)
    if expander is not None:
        scores_of = expander.article_scores

        def without_asked(scores: Any, **kw: Any) -> Any:
            kw["exclude_entry"] = asked["entry"]
            return scores_of(scores, **kw)

        expander.article_scores = without_asked
    return asked


def faq_points(assistant: Any, entries: list[Any], variant: int) -> list[tuple[float, bool]]:
    asked = _leave_entry_out(assistant)
    out: list[tuple[float, bool]] = []
    for e in entries:
        if len(e.questions) <= variant or not any(assistant.retriever.get(c.article_id) for c in e.citations):
            continue
        asked["entry"] = e.id
        case = {"kind": "answer", "text": e.questions[variant], "gold_ids": [c.article_id for c in e.citations]}
        out += confidence_points(assistant, [case])
    asked["entry"] = None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--faq-dir", type=Path, default=Path("knowledge_base/faq"))
    ap.add_argument("--cases", type=Path, nargs="+", default=list(DEFAULT_CASES),
                    help="training case files (every *check* file is held out and refused)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--rows", type=Path, help="cache of the computed signals (written, or read with --refit)")
    ap.add_argument("--refit", action="store_true", help="fit from --rows without building the assistant")
    ap.add_argument("--l2", type=float, default=2.0)
    ap.add_argument("--faq-questions", action="store_true", help="the earlier calibration on FAQ questions")
    ap.add_argument("--variant", type=int, default=1)
    args = ap.parse_args()
    if args.faq_questions:
        assistant = build_assistant(args.index, args.faq_dir)
        entries = load_faq(args.faq_dir)
        fit = [e for e in entries if zlib.crc32(e.id.encode()) % 2 == 0]
        pts = faq_points(assistant, fit, args.variant)
        n = len(pts)
        chosen = choose(pts, n, MAX_CONFIDENT_WRONG)
        print(json.dumps({"chosen": chosen, "fit": report(pts, chosen["sure"], chosen["floor"])}))
        return
    if args.refit:
        rows = json.loads(args.rows.read_text(encoding="utf-8"))
    else:
        held_out = [str(p) for p in args.cases if "check" in p.name]
        if held_out:
            raise SystemExit(f"{', '.join(held_out)}: held out, never fit on it")
        assistant = build_assistant(args.index, args.faq_dir)
        rows = signal_rows(assistant, [case for path in args.cases for case in load_cases(path)])
        if args.rows:
            args.rows.write_text(json.dumps(rows), encoding="utf-8")
    data, summary = fit_rows(rows, args.l2)
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"model": {k: data[k] for k in ("sure", "floor")}, **summary}, ensure_ascii=False))


if __name__ == "__main__":
    main()
