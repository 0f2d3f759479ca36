"""Calibrate answer_threshold and relevance_floor on FAQ questions (our own text) against a built law index.

Each FAQ question whose cited article is in the index is a labelled query: the retrieval confidence
(`rerank`) and whether a cited article is among the articles an answer would quote. Half of the
entries (by id hash) choose the thresholds, the other half reports them. No evaluation file is read.

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


def points(assistant: Any, entries: list[Any], variant: int) -> list[tuple[float, bool]]:
    """FAQ questions whose cited article is indexed, as answer cases of `eval chat`'s calibration."""
    cases = [{"kind": "answer", "text": e.questions[variant], "gold_ids": [c.article_id for c in e.citations]}
             for e in entries
             if len(e.questions) > variant and any(assistant.retriever.get(c.article_id) for c in e.citations)]
    return confidence_points(assistant, cases)


def choose(pts: list[tuple[float, bool]]) -> dict[str, float]:
    n_ok = sum(ok for _, ok in pts) or 1
    n_bad = sum(not ok for _, ok in pts) or 1
    grid = [i / 100 for i in range(0, 101)]
    best = max(grid, key=lambda t: (sum(ok and c >= t for c, ok in pts) / n_ok + sum(not ok and c < t for c, ok in pts) / n_bad))
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
            "precision_when_sure": round(sum(sure) / max(1, len(sure)), 3)}


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
