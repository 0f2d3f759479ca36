"""Reading an article: its clauses (khoản) and points (điểm), and which of them answers a question best."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
from dataclasses import dataclass

from bot.core import ranges
from bot.core.models import Passage
from retrieval.normalize import LEGAL_BOILERPLATE, STOPWORDS, strip_diacritics

# ---------------------------------------------------------------------------------------------
# Article text -> clauses (khoản) -> points (điểm)

_CLAUSE_HEAD = re.compile(r"^\s*(\d{1,3}[a-z]?)\.\s+", re.M)
_POINT_HEAD = re.compile(r"^\s*([a-zđ]{1,2})\)\s+", re.M)


@dataclass
class Unit:
    """A quotable piece of an article: a whole clause, or one point of it with the clause's lead-in."""

    clause: str | None
    point: str | None
    text: str
    lead: str = ""  # the clause's opening words before its points (quoted with a point)
    score: float = 0.0
    whole: str = ""  # a point of a short enumeration: its whole clause, quoted when there is room


def split_clauses(text: str) -> list[tuple[str | None, str]]:
    """[(clause number or None, clause text)]; an article without numbered clauses is one unit."""
    heads = list(_CLAUSE_HEAD.finditer(text))
    if not heads:
        return [(None, text.strip())]
    out: list[tuple[str | None, str]] = []
    intro = text[: heads[0].start()].strip()
    if intro:
        out.append((None, intro))
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        out.append((m.group(1), text[m.end() : end].strip()))
    return out


# Pháp điển appends cross-references to an article's text: not law, never quoted.
_RELATED_NOTE = re.compile(r"\(Điều này có nội dung liên quan đến[^\n]*\)")


def clean_article_text(text: str) -> str:
    return _RELATED_NOTE.sub("", text).strip()


def units(text: str) -> list[Unit]:
    """Clauses, plus each point of a clause (with the clause's lead-in) as its own unit."""
    out: list[Unit] = []
    for number, body in split_clauses(clean_article_text(text)):
        points = list(_POINT_HEAD.finditer(body))
        if len(points) < 2:
            out.append(Unit(number, None, body))
            continue
        # An enumeration: its points compete one by one (each quoted after the clause's lead-in),
        # so a long list does not win just by containing every word.
        lead = body[: points[0].start()].strip()
        if len(lead) > 60:
            out.append(Unit(number, None, lead))
        for i, m in enumerate(points):
            end = points[i + 1].start() if i + 1 < len(points) else len(body)
            point_text = body[m.end() : end].strip()
            tail = ""
            if i + 1 == len(points) and "\n" in point_text:
                # text after the last point belongs to the whole clause, not to that point
                point_text, tail = point_text.split("\n", 1)
            out.append(Unit(number, m.group(1), point_text.strip(), lead=lead))
            if len(tail.strip()) > 40:
                out.append(Unit(number, None, tail.strip()))
    return out


# ---------------------------------------------------------------------------------------------
# Scoring (diacritic-folded syllables and bigrams, weighted by rarity among the candidate units)

_STOP = STOPWORDS | LEGAL_BOILERPLATE
_WORD = re.compile(r"[a-z0-9]+")
_LEAD_ZERO = re.compile(r"\b0+(\d)")
_NUMERIC_Q = re.compile(r"bao (lau|nhieu)|may (ngay|thang|nam|tuoi|tieng|gio|lan|phan)|toi da|toi thieu|muc|phan tram|thoi han|khi nao|tuoi")
_NUMERIC_UNIT = re.compile(r"\d+\s*(%|ngay|thang|nam|tuoi|gio|lan|dong|trieu|nghin)|\b(mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi) (ngay|thang|nam|phan)")
_NUMBER = r"(?:\d+(?:[.,]\d+)*|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)"
# The kind of figure a question asks for, and how a clause states it: "bao nhiêu phần trăm" wants the clause
# with a percentage, "mấy ngày" the one counting days, not merely any clause with a figure in it.
_ASKED_FIGURE = tuple((re.compile(q), re.compile(u)) for q, u in (
    (r"phan tram|bao nhieu %", _NUMBER + r"\s*%|phan tram"),
    (r"bao nhieu tien|bao nhieu dong|may trieu|phat bao nhieu|muc phat|tien phat|nop phat|le phi|bao nhieu phi",
     _NUMBER + r"\s*(?:dong|trieu|nghin)"),
    (r"(?:may|bao nhieu) ngay|ngay nao", _NUMBER + r"\s*ngay"),
    (r"(?:may|bao nhieu) thang", _NUMBER + r"\s*thang"),
    (r"(?:may|bao nhieu) nam\b", _NUMBER + r"\s*nam\b"),
    (r"(?:may|bao nhieu|du|tu) tuoi|tuoi nao", _NUMBER + r"\s*tuoi"),
    (r"(?:may|bao nhieu) (?:tieng|gio|phut)", _NUMBER + r"\s*(?:gio|phut)"),
    (r"bao lau|thoi han|thoi hieu|trong vong", _NUMBER + r"\s*(?:ngay|thang|nam\b|gio)"),
))


# A clause stating the range a figure of the question falls in leads (see score_units); False turns it off.
RANGE_FIRST = True


def _fold(text: str) -> str:
    return _LEAD_ZERO.sub(r"\1", strip_diacritics(text).lower())


