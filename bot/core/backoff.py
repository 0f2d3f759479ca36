"""The one retry delay of the project: exponential backoff with a cap and jitter (stdlib only)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """base * 2**(attempt-1), capped at `cap`, scaled by a random factor in [1-jitter, 1].

    `attempt` counts from 1 (the delay after the first failure is about `base`).
    """

    base: float = 1.0
    cap: float = 300.0
    jitter: float = 0.5

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        raw = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        # jitter spreads out the retries of many callers that failed together (platform outage)
        return raw * (1 - self.jitter * (rng or random).random())
