"""Fit the law-text ranker (retrieval/ranker.json) on our own FAQ questions, never on evaluation files.

Two kinds of training questions, both ours:
- each FAQ question, whose targets are the articles its entry cites; the FAQ-expansion features
  are computed with that entry left out, so the model learns how much a *neighbouring* FAQ
  question is worth, as for a citizen's question the FAQ does not hold;
- questions derived from the law itself: a window of words from a random khoản of a random
  article, a third of its words dropped, whose target is that article. The FAQ cites a few hundred
  articles; these teach the model that an article the FAQ never cites can be the answer, so that
  FAQ-cited articles do not crowd out the right one for questions outside the FAQ's topics.
Questions are split in folds (FAQ questions by entry, derived ones by article): the report gives
the ranking quality on questions the fit never saw.

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


def law_question(text: str, rng: random.Random) -> str:
    """A question-sized piece of an article: 8-16 words of one khoản, a third of them dropped."""
    clauses = [c for c in text.split("\n") if len(c.split()) >= 8]
    if not clauses:
        return ""
    words = rng.choice(clauses).split()
    start = rng.randrange(0, max(1, len(words) - 8))
    window = words[start: start + rng.randint(8, 16)]
    kept = [w for w in window if rng.random() > 1 / 3]
    return " ".join(kept if len(kept) >= 4 else window)


def first_gold(order: np.ndarray, gold: np.ndarray) -> int | None:
    hit = np.flatnonzero(gold[order])
    return int(hit[0]) + 1 if len(hit) else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--faq-dir", type=Path, default=REPO / "knowledge_base" / "faq")
    ap.add_argument("--questions", type=int, default=1500, help="FAQ questions sampled for fitting")
    ap.add_argument("--law-questions", type=int, default=1500, help="questions derived from articles")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dense", action="store_true", help="also fit the model with heading similarity")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    args = ap.parse_args()

    t0 = time.perf_counter()
    index = load_index(args.index, dense=args.dense)
    build = current_build(args.index)
    expander = build_expander(build, load_faq(args.faq_dir))
    articles = indexed_articles(build)
    meta = DocMeta.from_articles(articles, index.bm25)
    ranker = Ranker(index.bm25, meta, expander)
    targets: dict[str, set[int]] = {}
    for e in expander.expansions:
        targets.setdefault(e.entry, set()).update(e.docs)
    sample = list(range(len(expander.expansions)))
    random.Random(args.seed).shuffle(sample)
    sample = sample[: args.questions]
    rng = random.Random(args.seed)
    # (text, FAQ entry to leave out or None, target positions, fold key)
    questions: list[tuple[str, str | None, set[int], str]] = [
        (expander.expansions[i].text, expander.expansions[i].entry, targets[expander.expansions[i].entry],
         expander.expansions[i].entry) for i in sample]
    for pos in rng.sample(range(len(articles)), min(args.law_questions, len(articles))):
        text = law_question(articles[pos].text, rng)
        if text:
            questions.append((text, None, {pos}, f"article:{pos}"))
    print(f"setup {time.perf_counter() - t0:.1f} s; {len(expander)} FAQ questions, {len(sample)} sampled")

    groups: list[tuple[np.ndarray, np.ndarray]] = []
    entries: list[str] = []
    embedder = index.embedder if args.dense else None
    t0 = time.perf_counter()
    for n, (text, leave_out, gold_docs, key) in enumerate(questions):
        sparse = index.bm25.scores(text)
        dense_top = dense_of = None
        if embedder is not None and index.dense is not None:
            qvec = embedder.embed_queries([text])[0]
            scores, ids = index.dense.search(qvec, 20)
            dense_top = (scores[0], ids[0])
            dense_of = partial(index.dense.scores_for, qvec)

        cands = ranker.candidates(text, sparse, dense_top=dense_top, dense_of=dense_of, exclude_entry=leave_out)
        gold = np.isin(cands.docs, np.fromiter(gold_docs, dtype=np.int64))
        groups.append((cands.x, gold))
        entries.append(key)
        if n % 500 == 0:
            print(f"{n} questions, {time.perf_counter() - t0:.0f} s", flush=True)
    features = LEXICAL + DENSE if args.dense else LEXICAL
    print(f"features of {len(groups)} questions in {time.perf_counter() - t0:.0f} s")
    print(f"gold among candidates: {sum(bool(g.any()) for _, g in groups) / len(groups):.3f}")

    # Cross-validation by entry (a question's paraphrases never sit on both sides) or by article.
    uniq = sorted(set(entries))
    random.Random(args.seed).shuffle(uniq)
    fold_of = {key: i % args.folds for i, key in enumerate(uniq)}
    ranks: dict[str, list[int | None]] = {}
    for f in range(args.folds):
        train = [g for g, key in zip(groups, entries, strict=True) if fold_of[key] != f]
        model = fit_listwise(train, features)
        for (x, gold), key in zip(groups, entries, strict=True):
            if fold_of[key] != f:
                continue
            kind = "law" if key.startswith("article:") else "faq"
            ranks.setdefault(f"{kind} bm25", []).append(first_gold(np.argsort(-x[:, 0], kind="stable"), gold))
            ranks.setdefault(f"{kind} ranker", []).append(first_gold(np.argsort(-model.score(x), kind="stable"), gold))
    cv = {name: metrics(r, []) for name, r in sorted(ranks.items())}
    for name, m in cv.items():
        print(f"cross-validated, {name}: " + ", ".join(f"{k} {m[k]}" for k in ("n", "R@1", "R@5", "R@10", "MRR@10")))

    model = fit_listwise(groups, features)
    model.info.update({
        "trained_on": f"{len(sample)} FAQ questions of knowledge_base/faq (entry left out of the FAQ features) "
                      f"and {len(groups) - len(sample)} questions derived from articles",
        "cv_mrr10": {name: m["MRR@10"] for name, m in cv.items()},
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
