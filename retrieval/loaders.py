"""Loaders that turn corpora (pháp điển, laws_extra, ALQAC, law files as published) into Articles."""

from __future__ import annotations

import html
import json
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from retrieval.normalize import nfc
from retrieval.parse import split_clauses, split_law
from retrieval.types import Article, Document

log = logging.getLogger(__name__)

LAW_FILE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx")
# Files inside a corpus folder that describe the data rather than hold it.
_NOT_SOURCES = {"provenance.md", "readme.md", "index.json", "licence", "license"}

PHAPDIEN_DOC_TYPES = {
    "LQ": "Luật",
    "NĐ": "Nghị định",
    "TT": "Thông tư",
    "TL": "Thông tư liên tịch",
    "QĐ": "Quyết định",
    "PL": "Pháp lệnh",
    "NQ": "Nghị quyết",
    "CT": "Chỉ thị",
    "LH": "Nghị quyết liên tịch",
}


@dataclass
class Skipped:
    file: str
    place: str  # "line 12", "Điều 5", "" for the whole file
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.place}" if self.place else self.file
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    """What an import took in (articles per corpus and per file) and what it skipped, with reasons."""

    imported: Counter[str] = field(default_factory=Counter)  # corpus -> articles
    files: Counter[str] = field(default_factory=Counter)  # file -> articles
    skipped: list[Skipped] = field(default_factory=list)  # bad files, lines, articles
    duplicates: list[Skipped] = field(default_factory=list)  # ids already imported (first kept)
    sources: Counter[str] = field(default_factory=Counter)  # source given -> articles read from it

    @property
    def total(self) -> int:
        return sum(self.imported.values())

    def skip(self, file: Path | str, place: str, reason: str) -> None:
        note = Skipped(str(file), place, reason)
        self.skipped.append(note)
        log.warning("skipped %s", note)

    def duplicate(self, file: Path | str, article_id: str) -> None:
        self.duplicates.append(
            Skipped(str(file), article_id, "id already imported; kept the first")
        )

    def summary(self) -> str:
        lines = [f"Imported {self.total} articles from {len(self.files)} files"]
        lines += [f"  {corpus}: {n}" for corpus, n in sorted(self.imported.items())]
        if self.duplicates:
            lines.append(
                f"Left out {len(self.duplicates)} articles whose id was already imported "
                f"(first kept), e.g. {self.duplicates[0]}"
            )
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)}:")
            lines += [f"  {note}" for note in self.skipped[:50]]
            if len(self.skipped) > 50:
                lines.append(f"  ... and {len(self.skipped) - 50} more")
        else:
            lines.append("Skipped nothing")
        return "\n".join(lines)


class SourceError(ValueError):
    """A record or file that cannot be read as law text."""


# ---- record converters ---------------------------------------------------------------------------

_CITATION_RE = re.compile(r"^Điều\s+\S+\s+(?P<type>.+?)\s+số\s+(?P<number>[^\s,;]+)(?P<rest>.*)$")
_TITLE_END_RE = re.compile(
    r"\s+ngày\s+\d|,\s*có hiệu lực|;|\s+của\s+(?:Quốc hội|Chính phủ|Bộ|Thủ tướng)"
)


def _parse_citation(citation: str) -> tuple[str, str]:
    """(document type, document title) from a pháp điển source line.

    "Điều 1 Luật số 32/2004/QH11 An ninh Quốc gia ngày 03/12/2004 của Quốc hội, có hiệu lực ..."
    -> ("Luật", "An ninh Quốc gia"); only a document's first article carries the title.
    """
    m = _CITATION_RE.match(citation)
    if not m:
        return "", ""
    doc_type = m.group("type").strip()
    doc_type = doc_type[:1].upper() + doc_type[1:].lower() if len(doc_type) <= 30 else ""
    rest = m.group("rest")
    if rest.startswith((",", ";")):
        return doc_type, ""
    end = _TITLE_END_RE.search(rest)
    return doc_type, rest[: end.start() if end else len(rest)].strip(" ,;")


def _iso_date(value: Any) -> str | None:
    """'01/07/2015' -> '2015-07-01'; ISO dates pass through; anything else -> None."""
    if not value:
        return None
    text = str(value).strip()
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    return None


def _require(rec: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if rec.get(k) in (None, "")]
    if missing:
        raise SourceError(f"missing {', '.join(missing)}")


