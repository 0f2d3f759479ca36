"""Audit the vetted FAQ for answers that do not lead with what their questions ask (flags for a writer to fix)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python scripts/audit_faq.py` from anywhere
    sys.path.insert(0, str(ROOT))

from bot.core.faq_match import asked, content_words, gives  # noqa: E402
from retrieval.faq import FaqRecord, read_faq  # noqa: E402
from retrieval.faq_check import answer_numbers, missing_numbers  # noqa: E402
from retrieval.parse import split_clauses  # noqa: E402
from retrieval.register import is_suspended, load_register, normalize_doc_number  # noqa: E402
from retrieval.types import Document, Status  # noqa: E402

# What each flag means (the report prints these next to the counts).
CHECKS: dict[str, str] = {
    "variant_lacks": "a question variant asks a kind of value (duration, percent, money, age) the answer never states",
    "buried": "the answer states the asked kind of value, but not in its lead (first one or two sentences)",
    "lead_off_topic": "the lead shares few content words with the first question",
    "first_cite_figures": "figures of the lead are not in the first citation's article (its clause when one is given)",
    "first_cite_not_basis": "a variant asks how much or what fine; the answer's first amount or percentage is in a later citation",
    "cite_status": "a citation is expired, suspended today, not yet in force, or missing from the register",
    "cite_unresolved": "the first citation's article is not in the index",
}

# Below this share of the first question's content words found in the lead, the lead is off topic.
LEAD_OVERLAP_MIN = 0.25
# A first sentence this short ("Có.", "Không được.", "Có, đó là thừa kế thế vị.") answers a yes/no
# question: the lead then runs on to the next sentence, which states the rule.
_SHORT_LEAD_WORDS = 4
_YES_NO = re.compile(r"^(có|không|được|chưa|vẫn|tùy|tuỳ)\b", re.IGNORECASE)
_YES_NO_LEAD_WORDS = 10
# "ngay sau khi nhận đủ giấy tờ": done at once, an answer to "how long" although it has no number.
_AT_ONCE = re.compile(r"\bngay (sau khi|khi|trong ngày)\b", re.IGNORECASE)
# The first money amount or percentage of an answer ("200.000 đồng", "75%"): the fact a "how much" answer rests on.
_FIGURE = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+)\s*đồng|(?<![\d.,])(\d+(?:,\d+)?)\s*%")
_FINE = re.compile(r"\b(phạt|phat|xử phạt|xu phat)\b", re.IGNORECASE)
# "đã mấy tháng nay", "nợ mấy tháng": a narrative's time, not a question about a duration.
_NARRATIVE_TIME = re.compile(
    r"\b(mấy|vài|nhiều|hai|ba)\s+(ngày|tuần|tháng|năm)\s+(nay|trước|liền|rồi|qua|cuối|đầu|công tác)\b"
    r"|\b(nợ|bỏ|đi làm ăn xa|ly thân|thất nghiệp)\b[^.?!,]{0,20}\bmấy\s+(tháng|năm)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-ZĐÀ-Ỹ0-9(\"“])|\n+")


class ArticleSource(Protocol):
    """What the audit needs of the index: an article's text by id (bot.adapters IndexRetriever.get)."""

    def get(self, article_id: str) -> Any: ...


@dataclass
class Flag:
    entry: str
    file: str
    check: str
    detail: str


def sentences(text: str) -> list[str]:
    """The answer's sentences (a line break also ends one)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s and s.strip()]


def lead(answer: str) -> str:
    """The answer's first sentence, run on to the second when the first is a bare yes/no."""
    parts = sentences(answer)
    if not parts:
        return ""
    first = parts[0]
    words = len(first.split())
    yes_no = words <= _YES_NO_LEAD_WORDS and _YES_NO.match(first)
    if (words <= _SHORT_LEAD_WORDS or yes_no or first.endswith(":")) and len(parts) > 1:
        first = f"{first} {parts[1]}"
    return first


def lead_overlap(question: str, answer: str) -> float:
    """Share of the question's content words that the answer's lead contains (1.0 when the question has none)."""
    q = content_words(question)
    if not q:
        return 1.0
    return len(q & content_words(lead(answer), whole=True)) / len(q)


def _clause_text(text: str, clause: str | None) -> str:
    if not clause:
        return text
    for c in split_clauses(text):
        if c.number == clause:
            return c.text
    return text  # a clause the parser cannot find: judge on the whole article


