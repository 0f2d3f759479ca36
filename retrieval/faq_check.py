"""Content checks of FAQ records: citations resolve to the register and the corpus, numbers match the law text."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from retrieval.faq import ANSWER_SOFT_LIMIT, FaqRecord, Problem
from retrieval.normalize import fold, nfc, strip_diacritics
from retrieval.register import is_suspended, normalize_doc_number
from retrieval.types import Document, Status

RECOMMENDED_QUESTIONS = 5  # fewer variants is a warning: writers top entries up to five
DUPLICATE_JACCARD = 0.9  # token-set Jaccard at or above which two variants ask the same question


@dataclass
class CitedArticle:
    """The text a citation's article_id points to."""

    id: str
    doc_number: str
    article: str
    text: str


# ---- numbers ------------------------------------------------------------------------------------

# References are not facts to verify: document numbers ("11/2017/QH14"), "Điều 7", "khoản 2, 3".
_DOC_REF_RE = re.compile(r"\d+/\d{4}/[^\s,;)\]]+")
_LEGAL_REF_RE = re.compile(
    r"(?i)\b(?:điều|khoản|chương|mục|phần|dieu|khoan|chuong)\s+\d+[a-zđ]?"
    r"(?:\s*(?:,|và|-|–|đến)\s*\d+[a-zđ]?)*"
)
_DATE_RE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_LIST_MARK_RE = re.compile(r"(?m)^\s*\d{1,2}[.)]\s")
# A number not glued to a preceding letter ("m2", "cm3" are units, not facts) with an optional %.
_NUMBER_RE = re.compile(r"(?<![^\W\d_])(?<![\d.,])(\d+(?:[.,]\d+)*)(\s*%|\s+phần\s+trăm)?")
_RELATED_NOTE = "(Điều này có nội dung liên quan đến"


def normalize_number(token: str) -> str:
    """'2.000.000' -> '2000000', '06' -> '6', '0,45' -> '0.45' (Vietnamese decimal comma)."""
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", token):
        return str(int(re.sub(r"[.,]", "", token)))
    if m := re.fullmatch(r"(\d+)[.,](\d+)", token):
        return f"{int(m.group(1))}.{m.group(2)}"
    if token.isdigit():
        return str(int(token))
    return token  # e.g. "1.2.3": kept as written