def _strip_leading_title(text: str, title: str) -> str:
    """ALQAC texts repeat the title as their first line; keep only the body."""
    if title and text.startswith(title):
        return text[len(title) :].lstrip()
    return text


def phapdien_article(rec: dict[str, Any]) -> Article:
    _require(rec, "id", "text")
    citation = nfc(rec.get("source_citation") or "").strip()
    doc_type, doc_title = _parse_citation(citation)
    doc_type = doc_type or PHAPDIEN_DOC_TYPES.get(rec.get("doc_type_code") or "", "")
    text = nfc(rec["text"])
    return Article(
        id=rec["id"],
        doc_number=nfc(rec.get("source_doc_number") or ""),
        number=str(rec.get("source_article") or ""),
        title=nfc(rec.get("title") or ""),
        text=text,
        doc_title=doc_title,
        doc_type=doc_type,
        path=nfc(rec.get("chapter") or ""),
        topic=nfc(rec.get("chu_de_title") or ""),
        subtopic=nfc(rec.get("de_muc_title") or ""),
        source_citation=citation,
        effective_from=_iso_date(rec.get("effective_from")),
        corpus="phapdien",
        clauses=split_clauses(text),
    )


def laws_extra_article(rec: dict[str, Any]) -> Article:
    _require(rec, "doc_number", "article", "text")
    text = nfc(rec["text"])
    number = str(rec["article"])
    return Article(
        id=f"{rec['doc_number']}::{number}",
        doc_number=nfc(rec["doc_number"]),
        number=number,
        title=nfc(rec.get("article_title") or ""),
        text=text,
        doc_title=nfc(rec.get("doc_title") or ""),
        doc_type=nfc(rec.get("doc_type") or ""),
        path=nfc(rec.get("chapter") or ""),
        effective_from=_iso_date(rec.get("effective_date")),
        corpus="laws_extra",
        clauses=split_clauses(text),
    )


def alqac_article(rec: dict[str, Any], default_corpus: str = "alqac") -> Article:
    """ALQAC and legal-entailment records: doc_id '<law>::<article>', law_id is a number or a name."""
    _require(rec, "doc_id", "text")
    law = nfc(str(rec.get("law_id") or rec["doc_id"].rsplit("::", 1)[0]))
    title = nfc(rec.get("title") or "")
    text = _strip_leading_title(nfc(rec["text"]), title)
    is_number = bool(re.match(r"^[\w.-]+/[\w/.-]+$", law))
    return Article(
        id=rec["doc_id"],
        doc_number=law,
        number=str(rec.get("article_id") or rec["doc_id"].rsplit("::", 1)[-1]),
        title=title,
        text=text,
        doc_title="" if is_number else law,
        corpus=rec.get("corpus") or default_corpus,
        clauses=split_clauses(text),
    )


def _joined_path(value: Any) -> str:
    """'Phần thứ nhất:QUY ĐỊNH CHUNG' list items -> 'Phần thứ nhất. QUY ĐỊNH CHUNG / ...'."""
    if isinstance(value, list):
        return " / ".join(nfc(str(p)).replace(":", ". ", 1) for p in value if p)
    return nfc(str(value or ""))


def six_codes_article(rec: dict[str, Any]) -> Article:
    _require(rec, "doc_id", "text")
    text = nfc(rec["text"])
    return Article(
        id=rec["doc_id"],
        doc_number=nfc(rec.get("so_hieu") or rec["doc_id"].rsplit("::", 1)[0]),
        number=str(rec.get("article_id") or ""),
        title=nfc(rec.get("title") or ""),
        text=text,
        doc_title=nfc(rec.get("ten_van_ban") or ""),
        path=_joined_path(rec.get("path")),
        corpus="six_codes",
        clauses=split_clauses(text),
    )


def _record_kind(rec: dict[str, Any]) -> str | None:
    if "chu_de" in rec or "de_muc" in rec:
        return "phapdien"
    if "doc_number" in rec and "article" in rec:
        return "laws_extra"
    if "so_hieu" in rec and "doc_id" in rec:
        return "six_codes"
    if "doc_id" in rec and "text" in rec:
        return "alqac"
    return None


def _convert(kind: str, rec: dict[str, Any], path: Path) -> Article:
    if kind == "phapdien":
        return phapdien_article(rec)
    if kind == "laws_extra":
        return laws_extra_article(rec)
    if kind == "six_codes":
        return six_codes_article(rec)
    default = "legal_entailment" if "entailment" in str(path) else "alqac"
    return alqac_article(rec, default)


