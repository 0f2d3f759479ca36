"""Knowledge-base maintenance: import law files, pháp điển JSONL and FAQ (YAML/CSV); export FAQ; check it all."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retrieval.faq import (
    YAML_LOADER,
    Citation,
    FaqRecord,
    Problem,
    by_slug,
    dump_topic,
    duplicate_id_problems,
    load_faq,
    read_faq,
    read_faq_file,
    record_from_entry,
    records_from_topic,
)
from retrieval.faq_check import (
    check_records,
    duplicate_question_problems,
    load_cited_articles,
    register_problems,
)
from retrieval.loaders import LAW_FILE_SUFFIXES, ImportReport, load_source
from retrieval.normalize import nfc, strip_diacritics
from retrieval.register import (
    RegisterError,
    entry_yaml,
    load_register,
    normalize_doc_number,
)
from retrieval.types import Article, Document, Status

FAQ_DIR = "faq"
REGISTER_FILE = "documents.yaml"
LAWS_DIR = "laws"  # imported law texts, one JSONL per document (laws_extra record format)
PHAPDIEN_DIR = "phapdien"  # imported pháp điển JSONL, records unchanged
CSV_COLUMNS = ["id", "topic", "slug", "questions", "answer", "citations", "note", "reviewed_by", "reviewed_at"]
_REQUIRED_CSV = {"topic", "questions", "answer", "citations"}


# ---- CSV (the staff spreadsheet) ----------------------------------------------------------------

_CIT_DOC_RE = re.compile(r"\d+/\d{4}/[^\s,;\[\]]+")
_CIT_ARTICLE_RE = re.compile(r"(?i)\b(?:điều|dieu|đ\.)\s*(\d+[a-zđ]?)\b")
_CIT_CLAUSE_RE = re.compile(r"(?i)\b(?:khoản|khoan|k\.)\s*(\d+)\b")
_CIT_POINT_RE = re.compile(r"(?i)\b(?:điểm|diem)\s*([a-zđ])\b")
_CIT_ID_RE = re.compile(r"\[([^\]]+)\]")


def parse_citation(text: str) -> Citation:
    """'45/2019/QH14 Điều 113 khoản 1 [20.2.LQ.113]' -> Citation; parts may come in any order.

    Raises ValueError naming what is missing.
    """
    text = nfc(text).strip()
    ident = _CIT_ID_RE.search(text)
    rest = _CIT_ID_RE.sub(" ", text)
    doc = _CIT_DOC_RE.search(rest)
    article = _CIT_ARTICLE_RE.search(rest)
    if not doc or not article:
        raise ValueError(f"citation {text!r} needs a document number and 'Điều N'")
    clause = _CIT_CLAUSE_RE.search(rest)
    point = _CIT_POINT_RE.search(rest)
    return Citation(
        doc_number=doc.group(0),
        article=article.group(1),
        clause=clause.group(1) if clause else None,
        point=point.group(1).lower() if point else None,
        article_id=ident.group(1).strip() if ident else None,
    )


def split_questions(cell: str) -> list[str]:
    return [q.strip() for q in re.split(r"\s+\|\s+|\r?\n", cell or "") if q.strip()]


def split_citations(cell: str) -> list[str]:
    return [c.strip() for c in re.split(r";|\r?\n", cell or "") if c.strip()]


def slugify(text: str) -> str:
    """'Khiếu nại, tố cáo' -> 'khieu-nai-to-cao'."""
    return re.sub(r"[^a-z0-9]+", "-", strip_diacritics(nfc(text)).lower()).strip("-")


def _delimiter(text: str) -> str:
    """The separator of the header line (comma, semicolon or tab). Not csv.Sniffer: on our own exports
    it guessed doublequote=False from answers full of quotes and then split cells inside them."""
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def read_faq_csv(path: Path) -> tuple[list[FaqRecord], list[Problem]]:
    """FAQ rows of a spreadsheet export (UTF-8, with or without BOM; comma, semicolon or tab).

    Columns: id, topic, questions (" | " or newline separated), answer, citations ("; " separated),
    reviewed_by, reviewed_at; optional slug and note. A row without id gets one when it is imported.
    """
    problems: list[Problem] = []
    records: list[FaqRecord] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(str(path), "", f"cannot read as UTF-8 text ({exc})")]
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=csv.excel, delimiter=_delimiter(text))
    header = {(h or "").strip().lower() for h in reader.fieldnames or []}
    missing = _REQUIRED_CSV - header
    if missing:
        return [], [Problem(str(path), "", f"missing column(s): {', '.join(sorted(missing))}")]
    for row_no, row in enumerate(reader, start=2):  # row 1 is the header
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        where = row.get("id") or f"row {row_no}"
        topic = nfc(row.get("topic", ""))
        slug = row.get("slug") or _slug_from_id(row.get("id", "")) or slugify(topic)
        citations: list[dict[str, Any]] = []
        bad = False
        for cell in split_citations(row.get("citations", "")):
            try:
                c = parse_citation(cell)
            except ValueError as exc:
                problems.append(Problem(str(path), where, str(exc)))
                bad = True
                continue
            citations.append({k: v for k, v in vars(c).items() if v})
        raw = {
            "id": row.get("id") or f"{slug}-000",  # placeholder, numbered on import
            "questions": split_questions(row.get("questions", "")),
            "answer": row.get("answer", ""),
            "citations": citations,
            "note": row.get("note") or None,
            "reviewed_by": row.get("reviewed_by") or None,
            "reviewed_at": row.get("reviewed_at") or None,
        }
        before = len(problems)
        rec = record_from_entry(raw, topic, slug, str(path), problems, position=row_no)
        for p in problems[before:]:
            p.entry = where
        if not topic:
            problems.append(Problem(str(path), where, "'topic' is required"))
        if rec is not None and len(problems) == before and not bad and topic:
            if not row.get("id"):
                rec.id = ""
            records.append(rec)
    return records, problems


def _slug_from_id(entry_id: str) -> str:
    m = re.fullmatch(r"([a-z0-9-]+)-\d{3,}", entry_id or "")
    return m.group(1) if m else ""


def faq_to_csv(records: Iterable[FaqRecord]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow(
            {
                "id": r.id,
                "topic": r.topic,
                "slug": r.slug,
                "questions": " | ".join(r.questions),
                "answer": r.answer,
                "citations": "; ".join(c.label() for c in r.citations),
                "note": r.note or "",
                "reviewed_by": r.reviewed_by or "",
                "reviewed_at": r.reviewed_at or "",
            }
        )
    return out.getvalue()


# ---- import -------------------------------------------------------------------------------------


@dataclass
class KbImportResult:
    faq_added: int = 0
    faq_updated: int = 0
    faq_files: list[str] = field(default_factory=list)
    articles: Counter[str] = field(default_factory=Counter)  # written file -> articles
    documents_added: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    law_report: ImportReport = field(default_factory=ImportReport)
    written: bool = True  # False: problems were found and nothing was written

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    def summary(self) -> str:
        lines = [
            f"FAQ: {self.faq_added} entries added, {self.faq_updated} updated"
            + (f" ({', '.join(self.faq_files)})" if self.faq_files else ""),
            f"Articles: {sum(self.articles.values())} written to {len(self.articles)} file(s)",
        ]
        lines += [f"  {f}: {n}" for f, n in sorted(self.articles.items())]
        lines.append(f"Register: {len(self.documents_added)} document(s) added (status unknown until reviewed)")
        lines += [f"  {d}" for d in self.documents_added[:30]]
        if self.law_report.skipped:
            lines.append(f"Skipped in law files: {len(self.law_report.skipped)}")
            lines += [f"  {s}" for s in self.law_report.skipped[:30]]
        if self.problems:
            lines.append(f"Problems: {len(self.problems)}")
            lines += [f"  {p}" for p in self.problems]
        if not self.written:
            lines.append("Nothing was written: fix the errors above and import again.")
        return "\n".join(lines)


def _source_files(src: Path) -> list[Path]:
    if src.is_file():
        return [src]
    return sorted(
        p
        for p in src.rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        and p.name.lower() not in ("readme.md", "provenance.md")
        and not p.name.endswith((".raw.txt", ".raw.md"))
    )


def _faq_from_yaml(path: Path, problems: list[Problem]) -> list[FaqRecord] | None:
    """Records of a FAQ YAML file (one topic, or a stream of topics as `kb export` writes); None if not FAQ."""
    try:
        docs = [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(str(path), "", f"not readable YAML ({exc})"))
        return []
    if not docs or not all(isinstance(d, dict) and "entries" in d for d in docs):
        return None
    out: list[FaqRecord] = []
    for d in docs:
        out += records_from_topic(d, str(path), problems)
    return out


def _jsonl_kind(path: Path) -> str | None:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    return None
                if not isinstance(rec, dict):
                    return None
                if "chu_de" in rec or "de_muc" in rec:
                    return "phapdien"
                if "doc_number" in rec and "article" in rec:
                    return "laws"
                return None
    return None


def _doc_file_name(number: str) -> str:
    return re.sub(r"[^\wĐđ-]+", "_", nfc(number).replace("/", "_")).strip("_") + ".jsonl"


def _law_record(a: Article) -> dict[str, Any]:
    return {
        "doc_number": a.doc_number,
        "doc_title": a.doc_title or None,
        "doc_type": a.doc_type or None,
        "issued_date": None,
        "effective_date": a.effective_from,
        "article": a.number,
        "article_title": a.title or None,
        "chapter": a.path or None,
        "text": a.text,
    }


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _merge_faq(kb: Path, incoming: list[FaqRecord], result: KbImportResult, dry_run: bool) -> None:
    """Merge records into faq/<slug>.yaml: same id replaces, new ids are appended, missing ids numbered."""
    existing_all, _ = read_faq(kb / FAQ_DIR)
    taken = {r.id for r in existing_all}
    for slug, recs in by_slug(incoming).items():
        path = kb / FAQ_DIR / f"{slug}.yaml"
        current: list[FaqRecord] = []
        if path.exists():
            file_problems: list[Problem] = []
            current = read_faq_file(path, file_problems)
            if any(p.entry == "" for p in file_problems):  # the file itself is broken: leave it alone
                result.problems += file_problems
                result.problems.append(Problem(str(path), "", "not updated: fix the file first"))
                continue
        index = {r.id: i for i, r in enumerate(current)}
        numbers = [int(m.group(1)) for r in current if (m := re.search(r"-(\d+)$", r.id))]
        numbers += [
            int(m.group(1))
            for i in taken | {r.id for r in recs}
            if i.startswith(slug + "-") and (m := re.search(r"-(\d+)$", i))
        ]
        next_no = max(numbers, default=0) + 1
        changed = False
        for rec in recs:
            if rec.topic != (current[0].topic if current else rec.topic):
                result.problems.append(
                    Problem(str(path), rec.id, f"topic {rec.topic!r} differs from the file's {current[0].topic!r}; file's kept", "warning")
                )
                rec.topic = current[0].topic
            if not rec.id:
                rec.id = f"{slug}-{next_no:03d}"
                next_no += 1
            rec.file = str(path)
            if rec.id in index:
                if _same_entry(current[index[rec.id]], rec):
                    continue  # unchanged: an export imported back touches nothing
                current[index[rec.id]] = rec
                result.faq_updated += 1
                changed = True
            else:
                index[rec.id] = len(current)
                current.append(rec)
                taken.add(rec.id)
                result.faq_added += 1
                changed = True
        if not changed:
            continue
        if not dry_run:
            _write_atomic(path, dump_topic(current))
        result.faq_files.append(str(path))


def _same_entry(a: FaqRecord, b: FaqRecord) -> bool:
    """Same content whatever file or layout it came from (the YAML style of a file is kept when equal)."""
    return dataclasses.replace(a, file="") == dataclasses.replace(b, file="")


def _append_documents(kb: Path, articles: list[Article], sources: dict[str, str], result: KbImportResult, dry_run: bool) -> None:
    """Add the documents of imported articles that the register lacks (status unknown, to be reviewed)."""
    path = kb / REGISTER_FILE
    try:
        register = load_register(path) if path.exists() else {}
    except RegisterError as exc:
        result.problems.append(Problem(str(path), "", f"register not updated: {exc}"))
        return
    new: dict[str, Document] = {}
    today = dt.date.today().isoformat()
    for a in articles:
        key = normalize_doc_number(a.doc_number) if a.doc_number else ""
        if not key or key in register:
            continue
        doc = new.setdefault(
            key,
            Document(
                number=a.doc_number,
                type=a.doc_type,
                title=a.doc_title,
                status=Status.UNKNOWN,
                note=f"Nhập từ {sources.get(a.doc_number, '?')} ngày {today}; chưa kiểm tra hiệu lực.",
            ),
        )
        doc.title = doc.title or a.doc_title
        doc.type = doc.type or a.doc_type
        doc.effective = doc.effective or a.effective_from
    if not new:
        return
    result.documents_added = [d.number for d in new.values()]
    if dry_run:
        return
    text = path.read_text(encoding="utf-8") if path.exists() else "documents:\n"
    if not text.endswith("\n"):
        text += "\n"
    text += "".join(entry_yaml(d, source="import") for d in new.values())
    _write_atomic(path, text)


def import_sources(src: Path | str, kb: Path | str, dry_run: bool = False) -> KbImportResult:
    """Import a file or folder into the knowledge base folder `kb`.

    - FAQ (.yaml/.yml topic files, .csv spreadsheets) -> faq/<slug>.yaml, merged by entry id;
      invalid entries are reported (file + entry) and not written.
    - pháp điển JSONL -> phapdien/<name>.jsonl (records unchanged, NFC); laws_extra-style JSONL and
      law texts (.txt/.md/.html/.docx) -> laws/<doc number>.jsonl, one article per line.
    - documents of imported articles missing from documents.yaml are appended with status unknown.
    """
    src, kb = Path(src), Path(kb)
    result = KbImportResult()
    if not src.exists():
        result.problems.append(Problem(str(src), "", "no such file or folder"))
        return result
    faq: list[FaqRecord] = []
    articles: list[Article] = []
    doc_sources: dict[str, str] = {}
    pending: list[tuple[Path, str]] = []  # law files, written only once every source was read without error
    for path in _source_files(src):
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            recs = _faq_from_yaml(path, result.problems)
            if recs is None:
                result.problems.append(Problem(str(path), "", "not a FAQ file (no 'entries'); skipped", "warning"))
            else:
                faq += recs
        elif suffix == ".csv":
            recs, probs = read_faq_csv(path)
            faq += recs
            result.problems += probs
        elif suffix == ".jsonl":
            kind = _jsonl_kind(path)
            if kind is None:
                result.problems.append(Problem(str(path), "", "not a pháp điển or law-article JSONL; skipped", "warning"))
                continue
            arts = list(load_source(path, result.law_report))
            articles += arts
            for a in arts:
                doc_sources.setdefault(a.doc_number, path.name)
            if kind == "phapdien":
                lines = [nfc(line.rstrip("\n")) for line in path.open(encoding="utf-8") if line.strip()]
                out = kb / PHAPDIEN_DIR / path.name
                pending.append((out, "\n".join(lines) + "\n"))
                result.articles[str(out)] += len(arts)
            else:
                _write_laws(kb, arts, result, pending)
        elif suffix in LAW_FILE_SUFFIXES:
            arts = list(load_source(path, result.law_report))
            articles += arts
            for a in arts:
                doc_sources.setdefault(a.doc_number, path.name)
            _write_laws(kb, arts, result, pending)
        else:
            result.problems.append(Problem(str(path), "", f"unsupported file type {suffix or '(none)'}; skipped", "warning"))
    result.problems += duplicate_id_problems(r for r in faq if r.id)
    if result.errors and not dry_run:
        # all or nothing: a half-applied spreadsheet is worse than none (the summary lists what to fix)
        dry_run = True
        result.written = False
    if not dry_run:
        for out, text in pending:
            _write_atomic(out, text)
    if faq:
        _merge_faq(kb, faq, result, dry_run)
    if articles:
        _append_documents(kb, articles, doc_sources, result, dry_run)
    return result


def _write_laws(kb: Path, articles: list[Article], result: KbImportResult, pending: list[tuple[Path, str]]) -> None:
    by_doc: dict[str, list[Article]] = {}
    for a in articles:
        by_doc.setdefault(a.doc_number, []).append(a)
    for number, arts in by_doc.items():
        out = kb / LAWS_DIR / _doc_file_name(number)
        text = "".join(json.dumps(_law_record(a), ensure_ascii=False) + "\n" for a in arts)
        pending.append((out, text))
        result.articles[str(out)] += len(arts)


# ---- export -------------------------------------------------------------------------------------


def export_faq(
    kb: Path | str,
    fmt: str,
    out: Path | str,
    approved: Iterable[FaqRecord] = (),
    *,
    approved_only: bool = False,
) -> int:
    """Write every FAQ entry as one CSV (UTF-8 with BOM, opens in Excel) or as YAML.

    `approved`: the entries approved in the desk (from the database); they replace a shipped entry
    with the same id. `approved_only`: write only those (e.g. into the repository's FAQ folder).
    YAML: a folder of topic files, or one file holding a stream of topic documents when `out`
    ends in .yaml/.yml. Returns the number of entries written; raises FaqError on schema errors.
    """
    stored = list(approved)
    ids = {r.id for r in stored}
    shipped = [] if approved_only else [r for r in load_faq(Path(kb) / FAQ_DIR) if r.id not in ids]
    records = shipped + stored
    out = Path(out)
    if fmt == "csv":
        _write_atomic(out, "\ufeff" + faq_to_csv(records))
    elif fmt == "yaml":
        groups = by_slug(records)
        if out.suffix.lower() in (".yaml", ".yml"):
            _write_atomic(out, "---\n".join(dump_topic(recs) for recs in groups.values()))
        else:
            for slug, recs in groups.items():
                path = out / f"{slug}.yaml"
                if approved_only and path.is_file():
                    # entries already in the repository's file (e.g. approved before the FAQ moved to
                    # the database) stay: the database's entries are added or replace theirs by id
                    kept = [r for r in read_faq_file(path, []) if r.id not in ids]
                    recs = kept + recs
                _write_atomic(path, dump_topic(recs))
    else:
        raise ValueError(f"unknown format {fmt!r} (yaml or csv)")
    return len(records)


# ---- check --------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    records: list[FaqRecord]
    register_size: int
    problems: list[Problem]
    data_dir: Path | None  # None when no corpus was found: ids and numbers were not checked

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level != "error"]

    def summary(self) -> str:
        """The findings (errors first), then the counts: entries, topics, variants, per topic, errors, warnings."""
        topics = Counter(r.topic for r in self.records)
        variants = Counter[str]()
        for r in self.records:
            variants[r.topic] += len(r.questions)
        lines = [f"{len(self.errors)} error(s):"] if self.errors else []
        lines += [f"  {p}" for p in self.errors]
        if self.warnings:
            lines.append(f"{len(self.warnings)} warning(s):")
            lines += [f"  {p}" for p in self.warnings]
        if self.data_dir is None:
            lines.append("Corpus folder not found: article ids and numbers were NOT checked")
        else:
            lines.append(f"Corpus: {self.data_dir} (+ imported texts in the knowledge base)")
        lines.append(
            f"FAQ: {len(self.records)} entries in {len(topics)} topics, "
            f"{sum(variants.values())} question variants; register: {self.register_size} documents"
        )
        lines += [f"  {t}: {n} entries, {variants[t]} variants" for t, n in sorted(topics.items())]
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)


def default_data_dir(kb: Path) -> Path:
    env = os.environ.get("LAWBOT_SHARED_DATA")
    return Path(env) if env else kb.resolve().parent.parent / "shared" / "data"


def check_knowledge_base(kb: Path | str, data_dir: Path | str | None = None) -> CheckResult:
    """Schema, register, citations (document in force, article not suspended, article id, article
    number), numbers of the FAQ, and no two entries asking the same question."""
    kb = Path(kb)
    records, problems = read_faq(kb / FAQ_DIR)
    register_path = kb / REGISTER_FILE
    register: dict[str, Document] = {}
    try:
        register = load_register(register_path)
    except RegisterError as exc:
        problems.append(Problem(str(register_path), "", str(exc), code="register"))
    problems += register_problems(register, str(register_path))
    data = Path(data_dir) if data_dir is not None else default_data_dir(kb)
    roots = [kb] + ([data] if data.is_dir() else [])
    ids = {c.article_id for r in records for c in r.citations if c.article_id}
    # Without the corpus only texts imported into the knowledge base can be checked; ids not found
    # there are then not errors (they may well be in the absent corpus).
    has_imports = any((kb / d).is_dir() for d in (LAWS_DIR, PHAPDIEN_DIR))
    articles = load_cited_articles(ids, roots) if data.is_dir() or has_imports else None
    problems += check_records(records, register, articles, corpus_complete=data.is_dir())
    problems += duplicate_question_problems(records)
    return CheckResult(records, len(register), problems, data if data.is_dir() else None)
