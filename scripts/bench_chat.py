#!/usr/bin/env python
"""Reply-time benchmark of the assistant (extractive writer, in-memory stores) over citizen_eval-format cases.

    python scripts/bench_chat.py --cases ../shared/data/citizen_eval/cases_dev.jsonl --index var/index_full
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bot.cli.eval_chat import build_assistant, load_cases
from bot.core.models import Channel, IncomingMessage


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=Path, default=Path("../shared/data/citizen_eval/cases_dev.jsonl"))
    ap.add_argument("--index", type=Path, default=Path("var/index"))
    ap.add_argument("--faq-dir", type=Path, default=Path("knowledge_base/faq"))
    ap.add_argument("--rounds", type=int, default=2, help="passes over the cases (the first also warms caches)")
    ap.add_argument("--max-chars", type=int, default=2000)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    t0 = time.perf_counter()
    assistant = build_assistant(args.index, args.faq_dir)
    startup = time.perf_counter() - t0
    texts = [c.get("text") or "" for c in load_cases(args.cases)]
    assistant.handle(IncomingMessage(Channel.CLI, "warm", "warm", "nghỉ phép năm mấy ngày", "w"), args.max_chars)
    times: list[float] = []
    for r in range(args.rounds):
        for i, text in enumerate(texts):
            # a fresh chat per message, as in the evaluation
            msg = IncomingMessage(Channel.CLI, f"b{r}-{i}", f"b{r}-{i}", text, f"{r}-{i}")
            t = time.perf_counter()
            assistant.handle(msg, args.max_chars)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    result = {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "max_ms": round(times[-1], 1),
        "startup_s": round(startup, 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
