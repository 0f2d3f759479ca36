"""Multinomial logistic regression in numpy: small, deterministic, no scikit-learn needed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class SoftmaxModel:
    """Weights (features x classes), bias, class names, and the feature scaling it was fitted with."""

    weights: np.ndarray
    bias: np.ndarray
    classes: list[str]
    mean: np.ndarray
    scale: np.ndarray

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Rows of class probabilities for rows of features."""
        z = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def save(self, path: Path | str, **extra: str) -> None:
        arrays: dict[str, np.ndarray] = {"weights": self.weights, "bias": self.bias, "classes": np.array(self.classes),
                                         "mean": self.mean, "scale": self.scale}
        arrays.update({k: np.array(v) for k, v in extra.items()})
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path | str) -> tuple[SoftmaxModel, dict[str, str]]:
        with np.load(path, allow_pickle=False) as data:
            model = cls(data["weights"], data["bias"], [str(c) for c in data["classes"]],
                        data["mean"], data["scale"])
            extra = {k: str(data[k]) for k in data.files
                     if k not in ("weights", "bias", "classes", "mean", "scale")}
        return model, extra


def fit_softmax(x: np.ndarray, labels: list[str], *, l2: float = 1e-3, sample_weight: np.ndarray | None = None,
                iterations: int = 300, standardise: bool = True, balanced: float = 1.0) -> SoftmaxModel:
    """Fit by full-batch gradient descent with Adam steps (a few hundred rows x a few hundred features: < 1 s).

    `balanced` weighs each class by the inverse of its frequency to that power (1: fully balanced,
    0.5: half way, 0: as counted), so a class written with fewer examples (urgent cases) is not
    drowned by the many FAQ questions, without pushing every doubt towards it.
    """
    x = np.asarray(x, dtype=np.float64)
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    y = np.zeros((len(labels), len(classes)))
    y[np.arange(len(labels)), [index[c] for c in labels]] = 1.0
    w_rows = np.ones(len(labels)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if balanced:
        counts = y.sum(axis=0)
        w_rows = w_rows * ((len(labels) / (len(classes) * counts)) ** balanced)[[index[c] for c in labels]]
    w_rows = w_rows / w_rows.sum()
    mean = x.mean(axis=0) if standardise else np.zeros(x.shape[1])
    scale = x.std(axis=0) + 1e-6 if standardise else np.ones(x.shape[1])
    xs = (x - mean) / scale
    weights = np.zeros((x.shape[1], len(classes)))
    bias = np.zeros(len(classes))
    m_w, v_w = np.zeros_like(weights), np.zeros_like(weights)
    m_b, v_b = np.zeros_like(bias), np.zeros_like(bias)
    lr, b1, b2 = 0.05, 0.9, 0.999
    for t in range(1, iterations + 1):
        z = xs @ weights + bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        err = (p - y) * w_rows[:, None]
        g_w = xs.T @ err + l2 * weights
        g_b = err.sum(axis=0)
        m_w = b1 * m_w + (1 - b1) * g_w
        v_w = b2 * v_w + (1 - b2) * g_w**2
        m_b = b1 * m_b + (1 - b1) * g_b
        v_b = b2 * v_b + (1 - b2) * g_b**2
        weights -= lr * (m_w / (1 - b1**t)) / (np.sqrt(v_w / (1 - b2**t)) + 1e-8)
        bias -= lr * (m_b / (1 - b1**t)) / (np.sqrt(v_b / (1 - b2**t)) + 1e-8)
    return SoftmaxModel(weights.astype(np.float32), bias.astype(np.float32), classes,
                        mean.astype(np.float32), scale.astype(np.float32))
