"""Register of legal documents (knowledge_base/documents.yaml): number -> Document with its status."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from retrieval.types import Document, Status

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the register has thousands of entries

_DOC_FIELDS = {f.name for f in fields(Document)}
# Keys the register file may carry besides Document's fields: bookkeeping for scripts/build_register.py.
_EXTRA_KEYS = {"curated", "source"}
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGE_RE = re.compile(r"^(\d+)\s*(?:[-–]\s*(\d+))?$")
# Agency codes typed without "Đ" (keyboards without Vietnamese input): only whole codes are fixed,
# so "UBND" in "QĐ-UBND" stays as it is.
_D_CODES = {"ND": "NĐ", "QD": "QĐ", "GDDT": "GDĐT", "BGDDT": "BGDĐT"}
_CODE_RE = re.compile(r"[A-ZĐ]+")


class RegisterError(ValueError):
    """The register file cannot be read; the message names the file and the entry."""


def normalize_doc_number(number: str) -> str:
    """Canonical key of a document number: '45/2019/qh14' -> '45/2019/QH14', '13/2023/ND-CP' -> '13/2023/NĐ-CP'.

    NFC, upper case, no spaces, en dashes as hyphens, NĐ/ND/nđ unified to NĐ, a leading
    "Số" dropped, and a one-digit serial padded to two digits as official numbers are ("2/2011" -> "02/2011").
    """
    text = unicodedata.normalize("NFC", number or "").upper()
    text = re.sub(r"\s+", "", text).replace("–", "-").replace("—", "-")
    text = re.sub(r"^SỐ:?", "", text)
    text = _CODE_RE.sub(lambda m: _D_CODES.get(m.group(0), m.group(0)), text)
    return re.sub(r"^(\d)(?=/)", r"0\1", text)


def status_of(number: str, register: Mapping[str, Document]) -> Status:
    """Status of a document in the register; UNKNOWN when it is not there."""
    doc = register.get(normalize_doc_number(number))
    return doc.status if doc is not None else Status.UNKNOWN


def document_of(number: str, register: Mapping[str, Document]) -> Document | None:
    return register.get(normalize_doc_number(number))


def parse_article_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """'21, 22, 28-49, 60' -> ((21, 21), (22, 22), (28, 49), (60, 60)); ValueError on anything else."""
    ranges: list[tuple[int, int]] = []
    for part in re.split(r"[,;]", text):
        part = part.strip()
        if not part:
            continue
        m = _RANGE_RE.match(part)
        if m is None:
            raise ValueError(f"{part!r} is not an article number or range such as 28-49")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if last < first:
            raise ValueError(f"range {part!r} runs backwards")
        ranges.append((first, last))
    return tuple(ranges)


def format_article_ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    """The inverse of parse_article_ranges: ((21, 21), (28, 49)) -> '21, 28-49'."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def _article_number(article: str | int) -> int | None:
    m = re.match(r"\s*(?:Điều\s+)?(\d+)", str(article), flags=re.IGNORECASE)
    return int(m.group(1)) if m else None


def is_suspended(doc: Document | None, article: str | int, on: dt.date | str | None = None) -> bool:
    """True when `article` (113, "113", "Điều 113") of `doc` is suspended on the date `on` (default today).

    A suspension lasts until `suspended_until` (exclusive: on that day the article applies again);
    without an end date it lasts until the register says otherwise. `doc` None (not in the
    register) is never suspended.
    """
    if doc is None or not doc.suspended_articles:
        return False
    number = _article_number(article)
    if number is None or not any(a <= number <= b for a, b in doc.suspended_articles):
        return False
    if doc.suspended_until is None:
        return True
    day = on if isinstance(on, dt.date) else dt.date.fromisoformat(on) if on else dt.date.today()
    return day < dt.date.fromisoformat(doc.suspended_until)


def article_suspended(
    register: Mapping[str, Document], doc_number: str, article: str | int, on: dt.date | str | None = None
) -> bool:
    """is_suspended for a citation or a retrieved article given by document number: never quote such
    an article as the law in force (the register names the suspending document and the end date)."""
    return is_suspended(document_of(doc_number, register), article, on)


