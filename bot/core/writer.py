"""Extractive answer writer: quotes the clauses of the retrieved articles that answer the question, cited in full."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict

from bot.core import texts
from bot.core.clauses import Unit, clause_unit, clean_article_text, pick_units, terms
from bot.core.models import Citation, DocStatus, Passage
from bot.core.ports import FaqEntry, WrittenAnswer

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
    # a quoted point's clause lead-in: what the points share (in a fine, the amount), kept from its start
    lead_in: str = ""
    whole: str = ""  # the point's whole (short) clause, quoted instead when it fits

    def render(self, limit: int) -> str:
        label = self.citation.label()
        head = self.lead.format(label=label)
        title = f" ({self.title})" if self.title else ""
        if limit <= 0 or not self.quote:
            return f"{head[:-1] if head.endswith(':') else head}{title}."
        return f"{head[:-1]}{title}:\n“{self.quoted(limit)}”"

    def quoted(self, limit: int) -> str:
        whole = re.sub(r"\s*\n+\s*", " ", self.whole).strip()
        if whole and len(whole) <= limit:
            return whole
        if not self.lead_in:
            return trim_quote(self.quote, limit, self.focus)
        # "Phạt tiền từ 2.000.000 đồng đến 3.000.000 đồng đối với ... sau đây: … a) <the act asked about>"
        lead = trim_quote(self.lead_in, max(40, limit * 2 // 5)).rstrip("…").rstrip(" ,;:")
        # of a short list, the window of points that holds most of the question's words (the picked point
        # may be a neighbour of the one asked about); of a long one, the picked point
        points = self.whole[len(self.lead_in):].strip() if self.whole.startswith(self.lead_in) else ""
        rest = trim_quote(points or self.quote, max(40, limit - len(lead) - 3), self.focus).lstrip("…")
        return f"{lead} … {rest}"


class QuoteFields(TypedDict):
    """What a Block quotes of a unit (see Block)."""

    quote: str
    lead_in: str
    whole: str


def unit_quote(u: Unit | None, fallback: str) -> QuoteFields:
    """The one quote format, as Block fields: a clause as it is; a point after its clause's lead-in (and its
    whole short clause); no unit: `fallback` (the article's text)."""
    if u is None:
        return {"quote": fallback, "lead_in": "", "whole": ""}
    if u.point is None:
        return {"quote": u.text, "lead_in": "", "whole": u.whole}
    return {"quote": f"{u.point}) {u.text}", "lead_in": u.lead, "whole": u.whole}


def cited_point(u: Unit) -> str | None:
    """The point to cite: none when its whole clause may be quoted (the citation names the clause)."""
    return None if u.whole else u.point


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
    not_sure_quote_chars: int = 220  # up to three possibly related articles: enough to hold a figure each
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
                out.append(Block(citation_for(p, u.clause, cited_point(u)), lead if j == 0 else self.lead_more,
                                 p.title if j == 0 else "", focus=question, **unit_quote(u, p.text)))
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

    def write_not_sure(self, question: str, passages: list[Passage], suggestions: list[str],
                       max_chars: int) -> WrittenAnswer:
        blocks = []
        for p in passages:
            picked = pick_units(question, p, 1)
            u = picked[0] if picked else None
            blocks.append(Block(citation_for(p, u.clause if u else None, cited_point(u) if u else None),
                                "• {label}:", p.title, focus=question, min_quote=0, **unit_quote(u, p.text)))
        intro = texts.LOW_CONFIDENCE if blocks else texts.NOTHING_FOUND
        offered = [texts.FAQ_SUGGESTIONS_HEAD, *[f"{i}. {q}" for i, q in enumerate(suggestions, 1)]]
        tail = "\n\n".join(x for x in ("\n".join(offered) if suggestions else "", texts.LOW_CONFIDENCE_TAIL) if x)
        text, n = fit(intro, blocks, tail, self.status_footer(passages) if passages else "", max_chars,
                      self.not_sure_quote_chars)
        return WrittenAnswer(text=text, citations=unique_citations([b.citation for b in blocks[:n]]))

    def write_faq(self, entry: FaqEntry, cited: list[tuple[Citation, Passage]], max_chars: int) -> WrittenAnswer:
        blocks: list[Block] = []
        relevance: list[float] = []
        for c, p in cited:
            # the clause the FAQ answer rests on (not the citizen's words: they may name another case)
            chosen = clause_unit(p, c.clause, entry.answer, c.point)
            cite = citation_for(p, c.clause or (chosen.clause if chosen else None),
                                cited_point(chosen) if chosen else c.point)
            relevance.append(chosen.score if chosen and p.text else -1.0)
            blocks.append(Block(cite, "{label}:", p.title, focus=entry.answer, min_quote=80,
                                **unit_quote(chosen, p.text)))
        if not blocks:
            return WrittenAnswer(text="", citations=[])
        # the author lists the article the answer rests on first; another is quoted only when the first has
        # no text to quote or shares far less with the answer (a long amending article often shares most)
        top = max(relevance)
        best = next(i for i, r in enumerate(relevance) if r == top or (r > 0 and r >= FAQ_FIRST_SHARE * top))
        for i, b in enumerate(blocks):
            if i != best or relevance[i] < 0:
                b.quote, b.min_quote = "", 0
        blocks.insert(0, blocks.pop(best))
        intro = f"{entry.answer.strip()}\n\n{texts.FAQ_SOURCES}"
        # entry.note is an authoring note (corpus caveats for reviewers), not shown to citizens
        text, n = fit(intro, blocks, "", self.status_footer([p for _, p in cited]), max_chars, 260)
        return WrittenAnswer(text=text, citations=unique_citations([b.citation for b in blocks[:n]]))

    def status_footer(self, passages: list[Passage]) -> str:
        """Document status, index date, disclaimer: the end of every reply that speaks of the law."""
        return footer(passages, self._built_at())


# how much of the best-matching citation's overlap with the FAQ answer an earlier citation needs to be quoted instead
FAQ_FIRST_SHARE = 0.5


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
