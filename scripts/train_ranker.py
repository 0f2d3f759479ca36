"""Fit the law-text ranker (retrieval/ranker.json) on our own FAQ questions, never on evaluation files.

Each FAQ question is a training question whose targets are the articles its entry cites; the
FAQ-expansion features are computed with that entry left out, so the model learns how much a
*neighbouring* FAQ question is worth, as for a citizen's question the FAQ does not hold. Entries
are split in folds: the report gives the ranking quality on entries the fit never saw.

    flock /tmp/lawbot-heavy.lock .venv/bin/python scripts/train_ranker.py --index var/index_full
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retrieval.build import current_build  # noqa: E402
from retrieval.eval import metrics  # noqa: E402
from retrieval.faq import load_faq  # noqa: E402
from retrieval.index import load_index  # noqa: E402
from retrieval.rank import DENSE, LEXICAL, MODEL_FILE, DocMeta, Ranker, fit_listwise  # noqa: E402
from retrieval.rank_build import build_expander, indexed_articles  # noqa: E402


def first_gold(order: np.ndarray, gold: np.ndarray) -> int | None:
    hit = np.flatnonzero(gold[order])
    return int(hit[0]) + 1 if len(hit) else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--faq-dir", type=Path, default=REPO / "knowledge_base" / "faq")
    ap.add_argument("--questions", type=int, default=3000, help="FAQ questions sampled for fitting")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dense", action="store_true", help="also fit the model with heading similarity")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--features-cache", type=Path, help="npz of extracted features (reused if present)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    index = load_index(args.index, dense=args.dense)
    build = current_build(args.index)
    expander = build_expander(build, load_faq(args.faq_dir))
    meta = DocMeta.from_articles(indexed_articles(build), index.bm25)
    ranker = Ranker(index.bm25, meta, expander)
    targets: dict[str, set[int]] = {}
    for e in expander.expansions:
        targets.setdefault(e.entry, set()).update(e.docs)
    sample = list(range(len(expander.expansions)))
    random.Random(args.seed).shuffle(sample)
    sample = sample[: args.questions]
    print(f"setup {time.perf_counter() - t0:.1f} s; {len(expander)} FAQ questions, {len(sample)} sampled")

    groups: list[tuple[np.ndarray, np.ndarray]] = []
    entries: list[str] = []
    embedder = index.embedder if args.dense else None
    t0 = time.perf_counter()
    for n, i in enumerate(sample):
        e = expander.expansions[i]
        sparse = index.bm25.scores(e.text)
        dense_top = dense_of = None
        if embedder is not None and index.dense is not None:
            qvec = embedder.embed_queries([e.text])[0]
            scores, ids = index.dense.search(qvec, 20)
            dense_top = (scores[0], ids[0])
            dense_of = partial(index.dense.scores_for, qvec)

        cands = ranker.candidates(e.text, sparse, dense_top=dense_top, dense_of=dense_of, exclude_entry=e.entry)
        gold = np.isin(cands.docs, np.fromiter(targets[e.entry], dtype=np.int64))
        groups.append((cands.x, gold))
        entries.append(e.entry)
        if n % 500 == 0:
            print(f"{n} questions, {time.perf_counter() - t0:.0f} s", flush=True)
    features = LEXICAL + DENSE if args.dense else LEXICAL
    print(f"features of {len(groups)} questions in {time.perf_counter() - t0:.0f} s")
    print(f"gold among candidates: {sum(bool(g.any()) for _, g in groups) / len(groups):.3f}")

    # Cross-validation by entry: a question's paraphrases never sit on both sides.
    uniq = sorted(set(entries))
    random.Random(args.seed).shuffle(uniq)
    fold_of = {e: i % args.folds for i, e in enumerate(uniq)}
    base_ranks: list[int | None] = []
    model_ranks: list[int | None] = []
    for f in range(args.folds):
        train = [g for g, e in zip(groups, entries, strict=True) if fold_of[e] != f]
        model = fit_listwise(train, features)
        for (x, gold), e in zip(groups, entries, strict=True):
            if fold_of[e] != f:
                continue
            base_ranks.append(first_gold(np.argsort(-x[:, 0], kind="stable"), gold))
            model_ranks.append(first_gold(np.argsort(-model.score(x), kind="stable"), gold))
    cv = {"bm25": metrics(base_ranks, []), "ranker": metrics(model_ranks, [])}
    for name, m in cv.items():
        print(f"cross-validated on held-out FAQ entries, {name}: "
              + ", ".join(f"{k} {m[k]}" for k in ("n", "R@1", "R@5", "R@10", "MRR@10")))

    model = fit_listwise(groups, features)
    model.info.update({
        "trained_on": f"{len(groups)} FAQ questions of knowledge_base/faq (entry left out of the FAQ features)",
        "cv_mrr10_bm25": cv["bm25"]["MRR@10"],
        "cv_mrr10_ranker": cv["ranker"]["MRR@10"],
    })
    name = "dense" if args.dense else "lexical"
    models = json.loads(args.out.read_text("utf-8")) if args.out.is_file() else {}
    models[name] = model.to_dict()
    args.out.write_text(json.dumps(models, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for f_name, w in zip(features, model.weights, strict=True):
        print(f"  {f_name:16s} {w:+.3f}")
    print(f"wrote {name} model to {args.out}")


if __name__ == "__main__":
    main()