@functools.lru_cache(maxsize=8192)
def terms(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(content syllables, bigrams) of a text, folded (cached: the same clauses are scored again and again)."""
    words = _WORD.findall(_fold(text))
    uni = frozenset(w for w in words if (w not in _STOP and len(w) > 1) or w.isdigit())
    bi = frozenset(f"{a}_{b}" for a, b in itertools.pairwise(words) if not (a in _STOP and b in _STOP))
    return uni, bi


def score_units(question: str, candidates: list[Unit], best_hint: tuple[str | None, str | None] | None = None,
                title: str = "", figure: bool = False) -> None:
    """Set `score` on each unit: rarity-weighted overlap with the question (+ small bonuses).

    Question words that are in the article's title say which article, not which clause: they count less.
    """
    q_uni, q_bi = terms(question)
    t_uni, t_bi = terms(title) if title else (frozenset(), frozenset())
    folded_q = _fold(question)
    numeric_q = bool(_NUMERIC_Q.search(folded_q))
    asked = [unit for q, unit in _ASKED_FIGURE if q.search(folded_q)]
    # `figure`: the question is a citizen's, whose own figure ("60 triệu") may fall in a clause's range
    quantity = ranges.asked(question) if figure and RANGE_FIRST else None
    own_terms = [terms(u.text) for u in candidates]
    lead_terms = [terms(u.lead) if u.lead else (frozenset(), frozenset()) for u in candidates]
    n = len(candidates) or 1
    df: dict[str, int] = {}
    for (uni, bi), (luni, lbi) in zip(own_terms, lead_terms, strict=True):
        for t in ((uni | luni) & q_uni) | ((bi | lbi) & q_bi):
            df[t] = df.get(t, 0) + 1
    for u, (uni, bi), (luni, lbi) in zip(candidates, own_terms, lead_terms, strict=True):
        s = 0.0
        # words of the shared lead-in count less: they do not tell the points apart
        for t in (uni | luni) & q_uni:
            s += math.log(1 + n / df[t]) * (1.0 if t in uni else 0.4) * (0.3 if t in t_uni else 1.0)
        for t in (bi | lbi) & q_bi:
            s += 1.5 * math.log(1 + n / df[t]) * (1.0 if t in bi else 0.4) * (0.3 if t in t_bi else 1.0)
        if asked and any(a.search(_fold(u.text)) for a in asked):
            s *= 1.6  # states the very kind of figure asked for
        elif numeric_q and _NUMERIC_UNIT.search(_fold(u.text)):
            s *= 1.25
        if best_hint is not None and u.clause == best_hint[0] and u.point is None and best_hint[0] is not None:
            s *= 1.15
        # very long clauses dilute the answer: a mild length penalty
        s /= 1.0 + max(0, len(u.text) - 600) / 2400
        u.score = s
    if quantity is not None:
        # a clause stating the range the question's own figure falls in ("trộm xe 60 triệu": "từ 50.000.000 đồng
        # đến dưới 200.000.000 đồng") answers it, whatever other words the others share
        top = max((u.score for u in candidates), default=0.0)
        widths = {id(u): w for u in candidates if (w := ranges.width(u.text, quantity)) is not None}
        narrowest = min(widths.values(), default=None)
        for u in candidates:
            if id(u) in widths:  # the narrowest range first: "từ 50 triệu đến dưới 200 triệu" over "từ 2 triệu trở lên"
                u.score += top + (2.0 if widths[id(u)] == narrowest else 1.0)


def pick_units(question: str, p: Passage, max_units: int = 2) -> list[Unit]:
    """The clause(s) of one passage that best answer the question, in article order."""
    cands = units(p.text)
    if not cands:
        return []
    score_units(question, cands, (p.clause_no, None) if p.clause_no else None, p.title, figure=True)
    ranked = sorted(cands, key=lambda u: u.score, reverse=True)
    chosen = [ranked[0]]
    for u in ranked[1:]:
        if len(chosen) >= max_units or u.score < 0.75 * ranked[0].score or u.score <= 0:
            break
        if any(c.clause == u.clause and (c.point is None or u.point is None) for c in chosen):
            continue  # the lead-in of a clause whose point is quoted (or the reverse)
        chosen.append(u)
    order = {id(u): i for i, u in enumerate(cands)}
    return [widen(u, p.text) for u in sorted(chosen, key=lambda u: order[id(u)])]


def widen(u: Unit, article_text: str, limit: int = 650) -> Unit:
    """A point of a short enumeration also carries its whole clause (the list is the context), which
    the writer quotes when it fits, else the clause's lead-in and the point."""
    if u.point is None:
        return u
    for number, body in split_clauses(clean_article_text(article_text)):
        if number == u.clause and len(body) <= limit:
            return dataclasses.replace(u, whole=body)
    return u


def clause_unit(p: Passage, clause: str | None, focus: str, point: str | None = None) -> Unit | None:
    """The unit of a cited article to quote: the named clause (the named point, else its best point), or
    the best clause."""
    cands = units(p.text)
    if clause is not None:
        cands = [u for u in cands if u.clause == clause] or cands
        if point is not None:  # the author named the point: a fine for the driver, not the passenger's
            cands = [u for u in cands if (u.point or "").casefold() == point.casefold()] or cands
    if not cands:
        return None
    score_units(focus, cands, title=p.title)
    return widen(max(cands, key=lambda u: u.score), p.text)
