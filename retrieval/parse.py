"""Structure of law text: Phần/Chương/Mục/Điều in a document, khoản and điểm in an article."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import pairwise

from retrieval.normalize import normalize_text, strip_diacritics
from retrieval.tokenize import token_stream
from retrieval.types import Clause, Point

# "1. text" at the start of a line; "a) text" / "đ) text" at the start of a line.
_CLAUSE_RE = re.compile(r"^[ \t]*(\d{1,3})\.[ \t]+(?=\S)", re.MULTILINE)
_POINT_RE = re.compile(r"^[ \t]*([a-zđ])\)[ \t]+(?=\S)", re.MULTILINE)
POINT_LABELS = "abcdđeghiklmnopqrstuvxy"  # Vietnamese legal point letters (no f, j, w, z)

_ARTICLE_RE = re.compile(r"^\s*(?i:điều)\s+(\d+[a-zđ]?)\s*[.:]\s*(.*)$")
_NOT_LETTER = r"(?![^\W\d_])"  # the numeral ends the word: "Chương II" but not "Chương do"
_PART_RE = re.compile(
    r"^\s*((?i:phần\s+thứ\s+\w+)|(?i:phần)\s+(?:[IVXLCDM]+|\d+)"
    + _NOT_LETTER
    + r")\s*[.:\-–]?\s*(.*)$"
)
_CHAPTER_RE = re.compile(
    r"^\s*((?i:chương)\s+(?:[IVXLCDM]+|\d+)[a-z]?" + _NOT_LETTER + r")\s*[.:\-–]?\s*(.*)$"
)
_SECTION_RE = re.compile(r"^\s*((?i:mục)\s+\d+[a-z]?" + _NOT_LETTER + r")\s*[.:\-–]?\s*(.*)$")


def split_clauses(text: str) -> list[Clause]:
    """Khoản "1.", "2." ... of an article, each with its điểm "a)", "b)" ...

    A numbered line counts as a khoản only when the numbers run 1, 2, 3 ... so that a line that
    happens to start with a number ("2019. ...") does not split the article. Text before the first
    khoản (an introduction) belongs to no clause.
    """
    starts: list[tuple[int, str]] = []
    expected = 1
    for m in _CLAUSE_RE.finditer(text):
        if int(m.group(1)) == expected:
            starts.append((m.start(), m.group(1)))
            expected += 1
    clauses = []
    for i, (start, number) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        body = text[start:end].strip()
        clauses.append(Clause(number=number, text=body, points=split_points(body)))
    return clauses


def split_points(text: str) -> list[Point]:
    """Điểm "a)", "b)", "đ)" ... of a clause, in order (labels must follow the legal alphabet)."""
    found: list[tuple[int, int, str]] = []
    expected = 0
    for m in _POINT_RE.finditer(text):
        label = m.group(1)
        if expected < len(POINT_LABELS) and label == POINT_LABELS[expected]:
            found.append((m.start(), m.end(), label))
            expected += 1
    points = []
    for i, (_start, body_start, label) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        points.append(Point(label=label, text=text[body_start:end].strip()))
    return points


@dataclass
class ParsedArticle:
    """One Điều found in a law file."""

    number: str
    title: str
    text: str
    path: str
    line: int  # 1-based line of the "Điều N." heading


@dataclass
class ParsedLaw:
    """A law file split into its header and articles."""

    header: str
    articles: list[ParsedArticle] = field(default_factory=list)


def split_law(text: str) -> ParsedLaw:
    """Split a law's text (one paragraph per line) on Phần, Chương, Mục and "Điều N.".

    A Chương/Mục heading often has its title on the next line in capitals ("Chương I" /
    "NHỮNG QUY ĐỊNH CHUNG"); that line is taken into the path.
    """
    lines = [normalize_text(line) for line in text.splitlines()]
    header: list[str] = []
    law = ParsedLaw(header="")
    part = chapter = section = ""
    current: ParsedArticle | None = None
    body: list[str] = []
    pending: str | None = None  # "chapter" | "section" | "part" awaiting a capitalised title line

    def close() -> None:
        if current is not None:
            current.text = "\n".join(body).strip()
            law.articles.append(current)

    for i, line in enumerate(lines, start=1):
        if not line:
            continue
        if pending and line.upper() == line and not _ARTICLE_RE.match(line):
            if pending == "part":
                part = f"{part}. {line}"
            elif pending == "chapter":
                chapter = f"{chapter}. {line}"
            else:
                section = f"{section}. {line}"
            pending = None
            continue
        pending = None
        if m := _ARTICLE_RE.match(line):
            close()
            path = " / ".join(p for p in (part, chapter, section) if p)
            current = ParsedArticle(m.group(1), m.group(2).strip(), "", path, i)
            body = []
            continue
        heading = None
        for kind, regex in (("part", _PART_RE), ("chapter", _CHAPTER_RE), ("section", _SECTION_RE)):
            hm = regex.match(line)
            if hm and len(line) < 300:
                heading = (kind, hm.group(1).strip(), hm.group(2).strip())
                break
        if heading:
            kind, label, title = heading
            full = f"{label}. {title}" if title else label
            if kind == "part":
                part, chapter, section = full, "", ""
            elif kind == "chapter":
                chapter, section = full, ""
            else:
                section = full
            pending = None if title else kind
            continue
        if current is None:
            header.append(line)
        else:
            body.append(line)
    close()
    law.header = "\n".join(header)
    return law


# ---- best clause for a question ---------------------------------------------------------------


_BREAKS_RE = re.compile(r"[.,;:!?()\[\]{}\"“”…\n]+")
_NON_WORD_RE = re.compile(r"[^\w|]+|_")


def _folded_view(text: str) -> str:
    """' nghi phep | nam ': folded words separated by single spaces, '|' where a phrase ends."""
    text = _NON_WORD_RE.sub(" ", _BREAKS_RE.sub(" | ", strip_diacritics(text.lower())))
    return " " + " ".join(text.split()) + " "


def best_clause(article_clauses: list[Clause] | object, query_tokens: list[str]) -> Clause | None:
    """The khoản that best matches a question, or None when the article has no numbered clauses.

    `article_clauses` is an Article (its .clauses) or a list of Clause; `query_tokens` are the
    question's syllables (accented or not). Clauses are compared on diacritic-free syllables and
    bigrams, each weighted by how rare it is among the article's clauses (so words every clause
    repeats count little); bigram matches count double. Ties go to the earlier clause.
    """
    clauses: list[Clause] = (
        article_clauses if isinstance(article_clauses, list) else article_clauses.clauses  # type: ignore[attr-defined]
    )
    if not clauses:
        return None
    stream = [strip_diacritics(t) for t in token_stream(" ".join(query_tokens))]
    units = {f" {t} " for t in stream if t} | {f" {a} {b} " for a, b in pairwise(stream) if a and b}
    if not units:
        return clauses[0]
    views = [_folded_view(c.text) for c in clauses]
    present = {u: [u in v for v in views] for u in units}
    n = len(clauses)
    best, best_score = clauses[0], 0.0
    for i, clause in enumerate(clauses):
        score = 0.0
        for u, hits in present.items():
            if hits[i]:
                score += math.log(1 + n / sum(hits)) * (2.0 if u.count(" ") > 2 else 1.0)
        if score > best_score:
            best, best_score = clause, score
    return best