# ---- file readers -------------------------------------------------------------------------------


def load_jsonl(path: Path, report: ImportReport) -> Iterator[Article]:
    """Articles of a JSONL corpus file; the record schema is recognised from the first record."""
    kind: str | None = None
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            # Decoded line by line so that stray non-UTF-8 bytes cost one named line, not the build.
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                report.skip(
                    path, f"line {lineno}", f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
                )
                continue
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise SourceError("not a JSON object")
            except (json.JSONDecodeError, SourceError) as exc:
                report.skip(path, f"line {lineno}", f"bad JSON ({exc})")
                continue
            if kind is None:
                kind = _record_kind(rec)
                if kind is None:
                    report.skip(
                        path, "", f"not an article file (first record has keys {sorted(rec)[:8]})"
                    )
                    return
            try:
                yield _convert(kind, rec, path)
            except (SourceError, KeyError, TypeError, AttributeError) as exc:
                report.skip(path, f"line {lineno}", f"bad {kind} record: {exc}")


_DOC_NUMBER_RE = re.compile(r"\b(?:Số|số|Luật số|Bộ luật số)\s*:?\s*(\d+/\d{4}/[A-ZĐa-zđ0-9-]+)")
_ANY_NUMBER_RE = re.compile(r"\b(\d+/\d{4}/[A-ZĐ][A-ZĐ0-9-]*\d*)\b")
_TITLE_RE = re.compile(
    r"^(BỘ LUẬT|LUẬT|NGHỊ ĐỊNH|THÔNG TƯ|NGHỊ QUYẾT|PHÁP LỆNH|QUYẾT ĐỊNH|HIẾN PHÁP)\b.*"
)


def _number_from_name(path: Path) -> str:
    """'45_2019_QH14.txt' -> '45/2019/QH14'; other names -> the file stem."""
    stem = path.stem
    if re.fullmatch(r"\d+[_-]\d{4}[_-][\wĐđ-]+", stem):
        a, b, c = re.split(r"[_-]", stem, maxsplit=2)
        return f"{a}/{b}/{c.replace('_', '-')}"
    return stem


