"""Law-text ranking benchmark: BM25 as served before vs the learned ranking stage, on labelled
questions the ranker never saw (Zalo dev mapped to pháp điển over the full index; ALQAC dev over
its own corpus), as written and without diacritics, with search latency.

    flock /tmp/lawbot-heavy.lock .venv/bin/python scripts/bench_ranking.py --index var/index_full

The ALQAC index is built (BM25, ranking stage, seconds) under var/index_alqac when missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retrieval.build import build_index, current_build  # noqa: E402
from retrieval.eval import evaluate, load_questions  # noqa: E402
from retrieval.faq import load_faq  # noqa: E402
from retrieval.index import SearchIndex, load_index  # noqa: E402
from retrieval.rank_build import add_ranking  # noqa: E402


def measure(index: SearchIndex, qs_path: Path, *, ranked: bool) -> dict[str, dict[str, float]]:
    ranker = index.ranker
    if not ranked:
        index.ranker = None
    try:
        qs = load_questions(qs_path)

        def search(text: str, k: int) -> list[tuple[str, ...]]:
            return [(h.article.id, *index.aliases(h.article.id)) for h in index.search(text, k)]

        return {"accented": evaluate(search, qs), "unaccented": evaluate(search, qs, unaccented=True)}
    finally:
        index.ranker = ranker


def alqac_index(data: Path, out: Path, faq_dir: Path) -> Path:
    if not (out / "CURRENT").is_file():
        build_index([data / "alqac" / "corpus_alqac_2022.jsonl", data / "alqac" / "corpus_alqac_2023_2025.jsonl"],
                    out, progress=False)
        add_ranking(current_build(out), load_faq(faq_dir))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, required=True, help="full index with a ranking stage")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--faq-dir", type=Path, default=REPO / "knowledge_base" / "faq")
    ap.add_argument("--alqac-index", type=Path, default=REPO / "var" / "index_alqac")
    ap.add_argument("--dense", action="store_true", help="serve the build's dense (heading) vectors too")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    report: dict[str, dict] = {}
    sets = [("zalo_dev", args.index, args.data / "zalo_ltr_2021" / "questions_dev.jsonl"),
            ("alqac_dev", alqac_index(args.data, args.alqac_index, args.faq_dir), args.data / "alqac" / "questions_dev.jsonl")]
    for name, index_dir, qs in sets:
        index = load_index(index_dir, dense=args.dense)
        if index.ranker is None:
            sys.exit(f"{index_dir}: the build has no ranking stage (scripts/build_ranking.py)")
        for method, ranked in (("bm25", False), ("ranker", True)):
            report[f"{name} {method}"] = measure(index, qs, ranked=ranked)
        index.close()
    print("| set | method | n | R@1 | R@5 | R@10 | MRR@10 | R@1 unacc. | MRR@10 unacc. | p50 ms | p95 ms |")
    print("|---" * 11 + "|")
    for key, r in report.items():
        a, u = r["accented"], r["unaccented"]
        name, method = key.split(" ")
        print(f"| {name} | {method} | {a['n']} | {a['R@1']:.3f} | {a['R@5']:.3f} | {a['R@10']:.3f} | {a['MRR@10']:.3f} | "
              f"{u['R@1']:.3f} | {u['MRR@10']:.3f} | {a['p50_ms']:.1f} | {a['p95_ms']:.1f} |")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
