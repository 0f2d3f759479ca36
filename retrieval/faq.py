"""Vetted FAQ files (knowledge_base/faq/*.yaml): records, schema validation, reading and writing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retrieval.normalize import has_diacritics, nfc

MIN_QUESTIONS = 2
# Five variants is the floor a writer aims for; more (the other ways citizens put the same question) help
# matching, up to a list staff can still read at a glance.
MAX_QUESTIONS = 12
ANSWER_SOFT_LIMIT = 700  # characters; longer answers are reported as a warning by the checker
_ENTRY_KEYS = {"id", "questions", "answer", "citations", "note", "reviewed_by", "reviewed_at"}
_CITATION_KEYS = {"doc_number", "article", "clause", "point", "article_id"}
_FILE_KEYS = {"topic", "slug", "entries"}
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader reads the FAQ ~10x faster


class FaqError(ValueError):
    """FAQ data that breaks the schema; `problems` lists every one found ("file: entry: message")."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:30])
        more = f"\n  ... and {len(problems) - 30} more" if len(problems) > 30 else ""
        super().__init__(f"{len(problems)} problem(s) in the FAQ:\n{shown}{more}")


@dataclass
class Problem:
    """One finding of the schema validation or of the knowledge-base checker."""

    file: str
    entry: str  # entry id, "" for the whole file
    message: str
    level: str = "error"  # "error" | "warning"
    code: str = "schema"  # schema, register, article, number, status, length, no_article_id


    def __str__(self) -> str:
        where = f"{self.file}: {self.entry}" if self.entry else self.file
        tag = "" if self.level == "error" else f"[{self.level}] "
        return f"{tag}{where}: {self.message}"


@dataclass
class Citation:
    doc_number: str
    article: str
    clause: str | None = None
    point: str | None = None
    article_id: str | None = None  # pháp điển id, or "<doc_number>::<article>" for laws_extra

    def label(self) -> str:
        """'45/2019/QH14 Điều 113 khoản 1 [20.2.LQ.113]' (the spreadsheet form)."""
        parts = [self.doc_number, f"Điều {self.article}"]
        if self.clause:
            parts.append(f"khoản {self.clause}")
        if self.point:
            parts.append(f"điểm {self.point}")
        if self.article_id:
            parts.append(f"[{self.article_id}]")
        return " ".join(parts)


@dataclass
class FaqRecord:
    id: str
    topic: str
    slug: str
    questions: list[str]
    answer: str
    citations: list[Citation] = field(default_factory=list)
    note: str | None = None
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    file: str = ""  # the file it was read from ("" when built in memory)


# ---- validation ---------------------------------------------------------------------------------


def _scalar(value: Any) -> str | None:
    """YAML scalars as text: article: 113 and reviewed_at: 2026-01-02 are accepted as written."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = nfc(str(value)).strip()
    return text or None


def _citation(raw: Any, n: int, report: _Reporter) -> Citation | None:
    if not isinstance(raw, Mapping):
        report(f"citation {n} must be a mapping with doc_number and article")
        return None
    unknown = sorted(set(raw) - _CITATION_KEYS)
    if unknown:
        report(f"citation {n}: unknown key(s) {', '.join(map(str, unknown))}")
    doc = _scalar(raw.get("doc_number"))
    article = _scalar(raw.get("article"))
    if not doc or not article:
        report(f"citation {n}: doc_number and article are required")
        return None
    return Citation(
        doc_number=doc,
        article=article,
        clause=_scalar(raw.get("clause")),
        point=_scalar(raw.get("point")),
        article_id=_scalar(raw.get("article_id")),
    )


class _Reporter:
    def __init__(self, file: str, problems: list[Problem]):
        self.file, self.problems, self.entry = file, problems, ""

    def __call__(self, message: str, level: str = "error") -> None:
        self.problems.append(Problem(self.file, self.entry, message, level))


def record_from_entry(
    raw: Any, topic: str, slug: str, file: str, problems: list[Problem], position: int = 0
) -> FaqRecord | None:
    """Validate one entry mapping; problems are appended (naming file and entry), None when unusable."""
    report = _Reporter(file, problems)
    if not isinstance(raw, Mapping):
        report.entry = f"entry {position}"
        report("an entry must be a mapping")
        return None
    entry_id = _scalar(raw.get("id")) or ""
    report.entry = entry_id or f"entry {position}"
    before = len(problems)
    if not entry_id:
        report("'id' is required")
    elif not re.fullmatch(re.escape(slug) + r"-\d{3,}", entry_id):
        report(f"id must be '{slug}-NNN' (the file's slug and a number)")
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:
        report(f"unknown key(s) {', '.join(map(str, unknown))}")

    questions_raw = raw.get("questions")
    questions = (
        [nfc(q).strip() for q in questions_raw if isinstance(q, str) and q.strip()]
        if isinstance(questions_raw, list)
        else []
    )
    if not isinstance(questions_raw, list) or len(questions) != len(questions_raw):
        report("'questions' must be a list of non-empty texts")
    if not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        report(f"needs {MIN_QUESTIONS} to {MAX_QUESTIONS} question variants, has {len(questions)}")
    if questions and all(has_diacritics(q) for q in questions):
        report("needs at least one question variant written without diacritics")
    if len({q.casefold() for q in questions}) != len(questions):
        report("two question variants are the same")

    answer = raw.get("answer")
    answer = nfc(answer).strip() if isinstance(answer, str) else ""
    if not answer:
        report("'answer' must be a non-empty text")

    citations: list[Citation] = []
    raw_citations = raw.get("citations")
    if not isinstance(raw_citations, list) or not raw_citations:
        report("'citations' must be a non-empty list (every legal statement needs a source)")
    else:
        for n, item in enumerate(raw_citations, start=1):
            cit = _citation(item, n, report)
            if cit is not None:
                citations.append(cit)

    reviewed_at = _scalar(raw.get("reviewed_at"))
    if reviewed_at and not _ISO_DATE_RE.match(reviewed_at):
        report(f"reviewed_at must be an ISO date, got {reviewed_at!r}")
    for key in ("note", "reviewed_by"):
        if raw.get(key) is not None and not isinstance(raw.get(key), str):
            report(f"'{key}' must be text or null")
    if len(problems) > before and not entry_id:
        return None
    return FaqRecord(
        id=entry_id,
        topic=topic,
        slug=slug,
        questions=questions,
        answer=answer,
        citations=citations,
        note=_scalar(raw.get("note")),
        reviewed_by=_scalar(raw.get("reviewed_by")),
        reviewed_at=reviewed_at,
        file=file,
    )


def records_from_topic(
    data: Any, file: str, problems: list[Problem], expected_slug: str | None = None
) -> list[FaqRecord]:
    """Records of one parsed topic document {topic, slug, entries}; problems appended."""
    report = _Reporter(file, problems)
    if not isinstance(data, Mapping):
        report("expected a mapping with topic, slug and entries")
        return []
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        report(f"unknown top-level key(s) {', '.join(map(str, unknown))}")
    topic = _scalar(data.get("topic")) or ""
    slug = _scalar(data.get("slug")) or ""
    if not topic:
        report("'topic' is required")
    if not _SLUG_RE.match(slug):
        report(f"'slug' must be lower-case words joined by '-', got {slug!r}")
    elif expected_slug is not None and slug != expected_slug:
        report(f"slug {slug!r} differs from the file name {expected_slug!r}")
    entries = data.get("entries")
    if not isinstance(entries, list) or not entries:
        report("'entries' must be a non-empty list")
        return []
    out = []
    for i, raw in enumerate(entries, start=1):
        rec = record_from_entry(raw, topic, slug, file, problems, position=i)
        if rec is not None:
            out.append(rec)
    return out


def faq_files(folder: Path | str) -> list[Path]:
    folder = Path(folder)
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def read_faq_file(path: Path | str, problems: list[Problem]) -> list[FaqRecord]:
    """Records of one topic file; YAML and schema problems are appended to `problems`."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)  # a safe loader (C or Python)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), "", f"cannot read ({exc})"))
        return []
    except yaml.YAMLError as exc:
        problems.append(Problem(str(path), "", f"not valid YAML ({exc})"))
        return []
    return records_from_topic(data, str(path), problems, expected_slug=path.stem)