@functools.lru_cache(maxsize=4096)
def _numbers(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(all numbers, numbers written as percentages) of a text, normalised; cached, since many
    entries cite the same article."""
    plain: set[str] = set()
    percent: set[str] = set()
    for m in _NUMBER_RE.finditer(text):
        value = normalize_number(m.group(1))
        plain.add(value)
        if m.group(2):
            percent.add(value)
    for m in _DATE_RE.finditer(text):
        plain.update(str(int(g)) for g in m.groups())
    return frozenset(plain), frozenset(percent)


def strip_related_notes(text: str) -> str:
    """Drop pháp điển cross-reference notes "(Điều này có nội dung liên quan đến ...)": not law text."""
    out = []
    pos = 0
    while (start := text.find(_RELATED_NOTE, pos)) != -1:
        out.append(text[pos:start])
        depth = 0
        i = start
        while i < len(text):
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        pos = i + 1
    out.append(text[pos:])
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _article_numbers(text: str) -> tuple[frozenset[str], frozenset[str]]:
    return _numbers(strip_related_notes(nfc(text)))


@dataclass(frozen=True)
class AnswerNumber:
    value: str  # normalised
    written: str  # as in the answer
    percent: bool


def answer_numbers(answer: str) -> list[AnswerNumber]:
    """The numbers an answer states as facts (references, list markers and dates' parts handled)."""
    text = nfc(answer)
    text = _DOC_REF_RE.sub(" ", text)
    text = _LEGAL_REF_RE.sub(" ", text)
    text = _LIST_MARK_RE.sub(" ", text)
    found: list[AnswerNumber] = []
    for m in _DATE_RE.finditer(text):
        found += [AnswerNumber(str(int(g)), m.group(0), False) for g in m.groups()]
    text = _DATE_RE.sub(" ", text)
    for m in _NUMBER_RE.finditer(text):
        found.append(AnswerNumber(normalize_number(m.group(1)), m.group(0).strip(), bool(m.group(2))))
    unique: dict[tuple[str, bool], AnswerNumber] = {}
    for n in found:
        unique.setdefault((n.value, n.percent), n)
    return list(unique.values())


def missing_numbers(answer: str, texts: Iterable[str], allowed: Iterable[str] = ()) -> list[str]:
    """Numbers of the answer that appear in none of the texts (as written in the answer)."""
    plain: set[str] = set(allowed)
    percent: set[str] = set()
    for text in texts:
        p, pc = _article_numbers(text)
        plain |= p
        percent |= pc
    missing: list[str] = []
    for n in answer_numbers(answer):
        ok = n.value in percent if n.percent else n.value in plain
        if not ok and n.written not in missing:
            missing.append(n.written)
    return missing


# ---- cited articles -----------------------------------------------------------------------------


def _is_phapdien_id(article_id: str) -> bool:
    return "::" not in article_id


def _chu_de_file(article_id: str) -> str | None:
    head = article_id.split(".", 1)[0]
    return f"articles_chude_{int(head):02d}.jsonl" if head.isdigit() else None


def _file_names(ids: set[str]) -> set[str]:
    """File names that hold the ids: the pháp điển file of each chủ đề, the file of each document."""
    names: set[str] = set()
    for aid in ids:
        if _is_phapdien_id(aid):
            if name := _chu_de_file(aid):
                names.add(name)
        else:
            names.add(aid.split("::", 1)[0].replace("/", "_") + ".jsonl")
    return names


def _jsonl_files(roots: list[Path]) -> list[Path]:
    return [p for root in roots if root.is_dir() for p in sorted(root.rglob("*.jsonl"))]


def _record_article(rec: Mapping[str, object]) -> CitedArticle | None:
    text = rec.get("text")
    if not isinstance(text, str):
        return None
    if "chu_de" in rec or "source_doc_number" in rec:
        return CitedArticle(
            id=str(rec.get("id")),
            doc_number=nfc(str(rec.get("source_doc_number") or "")),
            article=str(rec.get("source_article") or ""),
            text=nfc(text),
        )
    if "doc_number" in rec and "article" in rec:
        doc = nfc(str(rec["doc_number"]))
        return CitedArticle(f"{doc}::{rec['article']}", doc, str(rec["article"]), nfc(text))
    return None


def _read_articles(path: Path, wanted: set[str], found: dict[str, CitedArticle]) -> None:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            art = _record_article(rec) if isinstance(rec, dict) else None
            if art is not None and nfc(art.id) in wanted:
                found.setdefault(nfc(art.id), art)


def load_cited_articles(ids: Iterable[str], roots: Iterable[Path]) -> dict[str, CitedArticle]:
    """Articles with the given ids from corpus folders (../shared/data, knowledge_base).

    First reads only the files named after an id (the pháp điển file of its chủ đề, the
    laws_extra/imported file of its document), so a check stays fast on the 100 MB corpus;
    ids still missing are then looked for in the other files of folders of the same kind.
    """
    wanted = {nfc(i) for i in ids}
    files = _jsonl_files([Path(r) for r in roots])
    names = _file_names(wanted)
    found: dict[str, CitedArticle] = {}
    read: set[Path] = set()
    for path in files:
        if nfc(path.name) in names:
            _read_articles(path, wanted, found)
            read.add(path)
    missing = wanted - set(found)
    kinds = {"phapdien" if _is_phapdien_id(i) else "laws" for i in missing}
    for path in files:
        if path in read or not missing:
            continue
        folder = path.parent.name
        if ("phapdien" in kinds and folder.startswith("phapdien")) or (
            "laws" in kinds and folder.startswith("laws")
        ):
            _read_articles(path, wanted, found)
            missing = wanted - set(found)
    return found


def _embeds_article(text: str, article: str, doc_number: str | None = None) -> bool:
    """A pháp điển record sometimes carries other articles inline, each after its own heading.

    "... Điều 4.5.LQ.29. Yêu cầu trợ giúp pháp lý (Điều 29 Luật số 11/2017/QH14, ...)": with
    `doc_number` only that source line counts (the article may come from another document, e.g.
    a decree article quoted inside its guiding circular); without it a bare heading is enough.
    """
    art = re.escape(article)
    if doc_number:
        doc = re.escape(nfc(doc_number))
        return bool(re.search(rf"\(Điều\s+{art}\s+[^()]*?số\s+{doc}(?![\w/-])", text))
    return bool(re.search(rf"(?:^|\s|\.)Điều\s+(?:[\w.]+\.)?{art}\.\s|\(Điều\s+{art}\s", text))


# ---- the check ----------------------------------------------------------------------------------


def check_records(
    records: Iterable[FaqRecord],
    register: Mapping[str, Document],
    articles: Mapping[str, CitedArticle] | None,
    corpus_complete: bool = True,
    on: dt.date | None = None,
) -> list[Problem]:
    """Citation and number problems of FAQ records.

    `articles` are the texts of the cited article ids; None when no corpus is at hand, which
    skips the checks that need text (ids exist, numbers appear in the cited article). With
    `corpus_complete` False an id missing from `articles` is not reported (it may be in the absent corpus).
    Citing an expired document or an article suspended on the day `on` (default today) is an error:
    the bot would present it as the law in force.
    """
    problems: list[Problem] = []
    for rec in records:
        def report(message: str, level: str, code: str, rec: FaqRecord = rec) -> None:
            problems.append(Problem(rec.file, rec.id, message, level, code))

        if len(rec.answer) > ANSWER_SOFT_LIMIT:
            report(f"answer has {len(rec.answer)} characters (aim for <= {ANSWER_SOFT_LIMIT})", "warning", "length")
        if len(rec.questions) < RECOMMENDED_QUESTIONS:
            report(
                f"has {len(rec.questions)} question variant(s); write {RECOMMENDED_QUESTIONS}",
                "warning",
                "variants",
            )
        texts: list[str] = []
        years: set[str] = set()
        for n, cit in enumerate(rec.citations, start=1):
            where = f"citation {n} ({cit.label()})"
            doc = register.get(normalize_doc_number(cit.doc_number))
            if doc is None:
                report(f"{where}: document {cit.doc_number} is not in documents.yaml", "error", "register")
            elif doc.status is Status.EXPIRED:
                replaced = f"; cite {doc.replaced_by} instead" if doc.replaced_by else ""
                report(f"{where}: document is expired{replaced}", "error", "status")
            elif is_suspended(doc, cit.article, on):
                until = f" until {doc.suspended_until}" if doc.suspended_until else ""
                report(
                    f"{where}: Điều {cit.article} is suspended by {doc.suspended_by}{until}; cite the rule that applies now",
                    "error",
                    "suspended",
                )
            elif doc.status is Status.NOT_YET_IN_FORCE:
                # Citing a law before it applies is sometimes right (what changes soon) but never silently.
                replaced = f", replaced by {doc.replaced_by}" if doc.replaced_by else ""
                if rec.note:
                    report(f"{where}: document is {doc.status.value}{replaced}", "warning", "status")
                else:
                    report(
                        f"{where}: document is {doc.status.value}{replaced}; say so in the entry's note",
                        "error",
                        "status",
                    )
            if m := re.match(r"\d+/(\d{4})/", cit.doc_number):
                years.add(m.group(1))
            if not cit.article_id:
                report(f"{where}: no article_id, the article cannot be checked", "warning", "no_article_id")
                continue
            if articles is None:
                continue
            art = articles.get(nfc(cit.article_id))
            if art is None:
                if corpus_complete:
                    report(f"{where}: article_id {cit.article_id} not found in the corpus", "error", "article")
                continue
            texts.append(art.text)
            same_doc = not art.doc_number or normalize_doc_number(art.doc_number) == normalize_doc_number(
                cit.doc_number
            )
            if not same_doc and not _embeds_article(art.text, cit.article, cit.doc_number):
                report(
                    f"{where}: {cit.article_id} belongs to {art.doc_number}, not {cit.doc_number}",
                    "error",
                    "article",
                )
            elif same_doc and art.article and art.article != cit.article and not _embeds_article(
                art.text, cit.article
            ):
                report(
                    f"{where}: {cit.article_id} is Điều {art.article}, not Điều {cit.article}", "error", "article"
                )
        if articles is not None and texts:
            missing = missing_numbers(rec.answer, texts, allowed=years)
            if missing:
                report(
                    "number(s) not in the text of the cited articles: " + ", ".join(missing),
                    "error",
                    "number",
                )
    return problems


# ---- near-duplicate questions ---------------------------------------------------------------------


def question_key(question: str) -> str:
    """The form two variants are compared in: folded (case, punctuation, tone placement) and without diacritics."""
    return strip_diacritics(fold(question))


def duplicate_question_problems(
    records: Iterable[FaqRecord], threshold: float = DUPLICATE_JACCARD
) -> list[Problem]:
    """Errors for entries that ask the same question as an earlier entry: two variants with the same
    key, or whose word sets overlap with Jaccard >= `threshold`. One problem per pair of entries.

    Candidate pairs come from a prefix filter (rarest words first), so the ~2,000 variants of the
    knowledge base are compared in milliseconds rather than pairwise.
    """
    recs = list(records)
    items: list[tuple[int, str, str, frozenset[str]]] = []  # (record index, variant, key, words)
    for i, rec in enumerate(recs):
        for q in rec.questions:
            key = question_key(q)
            if key:
                items.append((i, q, key, frozenset(key.split())))
    df: Counter[str] = Counter(w for *_, words in items for w in words)
    by_key: dict[str, int] = {}
    index: dict[str, list[int]] = {}
    reported: set[tuple[int, int]] = set()
    problems: list[Problem] = []

    def report(a: int, b: int, same: bool) -> None:
        first, second = sorted((items[a][0], items[b][0]))
        if (first, second) in reported:
            return
        reported.add((first, second))
        earlier, later = recs[first], recs[second]
        q_earlier = items[a][1] if items[a][0] == first else items[b][1]
        q_later = items[b][1] if items[b][0] == second else items[a][1]
        where = "" if earlier.file == later.file else f" ({earlier.file})"
        said = f"is also a question of {earlier.id}" if same else f"nearly repeats {q_earlier!r} of {earlier.id}"
        problems.append(
            Problem(
                later.file,
                later.id,
                f"question {q_later!r} {said}{where}: two entries must not answer the same question; merge or reword them",
                "error",
                "duplicate",
            )
        )

    # AllPairs: variants by increasing size; probe with the prefix any pair at `threshold` must
    # share, index only the shorter prefix a pair with an earlier (smaller) variant must share.
    mid = 2 * threshold / (1 + threshold)
    ranked = [sorted(words, key=lambda w: (df[w], w)) for *_, words in items]
    start: dict[str, int] = {}  # postings entries too small for the current size are skipped
    for n in sorted(range(len(items)), key=lambda i: (len(items[i][3]), i)):
        owner, _, key, words = items[n]
        if (m := by_key.get(key)) is not None and items[m][0] != owner:
            report(m, n, same=True)
        by_key.setdefault(key, n)
        ordered = ranked[n]
        size = len(ordered)
        probe = size - math.ceil(threshold * size - 1e-9) + 1
        smallest = threshold * size - 1e-9
        seen: set[int] = set()
        for w in ordered[:probe]:
            posting = index.get(w)
            if not posting:
                continue
            j = start.get(w, 0)
            while j < len(posting) and len(items[posting[j]][3]) < smallest:
                j += 1
            start[w] = j
            for m in posting[j:]:
                if m in seen:
                    continue
                seen.add(m)
                other_owner, _, other_key, other = items[m]
                if other_owner == owner or other_key == key:
                    continue
                if len(words & other) >= threshold * len(words | other) - 1e-9:
                    report(m, n, same=False)
        for w in ordered[: size - math.ceil(mid * size - 1e-9) + 1]:
            index.setdefault(w, []).append(n)
    return problems


def register_problems(register: Mapping[str, Document], path: str) -> list[Problem]:
    """Register entries whose replaced_by names a document missing from the register."""
    problems = []
    for doc in register.values():
        for target in re.split(r"\s*[;,]\s*|\s+và\s+", doc.replaced_by or ""):
            if target and normalize_doc_number(target) not in register:
                problems.append(
                    Problem(path, doc.number, f"replaced_by {target} is not in the register", "warning", "register")
                )
    return problems
