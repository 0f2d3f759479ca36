"""Vocabulary read from triage_lexicon.yaml (data with sources: triage cues, follow-up aspects) as whole-word patterns."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

_GAP = r"(?: [a-z0-9']+){0,3}"  # "*" in a phrase: up to three other words


def _phrase(p: str) -> str:
    words = p.strip().split()
    return "".join((_GAP if w == "*" else (" " if i else "") + re.escape(w)) for i, w in enumerate(words))


@cache
def entries() -> dict[str, dict[str, Any]]:
    """Every lexicon entry: {"source": str, "phrases": [str, ...]}."""
    text = resources.files("bot.core").joinpath("triage_lexicon.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def phrases(kind: str) -> list[str]:
    return [str(p) for p in entries()[kind]["phrases"]]


@cache
def alternation(kind: str) -> str:
    """A regex alternation of the entry's phrases (whole words, longest first)."""
    return "|".join(_phrase(p) for p in sorted(phrases(kind), key=len, reverse=True))


@cache
def pattern(kind: str) -> re.Pattern[str]:
    """The entry's phrases as one whole-word pattern over the folded text."""
    return re.compile(r"(?<![\w'])(?:" + alternation(kind) + r")(?![\w'])")
