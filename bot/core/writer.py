"""Extractive answer writer: quotes the clauses of the retrieved articles that answer the question, cited in full."""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core import texts
from bot.core.models import Citation, DocStatus, Passage
from bot.core.ports import WrittenAnswer
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
                title: str = "") -> None:
    """Set `score` on each unit: rarity-weighted overlap with the question (+ small bonuses).

    Question words that are in the article's title say which article, not which clause: they count less.
    """
    q_uni, q_bi = terms(question)
    t_uni, t_bi = terms(title) if title else (frozenset(), frozenset())
    numeric_q = bool(_NUMERIC_Q.search(_fold(question)))
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
        if numeric_q and _NUMERIC_UNIT.search(_fold(u.text)):
            s *= 1.25
        if best_hint is not None and u.clause == best_hint[0] and u.point is None and best_hint[0] is not None:
            s *= 1.15
        # very long clauses dilute the answer: a mild length penalty
        s /= 1.0 + max(0, len(u.text) - 600) / 2400
        u.score = s


# ---------------------------------------------------------------------------------------------
# Quotes


def trim_quote(text: str, limit: int, focus: str = "") -> str:
    """At most `limit` characters, cut at a sentence or clause boundary (or a word), marked with '…'."""
    text = re.sub(r"\s*\n+\s*", " ", text).strip()
    if len(text) <= limit:
        return text
    start = 0
    if focus:
        # start at the sentence that holds most of the question's words
        sents = [m.start() for m in re.finditer(r"(?:^|(?<=[.;:]\s))\S", text)]
        f_uni, _ = terms(focus)
        best, best_hits = 0, -1
        for pos in sents:
            hits = len(terms(text[pos : pos + limit])[0] & f_uni)
            if hits > best_hits:
                best, best_hits = pos, hits
        start = best
    piece = text[start : start + limit]
    cut = max(piece.rfind("; "), piece.rfind(". "), piece.rfind(": "))
    if cut < limit * 0.5:
        cut = piece.rfind(" ")
    if cut <= 0:
        cut = limit - 1
    head = "…" if start > 0 else ""
    return head + piece[:cut].rstrip(" ,;:") + "…"


@dataclass
class Block:
    """One cited piece of the answer."""

    citation: Citation
    lead: str  # "Theo" / "Xem thêm"
    title: str
    quote: str
    focus: str
    min_quote: int = 120

    def render(self, limit: int) -> str:
        label = self.citation.label()
        head = self.lead.format(label=label)
        title = f" ({self.title})" if self.title else ""
        if limit <= 0 or not self.quote:
            return f"{head[:-1] if head.endswith(':') else head}{title}."
        return f"{head[:-1]}{title}:\n“{trim_quote(self.quote, limit, self.focus)}”"


def _unit_quote(u: Unit) -> str:
    if u.point is None:
        return u.text
    lead = trim_quote(u.lead, 160) if u.lead else ""
    return f"{lead} … {u.point}) {u.text}" if lead else f"{u.point}) {u.text}"


def citation_for(p: Passage, clause: str | None, point: str | None = None) -> Citation:
    return Citation(
        article_id=p.article_id,
        doc_number=p.doc_number,
        article=p.article,
        doc_title=p.doc_title,
        doc_type=p.doc_type,
        clause=clause,
        status=p.status,
        point=point,
    )


def pick_units(question: str, p: Passage, max_units: int = 2) -> list[Unit]:
    """The clause(s) of one passage that best answer the question, in article order."""
    cands = units(p.text)
    if not cands:
        return []
    score_units(question, cands, (p.clause_no, None) if p.clause_no else None, p.title)
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
    """A point of a short enumeration is quoted with its whole clause (the list is the context)."""
    if u.point is None:
        return u
    for number, body in split_clauses(clean_article_text(article_text)):
        if number == u.clause and len(body) <= limit:
            return Unit(u.clause, None, body, score=u.score)
    return u


# ---------------------------------------------------------------------------------------------
# Footer: document status, index date, disclaimer


def status_notes(passages: list[Passage]) -> list[str]:
    notes: list[str] = []
    seen: set[str] = set()
    for p in passages:
        if p.doc_number in seen:
            continue
        seen.add(p.doc_number)
        word = texts.STATUS_WORDS.get(p.status, "")
        if p.status == DocStatus.NOT_YET_IN_FORCE and p.effective_from:
            notes.append(texts.NOT_YET_NOTE.format(doc_number=p.doc_number, effective_from=p.effective_from))
        elif p.status in (DocStatus.PARTLY_EXPIRED, DocStatus.EXPIRED, DocStatus.NOT_YET_IN_FORCE):
            if p.replaced_by:
                notes.append(texts.REPLACED_BY_NOTE.format(doc_number=p.doc_number, status=word, replaced_by=p.replaced_by))
            else:
                notes.append(texts.STATUS_NOTE.format(doc_number=p.doc_number, status=word))
        elif p.replaced_by:
            notes.append(texts.REPLACED_BY_NOTE.format(doc_number=p.doc_number, status=texts.STATUS_WORDS[DocStatus.IN_FORCE], replaced_by=p.replaced_by))
    return notes


def footer(passages: list[Passage], built_at: str) -> str:
    lines = status_notes(passages)
    if built_at:
        lines.append(texts.INDEX_DATE.format(built_at=display_date(built_at)))
    lines.append(texts.DISCLAIMER)
    return "\n".join(lines)


