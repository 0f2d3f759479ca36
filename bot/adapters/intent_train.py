"""Train the intent model from knowledge_base/training/triage_train.jsonl plus the FAQ questions (all 'answer')."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from bot.adapters.faq_search import load_faq
from bot.adapters.intent import (
    CATEGORIES_FILE,
    LABELS_FILE,
    LEGAL_FILE,
    IntentClassifier,
    unit_rows,
)
from bot.adapters.logreg import fit_softmax
from bot.adapters.vectors import TextVectors
from bot.core.clean import clean_message
from bot.core.ports import FaqSearch
from retrieval.normalize import strip_diacritics

LABELS = ("answer", "escalate", "urgent", "out_of_scope")


def read_messages(path: Path | str) -> list[dict[str, Any]]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("label") in LABELS and str(row.get("text") or "").strip():
                rows.append(row)
    return rows


def model_text(text: str) -> str:
    """The text the model sees: what the core classifies (markup and numbers masked, teencode expanded)."""
    return clean_message(text).text


def train_intent(vectors: TextVectors, train_files: Path | str | list[Path], faq_dir: Path | str, out_dir: Path | str,
                 *, faq_per_entry: int = 2) -> dict[str, Any]:
    """Fit both models, save them beside the training data, return counts."""
    files = train_files if isinstance(train_files, list) else [Path(train_files)]
    rows = [row for f in files for row in read_messages(f)]
    texts = [model_text(r["text"]) for r in rows]
    labels = [r["label"] for r in rows]
    categories = [str(r.get("category") or "") for r in rows]
    # FAQ questions teach what an answerable question looks like in every area we cover
    for entry in load_faq(faq_dir):
        for q in entry.questions[:faq_per_entry]:
            texts.append(model_text(q))
            labels.append("answer")
            categories.append("")
    legal_rows = [i for i, lab in enumerate(labels) if lab == "answer"]
    # Half of citizens type without diacritics, which the sentence model reads less well: every
    # accented example is also learned in its unaccented form.
    for i in range(len(texts)):
        plain = strip_diacritics(texts[i])
        if plain != texts[i]:
            texts.append(plain)
            labels.append(labels[i])
            categories.append(categories[i])
    # Citizens rarely capitalise or end with "?", while the FAQ questions always do: every example is
    # also learned lowercased without its closing punctuation, so the form of a message says nothing.
    for i in range(len(texts)):
        bare = texts[i].strip().rstrip("?!.").strip().lower()
        if bare and bare != texts[i]:
            texts.append(bare)
            labels.append(labels[i])
            categories.append(categories[i])
    x = vectors.many(texts, desc="training messages")
    label_model = fit_softmax(x, labels, l2=3e-2, iterations=400, balanced=0.5)
    mask = [i for i, lab in enumerate(labels) if lab != "answer" and categories[i]]
    category_model = fit_softmax(x[mask], [categories[i] for i in mask], l2=3e-2, iterations=400)
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    out = Path(out_dir)
    label_model.save(out / LABELS_FILE, embedder=vectors.id, data=digest)
    # what a legal question looks like: a message far from all of them is likely out of scope
    np.savez_compressed(out / LEGAL_FILE, vectors=unit_rows(x[legal_rows]).astype(np.float16))
    category_model.save(out / CATEGORIES_FILE, embedder=vectors.id, data=digest)
    return {"messages": len(rows), "faq_questions": len(texts) - len(rows),
            "labels": {lab: labels.count(lab) for lab in LABELS}, "categories": len(set(categories[i] for i in mask))}


def evaluate_intent(classifier: IntentClassifier, check_file: Path | str) -> dict[str, Any]:
    """Per-label recall and precision of the arg-max label on messages the model never saw."""
    rows = read_messages(check_file)
    x = classifier.vectors.many([model_text(r["text"]) for r in rows], desc="check messages")
    probs = classifier.labels.proba(x)
    pred = [classifier.labels.classes[int(i)] for i in np.argmax(probs, axis=1)]
    out: dict[str, Any] = {"n": len(rows)}
    for lab in LABELS:
        gold = [i for i, r in enumerate(rows) if r["label"] == lab]
        got = [i for i, p in enumerate(pred) if p == lab]
        hit = len(set(gold) & set(got))
        out[lab] = {"n": len(gold), "recall": round(hit / max(1, len(gold)), 3),
                    "precision": round(hit / max(1, len(got)), 3)}
    return out


def evaluate_triage(classifier: IntentClassifier, check_file: Path | str, faq: FaqSearch | None = None) -> dict[str, Any]:
    """What citizens would see from the whole triage (cues + model) on messages never trained on.

    Escalation recall / precision count escalate and urgent together (a person is needed); answers
    kept is the share of answerable messages left to answer (not escalated, not refused); urgent with
    numbers is the share of urgent messages shown emergency numbers first (with a ticket, or 115 for a
    health emergency out of scope). With `faq`, each message's best FAQ match is passed on as serving does.
    """
    from bot.core.triage import Verdict, triage

    rows = read_messages(check_file)
    cleaned = [clean_message(r["text"]) for r in rows]
    x = classifier.vectors.many([c.text for c in cleaned], desc="check messages")
    tp = fp = fn = kept = answers = refused = oos = urgent = urgent_numbers = 0
    wrong: list[dict[str, str]] = []
    for row, c, vec in zip(rows, cleaned, x, strict=True):
        matches = faq.search(c.text, 1) if faq is not None and c.text.strip() else []
        result = triage(row["text"], c.text, had_html=c.had_html, had_url=c.had_url,
                        intent=classifier.predict_vector(vec), faq=matches[0].score if matches else 0.0)
        need = row["label"] in ("escalate", "urgent")
        got = result.verdict == Verdict.ESCALATE
        tp += need and got
        fp += got and not need
        fn += need and not got
        if row["label"] == "answer":
            answers += 1
            kept += result.verdict == Verdict.ANSWER
        if row["label"] == "out_of_scope":
            oos += 1
            refused += result.verdict == Verdict.OUT_OF_SCOPE
        if row["label"] == "urgent":
            urgent += 1
            # what the citizen sees first: the numbers, whether a ticket opens or a health emergency
            # is sent to 115 as out of scope
            urgent_numbers += bool(result.emergency)
        want = "escalate" if need else row["label"]
        if result.verdict.value != want:
            wrong.append({"label": row["label"], "got": result.verdict.value, "text": row["text"][:120]})
    return {"n": len(rows), "escalation_recall": round(tp / max(1, tp + fn), 3),
            "escalation_precision": round(tp / max(1, tp + fp), 3), "answers_kept": round(kept / max(1, answers), 3),
            "out_of_scope_refused": round(refused / max(1, oos), 3),
            "urgent_with_numbers": round(urgent_numbers / max(1, urgent), 3), "wrong": wrong}
