#!/usr/bin/env python
"""FAQ matching benchmark: leave-one-variant-out top-1 accuracy of the lexical FAQ matcher.

Each question variant is matched against the whole FAQ with that variant removed from its own
entry: a hit is the entry itself ranked first. It measures how well the other variants of an entry
cover a new phrasing, with no evaluation data involved.

    python scripts/bench_faq.py [--faq-dir knowledge_base/faq] [--verbose]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import bot.core.faq_match as faq_match  # noqa: E402
from bot.adapters.faq_search import load_faq  # noqa: E402

# Features of a variant do not depend on the other entries: compute each once (15 s, not 15 min).
faq_match.features = functools.lru_cache(maxsize=None)(faq_match.features)  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq-dir", type=Path, default=REPO / "knowledge_base" / "faq")
    parser.add_argument("--threshold", type=float, default=0.45, help="LAWBOT_FAQ_THRESHOLD")
    parser.add_argument("--verbose", action="store_true", help="Print every miss.")
    args = parser.parse_args()
    entries = load_faq(args.faq_dir)
    hits = confident = total = 0
    misses = []
    for i, entry in enumerate(entries):
        if len(entry.questions) < 2:
            continue
        for j, question in enumerate(entry.questions):
            rest = [q for k, q in enumerate(entry.questions) if k != j]
            probe = list(entries)
            probe[i] = dataclasses.replace(entry, questions=rest)
            top = faq_match.FaqMatcher(probe).search(question, 1)
            total += 1
            if top and top[0].entry.id == entry.id:
                hits += 1
                confident += top[0].score >= args.threshold
            else:
                misses.append((entry.id, question, top[0].entry.id if top else None))
    print(f"{len(entries)} entries, {total} variants")
    print(f"top-1 {hits / total:.3f}; top-1 and score >= {args.threshold}: {confident / total:.3f}")
    if args.verbose:
        for miss in misses:
            print("MISS", *miss)


if __name__ == "__main__":
    main()
