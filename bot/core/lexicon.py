"""Vocabulary read from data files with sources (triage cues, follow-up aspects, everyday words for legal terms) as whole-word patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

_WORD = r"[a-z0-9']+"
# One item of a phrase: "(a|b c)" one of, "[a b]" optional words, "*" up to three other words ("*8": up to
# eight), "#" a number ("#14-18": one from 14 to 18), else a word.
_ITEM = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\*\d*|#(?:\d+-\d+)?%?|[^\s()\[\]]+")


def _item(token: str) -> str:
    if token.startswith("("):
        return "(?:" + "|".join(_words(a) for a in token[1:-1].split("|")) + ")"
    if token.startswith("#"):
        percent = r" ?%" if token.endswith("%") else ""
        if "-" not in token:
            return r"\d+" + percent
        low, high = (int(x) for x in token[1:].rstrip("%").split("-"))
        return "(?:" + "|".join(str(n) for n in range(high, low - 1, -1)) + ")" + percent
    return re.escape(token)


def _words(text: str) -> str:
    return " ".join(_item(t) for t in _ITEM.findall(text))


def _phrase(p: str) -> str:
    """A phrase as a regex over folded text (whole words are checked by the caller's pattern)."""
    out, first = "", True
    for token in _ITEM.findall(p.strip()):
        if token.startswith("*"):
            out += f"(?: {_WORD}){{0,{int(token[1:] or 3)}}}"
        elif token.startswith("["):
            inner = _words(token[1:-1])
            out += f"(?:{inner} )?" if first else f"(?: {inner})?"
            continue  # an optional item at the start leaves the next word without its leading space
        else:
            out += ("" if first else " ") + _item(token)
        first = False
    return out


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
    return _whole(alternation(kind))


def _whole(alternation: str) -> re.Pattern[str]:
    """An alternation of phrases matched as whole words of the folded text."""
    return re.compile(r"(?<![\w'])(?:" + alternation + r")(?![\w'])")


def _any(phrases: list[str]) -> re.Pattern[str]:
    return _whole("|".join(_phrase(p) for p in phrases))


@dataclass(frozen=True)
class LegalTerm:
    """The law's term (`term`) for the everyday words `match` finds, unless `unless` finds they mean something else."""

    term: str
    match: re.Pattern[str]
    unless: re.Pattern[str] | None


@cache
def legal_terms() -> tuple[LegalTerm, ...]:
    """Every entry of legal_terms.yaml, in file order (the order terms are appended in)."""
    text = resources.files("bot.core").joinpath("legal_terms.yaml").read_text(encoding="utf-8")
    return tuple(LegalTerm(str(e["term"]), _any([str(p) for p in e["match"]]),
                           _any([str(p) for p in e["unless"]]) if e.get("unless") else None)
                 for e in yaml.safe_load(text))
