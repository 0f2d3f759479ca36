"""Calibrate answer_threshold and relevance_floor on FAQ questions (our own text) against a built law index.

Each FAQ question whose cited article is in the index is a labelled query: the retrieval confidence
(`rerank`) and whether a cited article is among the articles an answer would quote (its own entry left
out of the ranking stage's FAQ expansions). Half of the entries (by id hash) choose the thresholds: the
most confident right answers with at most 3 % confidently wrong; the other half reports them. No
evaluation file is read.

    LAWBOT_EMBEDDER=none python scripts/calibrate.py --index var/index_full
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path
from typing import Any

from bot.adapters.faq_search import load_faq
from bot.cli.eval_chat import build_assistant, confidence_points


def _leave_entry_out(assistant: Any) -> dict[str, str | None]:
    """The ranking stage expands questions with the FAQ's own questions: asked one of them, it would find
    its own entry. While an entry is asked, its questions are left out (as when the ranker was fitted)."""
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


def points(assistant: Any, entries: list[Any], variant: int) -> list[tuple[float, bool]]:
    """FAQ questions whose cited article is indexed, as answer cases of `eval chat`'s calibration."""
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


MAX_CONFIDENT_WRONG = 0.03  # issue 10: at most 3 % of the questions answered confidently and wrongly


def choose(pts: list[tuple[float, bool]]) -> dict[str, float]:
    grid = [i / 100 for i in range(0, 101)]
    n = max(1, len(pts))
    # the most right answers given with confidence, while confident wrong answers stay under the bound
    allowed = [t for t in grid if sum(not ok and c >= t for c, ok in pts) / n <= MAX_CONFIDENT_WRONG] or [1.0]
    best = max(allowed, key=lambda t: (sum(ok and c >= t for c, ok in pts), -t))
    # the floor: below it, fewer than 1 in 10 retrievals holds a right article
    floor = 0.0
    for t in grid:
        below = [ok for c, ok in pts if c < t]
        if below and sum(below) / len(below) < 0.1:
            floor = t
    return {"answer_threshold": best, "relevance_floor": min(floor, best)}


def report(pts: list[tuple[float, bool]], t: float) -> dict[str, float]:
    sure = [ok for c, ok in pts if c >= t]
    return {"n": len(pts), "right_among_all": round(sum(ok for _, ok in pts) / max(1, len(pts)), 3),
            "answered_share": round(len(sure) / max(1, len(pts)), 3),
            "precision_when_sure": round(sum(sure) / max(1, len(sure)), 3),
            "confident_wrong_share": round(sum(not ok for c, ok in pts if c >= t) / max(1, len(pts)), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--faq-dir", type=Path, default=Path("knowledge_base/faq"))
    ap.add_argument("--variant", type=int, default=1, help="which question variant to ask (0 = the first)")
    args = ap.parse_args()
    assistant = build_assistant(args.index, args.faq_dir)
    entries = load_faq(args.faq_dir)
    fit = [e for e in entries if zlib.crc32(e.id.encode()) % 2 == 0]
    held = [e for e in entries if zlib.crc32(e.id.encode()) % 2 == 1]
    chosen = choose(points(assistant, fit, args.variant))
    print(json.dumps({"chosen": chosen, "held_out": report(points(assistant, held, args.variant), chosen["answer_threshold"])},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
