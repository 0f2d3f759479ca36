"""Split a long answer into platform-sized messages, preferring article, then paragraph boundaries."""

from __future__ import annotations

import re
from collections.abc import Callable

# Boundaries from the most to the least natural place to cut a legal answer. Each pattern matches
# the separator *after* which a new message may start.
_BOUNDARIES: tuple[re.Pattern[str], ...] = (
    # before a line that starts a new article or the citation footer ("Điều 113.", "Căn cứ ...")
    re.compile(r"\n+(?=(?:Điều|Căn cứ|Nguồn|Theo)\s)"),
    re.compile(r"\n\s*\n"),  # paragraph
    re.compile(r"\n"),  # line
    re.compile(r"(?<=[.!?;:…])\s+"),  # sentence
    re.compile(r"\s+"),  # word
)


def _segments(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Cut `text` after each separator; every segment keeps its trailing separator."""
    out: list[str] = []
    start = 0
    for m in pattern.finditer(text):
        if m.end() > start and m.start() > 0:
            out.append(text[start : m.end()])
            start = m.end()
    out.append(text[start:])
    return [s for s in out if s]


def _hard_cut(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    chunks: list[str] = []
    while text:
        # largest prefix that fits (binary search keeps this linear-ish for any measure)
        lo, hi = 1, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if measure(text[:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        chunks.append(text[:lo])
        text = text[lo:]
    return chunks


def _split(text: str, limit: int, measure: Callable[[str], int], level: int) -> list[str]:
    if measure(text) <= limit:
        return [text]
    if level >= len(_BOUNDARIES):
        return _hard_cut(text, limit, measure)
    pieces = _segments(text, _BOUNDARIES[level])
    if len(pieces) == 1:
        return _split(text, limit, measure, level + 1)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if measure(piece) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.extend(_split(piece, limit, measure, level + 1))
        elif measure(current + piece) <= limit:
            current += piece
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split `text` into stripped, non-empty chunks with `measure(chunk) <= limit`.

    Cuts before a new article ("Điều ...") or the citation footer first, then between paragraphs,
    lines, sentences and words; a single word longer than the limit is cut hard.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks = [c.strip() for c in _split(text.strip(), limit, measure, 0)]
    return [c for c in chunks if c]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2