def law_file_text(path: Path) -> str:
    """Plain text of a law file as published (.txt, .md, .html, .docx), one paragraph per line."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _docx_text(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"not UTF-8 text (line {line}: byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from exc
    if suffix in (".html", ".htm"):
        return _html_text(text)
    if suffix in (".md", ".markdown"):
        return _markdown_text(text)
    return text


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_text(path: Path) -> str:
    """Paragraph texts of word/document.xml (no dependency beyond zipfile + ElementTree)."""
    try:
        with zipfile.ZipFile(path) as zf:
            xml = zf.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise SourceError(f"not a readable .docx ({exc})") from exc
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise SourceError(f"broken word/document.xml ({exc})") from exc
    paragraphs = []
    for para in root.iter(f"{_W}p"):
        parts = []
        for node in para.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag in (f"{_W}tab",):
                parts.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


_BLOCK_TAGS = re.compile(r"(?i)<\s*(?:br|/p|/div|/h[1-6]|/li|/tr|p|div|h[1-6]|li|tr)\b[^>]*>")
_DROP_TAGS = re.compile(r"(?is)<(script|style|head)\b.*?</\1\s*>")


def _html_text(text: str) -> str:
    text = _DROP_TAGS.sub(" ", text)
    text = _BLOCK_TAGS.sub("\n", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return html.unescape(text)


def _markdown_text(text: str) -> str:
    # Headings and emphasis marks are layout, not law text: "## Điều 1. **Phạm vi**" -> "Điều 1. Phạm vi"
    text = re.sub(r"(?m)^\s{0,3}#{1,6}\s*", "", text)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return re.sub(r"(?m)^\s*>\s?", "", text)


def load_law_file(path: Path, report: ImportReport) -> Iterator[Article]:
    """Articles of one law as published: split on Phần/Chương/Mục/"Điều N.", then khoản/điểm."""
    try:
        text = law_file_text(path)
    except (OSError, SourceError) as exc:
        report.skip(path, "", str(exc))
        return
    law = split_law(text)
    if not law.articles:
        report.skip(path, "", 'no article found (no line starting "Điều N.")')
        return
    number = (
        (m.group(1) if (m := _DOC_NUMBER_RE.search(law.header)) else None)
        or (m.group(1) if (m := _ANY_NUMBER_RE.search(law.header)) else None)
        or _number_from_name(path)
    )
    title = next(
        (line.strip() for line in law.header.splitlines() if _TITLE_RE.match(line.strip())), ""
    )
    if title and title.isupper():
        title = title[0] + title[1:].lower()
    doc_type = next(
        (
            t
            for t in (
                "Bộ luật",
                "Luật",
                "Nghị định",
                "Thông tư",
                "Nghị quyết",
                "Pháp lệnh",
                "Quyết định",
                "Hiến pháp",
            )
            if title.startswith(t)
        ),
        "",
    )
    seen: set[str] = set()
    for art in law.articles:
        if art.number in seen:
            report.skip(
                path, f"line {art.line}", f"Điều {art.number} appears twice; kept the first"
            )
            continue
        if not art.text:
            report.skip(path, f"line {art.line}", f"Điều {art.number} has no text")
            continue
        seen.add(art.number)
        yield Article(
            id=f"{number}::{art.number}",
            doc_number=number,
            number=art.number,
            title=art.title,
            text=art.text,
            doc_title=title,
            doc_type=doc_type,
            path=art.path,
            corpus=path.stem,
            clauses=split_clauses(art.text),
        )


# ---- dispatch -----------------------------------------------------------------------------------


def source_files(path: Path) -> list[Path]:
    """The corpus files under a path (a file is itself), in a stable order."""
    if path.is_file():
        return [path]
    files = [
        p
        for p in sorted(path.rglob("*"))
        if p.is_file()
        and p.name.lower() not in _NOT_SOURCES
        and not p.name.startswith(".")
        and (p.suffix.lower() == ".jsonl" or p.suffix.lower() in LAW_FILE_SUFFIXES)
        and not p.name.endswith((".raw.txt", ".raw.md"))
    ]
    return files


def load_source(path: Path | str, report: ImportReport | None = None) -> Iterator[Article]:
    """Articles from a file or a folder of corpus files; problems go to `report` and are skipped."""
    path = Path(path)
    report = report if report is not None else ImportReport()
    if not path.exists():
        report.skip(path, "", "no such file or folder")
        return
    for file in source_files(path):
        suffix = file.suffix.lower()
        if suffix == ".jsonl":
            articles: Iterable[Article] = load_jsonl(file, report)
        elif suffix in LAW_FILE_SUFFIXES:
            articles = load_law_file(file, report)
        else:
            report.skip(file, "", f"unsupported file type {suffix or '(none)'}")
            continue
        for article in articles:
            report.files[str(file)] += 1
            report.imported[article.corpus] += 1
            yield article


def load_sources(
    paths: Iterable[Path | str], report: ImportReport | None = None, *, progress: bool = False
) -> tuple[list[Article], ImportReport]:
    """All articles of several sources, first occurrence of each id kept (duplicates reported)."""
    from tqdm import tqdm

    report = report if report is not None else ImportReport()
    seen: set[str] = set()
    out: list[Article] = []
    with tqdm(desc="load articles", unit="art", disable=not progress) as bar:
        for path in paths:
            report.sources[str(path)] += 0  # listed even when it gives nothing
            for article in load_source(path, report):
                bar.update()
                report.sources[str(path)] += 1
                if article.id in seen:
                    report.imported[article.corpus] -= 1
                    report.duplicate(path, article.id)
                    continue
                seen.add(article.id)
                out.append(article)
    _share_doc_titles(out)
    return out, report


def _share_doc_titles(articles: list[Article]) -> None:
    """Give every article the document title that only some articles of that document carry."""
    titles: dict[tuple[str, str], str] = {}
    for a in articles:
        if a.doc_title and a.doc_number:
            titles.setdefault((a.corpus, a.doc_number), a.doc_title)
    for a in articles:
        if not a.doc_title and a.doc_number:
            a.doc_title = titles.get((a.corpus, a.doc_number), "")


# ---- register ---------------------------------------------------------------------------------


def attach_status(articles: Iterable[Article], register: dict[str, Document]) -> int:
    """Set status (and missing document metadata) from a register keyed by normalised doc number.

    Returns how many articles matched a register entry.
    """
    from retrieval.register import normalize_doc_number

    matched = 0
    for article in articles:
        doc = register.get(normalize_doc_number(article.doc_number)) if article.doc_number else None
        if doc is None:
            continue
        matched += 1
        article.status = doc.status
        article.doc_title = article.doc_title or doc.title
        article.doc_type = article.doc_type or doc.type
        article.effective_from = article.effective_from or doc.effective
    return matched
