"""One standardised logistic score, shared by the fitted models read as data (FAQ matcher, FAQ picker, answer confidence)."""

from __future__ import annotations

import math
from collections.abc import Iterable


def probability(values: Iterable[float], weights: Iterable[float], mean: Iterable[float], scale: Iterable[float],
                bias: float) -> float:
    """sigmoid(bias + sum(w * (x - m) / s)); a zero scale reads as 1 (a feature constant in training), and the
    sum is clipped so an outlying message cannot overflow."""
    z = bias + sum(w * (x - m) / (s or 1.0) for x, w, m, s in zip(values, weights, mean, scale, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
