"""IntentModel port: softmax regression over sentence vectors, trained on messages we wrote (bot/adapters/intent_train.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from bot.adapters.logreg import SoftmaxModel
from bot.adapters.vectors import TextVectors
from bot.core.ports import IntentScores

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parents[2] / "knowledge_base" / "training"
LABELS_FILE = "intent_labels.npz"
CATEGORIES_FILE = "intent_categories.npz"
LEGAL_FILE = "intent_legal.npz"  # unit vectors of legal questions (FAQ questions, answerable messages)


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    return np.asarray(x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9), dtype=np.float32)


def legal_similarity(prototypes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each row of x, the closest cosine to any legal prototype."""
    return np.asarray((unit_rows(x) @ prototypes.T).max(axis=1), dtype=np.float64)


class IntentClassifier:
    """P(answer / escalate / urgent / out_of_scope) and the likeliest category of a message."""

    def __init__(self, vectors: TextVectors, model_dir: Path | str = MODEL_DIR) -> None:
        self.vectors = vectors
        self.labels, meta = SoftmaxModel.load(Path(model_dir) / LABELS_FILE)
        self.categories, _ = SoftmaxModel.load(Path(model_dir) / CATEGORIES_FILE)
        if meta.get("embedder") and meta["embedder"] != vectors.id:
            raise ValueError(f"intent model was trained with {meta['embedder']}, not {vectors.id}")
        self.legal: np.ndarray | None = None
        legal_path = Path(model_dir) / LEGAL_FILE
        if legal_path.exists():
            with np.load(legal_path, allow_pickle=False) as data:
                self.legal = np.asarray(data["vectors"], dtype=np.float32)

    def predict(self, text: str) -> IntentScores:
        vec = self.vectors.one(text)
        return self.predict_vector(vec)

    def predict_vector(self, vec: np.ndarray) -> IntentScores:
        p = self.labels.proba(vec)[0]
        c = self.categories.proba(vec)[0]
        best = int(np.argmax(c))
        legal = float(legal_similarity(self.legal, vec)[0]) if self.legal is not None else None
        return IntentScores({k: float(v) for k, v in zip(self.labels.classes, p, strict=True)},
                            self.categories.classes[best], float(c[best]), legal)


def load_intent(vectors: TextVectors | None, model_dir: Path | str = MODEL_DIR) -> IntentClassifier | None:
    """The classifier, or None (rules only) without vectors or model files."""
    if vectors is None:
        return None
    try:
        return IntentClassifier(vectors, model_dir)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("intent model unusable (%s): triage falls back to its rules", exc)
        return None