def display_date(value: str) -> str:
    """'2025-11-22T07:58:00+00:00' -> '22/11/2025' (anything else unchanged)."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value or "")
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else value


# ---------------------------------------------------------------------------------------------
# Fitting blocks into a channel's limit


def fit(intro: str, blocks: list[Block], tail: str, foot: str, max_chars: int, quote_chars: int) -> tuple[str, int]:
    """Join intro, cited blocks, tail and footer under max_chars: shorten quotes, then drop
    later blocks, never cutting a citation label. Returns (text, how many blocks are shown)."""

    def assemble(limits: list[int], n: int) -> str:
        parts = [intro] if intro else []
        parts += [b.render(limits[i]) for i, b in enumerate(blocks[:n])]
        if tail:
            parts.append(tail)
        if foot:
            parts.append(foot)
        return "\n\n".join(parts)

    n = len(blocks)
    limits = [quote_chars] * n
    text = assemble(limits, n)
    while len(text) > max_chars:
        # shorten the longest quote of the blocks still shown, down to its minimum
        shrinkable = [i for i in range(n) if limits[i] > blocks[i].min_quote]
        if shrinkable:
            i = max(shrinkable, key=lambda j: (limits[j], j))
            limits[i] = max(blocks[i].min_quote, int(limits[i] * 0.75))
        elif n > 1:
            n -= 1
        elif limits and limits[0] > 0:
            limits[0] = 0  # label only
        elif tail:
            tail = ""
        elif intro:
            intro = ""
        else:
            foot = texts.DISCLAIMER if foot != texts.DISCLAIMER else foot
            text = assemble(limits, n)
            if len(text) > max_chars:  # absurdly small limit: the disclaimer alone
                return texts.DISCLAIMER[:max_chars], 0
            return text, n
        text = assemble(limits, n)
    return text, n


# ---------------------------------------------------------------------------------------------
# The writer


@dataclass
class ExtractiveWriter:
    """Default AnswerWriter: no model, only quotes of the given passages."""

    built_at: str | Callable[[], str] = ""
    max_articles: int = 3
    quote_chars: int = 420
    clauses_per_article: int = 1
    lead_first: str = field(default=texts.ANSWER_LEAD)
    lead_more: str = field(default=texts.ANSWER_ALSO)

    def _built_at(self) -> str:
        return self.built_at() if callable(self.built_at) else self.built_at

    def blocks(self, question: str, passages: list[Passage], *, lead_first: str | None = None) -> list[Block]:
        out: list[Block] = []
        for i, p in enumerate(passages[: self.max_articles]):
            picked = pick_units(question, p, self.clauses_per_article if i == 0 else 1)
            lead = (lead_first or self.lead_first) if i == 0 else self.lead_more
            if not picked:
                out.append(Block(citation_for(p, None), lead, p.title, clean_article_text(p.text), question))
                continue
            for j, u in enumerate(picked):
                out.append(Block(citation_for(p, u.clause, u.point), lead if j == 0 else self.lead_more, p.title if j == 0 else "", _unit_quote(u), question))
        return out

    def write(self, question: str, passages: list[Passage], max_chars: int) -> WrittenAnswer:
        if not passages:
            text, _ = fit("", [], texts.NOTHING_FOUND, footer([], self._built_at()), max_chars, self.quote_chars)
            return WrittenAnswer(text=text, citations=[])
        blocks = self.blocks(question, passages)
        # the best clause of the two best articles; the others are named for who wants to read further
        for b in blocks[2:]:
            b.quote, b.min_quote = "", 0
        shown = passages[: self.max_articles]
        text, n = fit("", blocks, "", footer(shown, self._built_at()), max_chars, self.quote_chars)
        return WrittenAnswer(text=text, citations=unique_citations([b.citation for b in blocks[:n]]))


def unique_citations(citations: list[Citation]) -> list[Citation]:
    """Citations in order, each (article, khoản, điểm) once."""
    seen: set[tuple[str, str | None, str | None]] = set()
    out = []
    for c in citations:
        key = (c.article_id, c.clause, c.point)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


# ---------------------------------------------------------------------------------------------
# Re-ranking retrieved articles by how well one of their clauses answers the question


def rerank(question: str, passages: list[Passage], prior: float = 0.7, law_bonus: float = 0.1) -> tuple[list[Passage], float]:
    """Order passages by retrieval rank blended with their best clause's match; return (passages, confidence).

    Confidence in [0, 1] combines the share of the question's content words the best clause covers
    with how clearly the first article leads. The weights date from the first version (chosen by hand);
    the threshold that turns confidence into "answer" is calibrated on FAQ questions (scripts/calibrate.py).
    """
    if not passages:
        return [], 0.0
    q_uni, _ = terms(question)
    top_score = max(p.score for p in passages) or 1.0
    scored = []
    for rank, p in enumerate(passages):
        cands = [*units(p.text), Unit(None, None, p.title)]
        score_units(question, cands, (p.clause_no, None) if p.clause_no else None)
        best = max(cands, key=lambda u: u.score)
        cov = len(terms(best.text + " " + p.title)[0] & q_uni) / (len(q_uni) or 1)
        retrieval = p.score / top_score
        value = prior * retrieval + (1 - prior) * cov - 0.01 * rank
        if p.doc_type.casefold() in ("luật", "bộ luật"):
            value += law_bonus  # citizens' questions are mostly answered by the law itself, not its decrees
        if p.status == DocStatus.EXPIRED:
            value -= 2 * law_bonus  # a replaced text answers only when nothing in force does
        scored.append((value, cov, retrieval, p))
    scored.sort(key=lambda t: t[0], reverse=True)
    ranked = [t[3] for t in scored]
    best_value, best_cov = scored[0][0], scored[0][1]
    margin = best_value - (scored[1][0] if len(scored) > 1 else 0.0)
    confidence = max(0.0, min(1.0, 0.7 * best_cov + 1.5 * margin))
    return ranked, confidence