def _text(value: Any, key: str, where: str, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise RegisterError(f"{where}: '{key}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RegisterError(f"{where}: '{key}' must be text, got {type(value).__name__}")
    return unicodedata.normalize("NFC", str(value)).strip()


def _date(value: Any, key: str, where: str) -> str | None:
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):  # YAML turns an unquoted 2024-08-01 into a date
        return str(value.isoformat())
    if isinstance(value, str) and _ISO_DATE_RE.match(value.strip()):
        return value.strip()
    raise RegisterError(f"{where}: '{key}' must be an ISO date (YYYY-MM-DD), got {value!r}")


def document_from_entry(entry: Any, where: str) -> Document:
    """One register entry (a mapping) -> Document; RegisterError names `where` on bad data."""
    if not isinstance(entry, Mapping):
        raise RegisterError(f"{where}: expected a mapping with 'number', got {type(entry).__name__}")
    number = _text(entry.get("number"), "number", where, required=True)
    assert number is not None
    where = f"{where} ({number})"
    unknown = sorted(set(entry) - _DOC_FIELDS - _EXTRA_KEYS)
    if unknown:
        raise RegisterError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    raw_status = entry.get("status") or Status.UNKNOWN.value
    try:
        status = Status(str(raw_status).strip())
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise RegisterError(f"{where}: status {raw_status!r} is not one of {allowed}") from None
    url = _text(entry.get("url"), "url", where)
    if url is not None and not url.startswith(("https://", "http://")):
        raise RegisterError(f"{where}: url must start with https:// or http://, got {url!r}")
    replaced_by = _text(entry.get("replaced_by"), "replaced_by", where)
    raw_ranges = _text(entry.get("suspended_articles"), "suspended_articles", where)
    try:
        suspended = parse_article_ranges(raw_ranges or "")
    except ValueError as exc:
        raise RegisterError(f"{where}: suspended_articles: {exc}") from None
    suspended_until = _date(entry.get("suspended_until"), "suspended_until", where)
    suspended_by = _text(entry.get("suspended_by"), "suspended_by", where)
    if (suspended_until or suspended_by) and not suspended:
        raise RegisterError(f"{where}: suspended_until/suspended_by given without suspended_articles")
    if suspended and not suspended_by:
        raise RegisterError(f"{where}: suspended_articles needs suspended_by (the suspending document)")
    return Document(
        number=number,
        type=_text(entry.get("type"), "type", where) or "",
        title=_text(entry.get("title"), "title", where) or "",
        issuer=_text(entry.get("issuer"), "issuer", where) or "",
        issued=_date(entry.get("issued"), "issued", where),
        effective=_date(entry.get("effective"), "effective", where),
        status=status,
        url=url,
        replaced_by=replaced_by,
        note=_text(entry.get("note"), "note", where),
        suspended_articles=suspended,
        suspended_until=suspended_until,
        suspended_by=suspended_by,
    )


def register_entries(data: Any, path: Path | str) -> list[Any]:
    """The entry list of a parsed register: a top-level list or the 'documents' key of a mapping."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping) and isinstance(data.get("documents") or [], list):
        return list(data.get("documents") or [])
    raise RegisterError(f"{path}: expected a list of documents or a mapping with a 'documents' list")


def load_register(path: Path | str) -> dict[str, Document]:
    """Documents of a register YAML file keyed by normalize_doc_number(number).

    Raises RegisterError naming the file and the entry (position and number) on bad data,
    including two entries for the same document.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_SafeLoader)  # a safe loader (C or Python)
    except OSError as exc:
        raise RegisterError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise RegisterError(f"{path}: not valid YAML ({exc})") from exc
    register: dict[str, Document] = {}
    for i, entry in enumerate(register_entries(data, path), start=1):
        doc = document_from_entry(entry, f"{path}: entry {i}")
        key = normalize_doc_number(doc.number)
        if key in register:
            raise RegisterError(f"{path}: entry {i} ({doc.number}): document listed twice")
        register[key] = doc
    return register


def entry_dict(doc: Document, **extra: Any) -> dict[str, Any]:
    """The YAML mapping of a document (register key order), plus bookkeeping keys such as source."""
    out: dict[str, Any] = {
        "number": doc.number,
        "type": doc.type or None,
        "title": doc.title or None,
        "issuer": doc.issuer or None,
        "issued": doc.issued,
        "effective": doc.effective,
        "status": doc.status.value,
        "replaced_by": doc.replaced_by,
        "url": doc.url,
        "note": doc.note,
    }
    if doc.suspended_articles:  # only the few suspended documents carry these keys
        out["suspended_articles"] = format_article_ranges(doc.suspended_articles)
        out["suspended_until"] = doc.suspended_until
        out["suspended_by"] = doc.suspended_by
    out.update(extra)
    return out


def entry_yaml(doc: Document, **extra: Any) -> str:
    """One register entry as a one-line YAML list item ("  - {number: ..., ...}\\n"), for appending."""
    line = yaml.safe_dump(
        entry_dict(doc, **extra), default_flow_style=True, allow_unicode=True, sort_keys=False, width=10**6
    ).strip()
    return f"  - {line}\n"