def audit_record(
    rec: FaqRecord,
    register: Mapping[str, Document],
    articles: ArticleSource | None = None,
    on: Any = None,
) -> list[Flag]:
    """Every flag of one entry (see CHECKS); `articles` None skips the checks that need law text."""
    flags: list[Flag] = []

    def flag(check: str, detail: str) -> None:
        flags.append(Flag(rec.id, rec.file, check, detail))

    answer_kinds = gives(rec.answer) | ({"duration"} if _AT_ONCE.search(rec.answer) else set())
    head = lead(rec.answer)
    head_two = " ".join(sentences(rec.answer)[:2])
    lead_kinds = gives(head_two) | ({"duration"} if _AT_ONCE.search(head_two) else set())
    for q in rec.questions:
        wanted = asked(_NARRATIVE_TIME.sub(" ", q))
        if missing := sorted(wanted - answer_kinds):
            flag("variant_lacks", f"{'/'.join(missing)}: {q}")
        elif buried := sorted(wanted - lead_kinds):
            flag("buried", f"{'/'.join(buried)}: {q}")
    if rec.questions:
        share = lead_overlap(rec.questions[0], rec.answer)
        if share < LEAD_OVERLAP_MIN:
            flag("lead_off_topic", f"{share:.2f} of the first question's words in the lead: {head[:120]}")
    for n, cit in enumerate(rec.citations, start=1):
        doc = register.get(normalize_doc_number(cit.doc_number))
        label = cit.label()
        if doc is None:
            flag("cite_status", f"citation {n} {label}: document not in the register")
        elif doc.status is Status.EXPIRED:
            flag("cite_status", f"citation {n} {label}: document expired (replaced by {doc.replaced_by})")
        elif is_suspended(doc, cit.article, on):
            flag("cite_status", f"citation {n} {label}: article suspended by {doc.suspended_by} until {doc.suspended_until}")
        elif doc.status is Status.NOT_YET_IN_FORCE and not rec.note:
            flag("cite_status", f"citation {n} {label}: document not yet in force and no note says so")
    if articles is not None and rec.citations:
        first = rec.citations[0]
        passage = articles.get(first.article_id or "") or articles.get(f"{first.doc_number}::{first.article}")
        if passage is None or not getattr(passage, "text", ""):
            flag("cite_unresolved", f"{first.label()} not in the index")
        elif answer_numbers(head):
            where = _clause_text(passage.text, first.clause)
            # a figure from another cited clause of the same article ("trừ 02 điểm" next to the fine) is
            # quoted with it: only a figure no cited clause of that article holds is flagged
            siblings = [_clause_text(passage.text, c.clause) for c in rec.citations[1:]
                        if c.article_id == first.article_id and c.clause and c.clause != first.clause]
            if missing := missing_numbers(head, [where, *siblings]):
                scope = f"khoản {first.clause}" if where is not passage.text else "article"
                flag("first_cite_figures", f"{', '.join(missing)} not in the first citation's {scope} ({first.label()})")
        # "phạt thế nào" asks for the fine as much as "phạt bao nhiêu" does
        asks_amount = any(asked(q) & {"money", "percent"} or _FINE.search(q) for q in rec.questions)
        if asks_amount and passage is not None and getattr(passage, "text", "") and (m := _FIGURE.search(rec.answer)):
            figure = m.group(0)
            where = _clause_text(passage.text, first.clause)
            siblings = [_clause_text(passage.text, c.clause) for c in rec.citations[1:]
                        if c.article_id == first.article_id and c.clause and c.clause != first.clause]
            if missing_numbers(figure, [where, *siblings]):
                for c in rec.citations[1:]:
                    other = articles.get(c.article_id or "") or articles.get(f"{c.doc_number}::{c.article}")
                    if other is not None and other.text and not missing_numbers(figure, [_clause_text(other.text, c.clause)]):
                        flag("first_cite_not_basis", f"{figure} is in {c.label()}, cited after {first.label()}")
                        break
    return flags


def audit(
    records: Iterable[FaqRecord], register: Mapping[str, Document], articles: ArticleSource | None = None
) -> list[Flag]:
    return [f for rec in records for f in audit_record(rec, register, articles)]


def summary(flags: list[Flag], n_entries: int) -> str:
    by_check = Counter(f.check for f in flags)
    entries = {f.entry for f in flags}
    lines = [f"{n_entries} entries, {len(entries)} flagged, {len(flags)} flags"]
    for check, what in CHECKS.items():
        lines.append(f"  {check:20} {by_check.get(check, 0):5}  {what}")
    return "\n".join(lines)


def _open_index(index_dir: Path, register: Mapping[str, Document]) -> ArticleSource:
    from bot.adapters.retriever import IndexRetriever
    from retrieval.index import load_index

    return IndexRetriever(load_index(index_dir, dense=False), dict(register))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kb", type=Path, default=ROOT / "knowledge_base", help="knowledge base folder")
    ap.add_argument("--index", type=Path, help="index folder (its CURRENT build) for the law-text checks")
    ap.add_argument("--topic", action="append", help="only these topic slugs (repeatable)")
    ap.add_argument("--check", action="append", choices=sorted(CHECKS), help="only list these checks")
    ap.add_argument("--json", action="store_true", help="every flag as one JSON object per line")
    ap.add_argument("--list", action="store_true", help="list the flags under the counts")
    args = ap.parse_args(argv)

    records, problems = read_faq(args.kb / "faq")
    if problems:
        print(f"{len(problems)} schema problem(s); run `lawbot kb check`", file=sys.stderr)
    if args.topic:
        records = [r for r in records if r.slug in set(args.topic)]
    register = load_register(args.kb / "documents.yaml")
    articles = _open_index(args.index, register) if args.index else None
    flags = audit(records, register, articles)
    if args.check:
        flags = [f for f in flags if f.check in set(args.check)]
    if args.json:
        for f in flags:
            print(json.dumps(asdict(f), ensure_ascii=False))
        return 0
    print(summary(flags, len(records)))
    if args.list:
        for f in flags:
            print(f"{f.entry:32} {f.check:20} {f.detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