def duplicate_id_problems(records: Iterable[FaqRecord]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for rec in records:
        if rec.id in seen:
            problems.append(Problem(rec.file, rec.id, f"id used twice (also in {seen[rec.id]})"))
        else:
            seen[rec.id] = rec.file
    return problems


def read_faq(folder: Path | str) -> tuple[list[FaqRecord], list[Problem]]:
    """All records of a folder of topic files and every schema problem (nothing raised)."""
    problems: list[Problem] = []
    records: list[FaqRecord] = []
    for path in faq_files(folder):
        records += read_faq_file(path, problems)
    problems += duplicate_id_problems(records)
    return records, problems


def load_faq(folder: Path | str) -> list[FaqRecord]:
    """All FAQ records of a folder; raises FaqError listing every schema error (file + entry id)."""
    records, problems = read_faq(folder)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise FaqError(errors)
    return records


# ---- writing ------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key ("entries:\n  - id: ..."), as the hand-written files do.
        super().increase_indent(flow, False)


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    if style is None and data and (data != data.strip() or ":" in data or "#" in data):
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def entry_dict(rec: FaqRecord) -> dict[str, Any]:
    """The YAML form of a record (key order of the README schema)."""
    citations = []
    for c in rec.citations:
        item: dict[str, Any] = {"doc_number": c.doc_number, "article": c.article}
        if c.clause:
            item["clause"] = c.clause
        if c.point:
            item["point"] = c.point
        if c.article_id:
            item["article_id"] = c.article_id
        citations.append(item)
    answer = rec.answer.strip() + "\n"  # a block scalar, as the hand-written files use
    return {
        "id": rec.id,
        "questions": list(rec.questions),
        "answer": answer,
        "citations": citations,
        "note": rec.note,
        "reviewed_by": rec.reviewed_by,
        "reviewed_at": rec.reviewed_at,
    }


def topic_dict(records: list[FaqRecord]) -> dict[str, Any]:
    first = records[0]
    return {"topic": first.topic, "slug": first.slug, "entries": [entry_dict(r) for r in records]}


def dump_topic(records: list[FaqRecord]) -> str:
    """YAML text of one topic file (records must share topic and slug)."""
    text = yaml.dump(
        topic_dict(records), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000
    )
    # One blank line between entries keeps long files readable (as the hand-written ones are).
    return re.sub(r"(?<!entries:)\n(  - id: )", r"\n\n\1", text)


def by_slug(records: Iterable[FaqRecord]) -> dict[str, list[FaqRecord]]:
    groups: dict[str, list[FaqRecord]] = {}
    for rec in records:
        groups.setdefault(rec.slug, []).append(rec)
    return groups
