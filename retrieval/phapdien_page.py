"""One đề mục page of the pháp điển (demuc/<uuid>.html) -> its articles, in the corpus record shape."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from retrieval.normalize import nfc


@dataclass
class Block:
    """A top-level paragraph or table of the page: its class, text and the anchors inside."""

    tag: str  # "p" or "table"
    cls: str
    text: str
    names: list[str] = field(default_factory=list)  # <a name="..."> (the MAPC of a pDieu)
    links: list[str] = field(default_factory=list)  # texts of the <a href/onclick> inside


class _Blocks(HTMLParser):
    """Cuts a page into Blocks; tolerant of unclosed <p> (a new <p> closes the open one)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._open: Block | None = None
        self._parts: list[str] = []
        self._table_depth = 0
        self._row: list[str] = []
        self._rows: list[str] = []
        self._cell: list[str] | None = None
        self._link: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            if self._table_depth == 0:
                self._close()
                self._open = Block("table", a.get("class", ""), "")
                self._rows = []
            self._table_depth += 1
        elif self._table_depth:
            if tag in ("td", "th"):
                self._cell = []
            elif tag == "tr":
                self._row = []
            elif tag in ("br", "p") and self._cell is not None:
                self._cell.append(" ")
        elif tag == "p":
            self._close()
            self._open = Block("p", a.get("class", ""), "")
        elif tag == "br":
            self._parts.append("\n")
        if tag == "a" and self._open is not None:
            if a.get("name"):
                self._open.names.append(a["name"])
            if a.get("href") or a.get("onclick"):
                self._link = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None and self._open is not None:
            text = _squash("".join(self._link))
            if text:
                self._open.links.append(text)
            self._link = None
        if self._table_depth:
            if tag in ("td", "th") and self._cell is not None:
                self._row.append(_squash("".join(self._cell)))
                self._cell = None
            elif tag == "tr":
                if any(self._row):
                    self._rows.append(" | ".join(self._row))
                self._row = []
            elif tag == "table":
                self._table_depth -= 1
                if self._table_depth == 0 and self._open is not None:
                    self._open.text = "\n".join(self._rows)
                    self.blocks.append(self._open)
                    self._open = None
        elif tag == "p":
            self._close()

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link.append(data)
        if self._table_depth:
            if self._cell is not None:
                self._cell.append(data)
        elif self._open is not None:
            self._parts.append(data)

    def _close(self) -> None:
        if self._open is not None and self._open.tag == "p":
            self._open.text = "\n".join(
                line for line in (_squash(x) for x in "".join(self._parts).split("\n")) if line
            )
            self.blocks.append(self._open)
        self._open = None
        self._parts = []

    def close(self) -> None:
        super().close()
        if self._table_depth and self._open is not None:  # a table never closed
            self._open.text = "\n".join(self._rows)
            self.blocks.append(self._open)
            self._open = None
        self._close()


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def page_blocks(html: str) -> list[Block]:
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


# "Điều 20.2.NĐ.6.14. Title": chủ đề.đề mục.<doc type>[.<doc counter>].<article>
_HEADING_RE = re.compile(
    r"^Điều\s+(?P<code>(?P<chu_de>\d+)\.(?P<de_muc>\d+)\.(?P<type>[A-ZĐ]+)(?:\.\d+[a-zđ]?)+)\.?\s*(?P<title>.*)$"
)
_NOTE_ARTICLE_RE = re.compile(r"^Điều\s+(\d+[a-zđ]?)\b")
# "số 97/2022/NĐ-CP", "số Thông tư 01/2025/TT-BYT", "số 18 /2018/TT-NHNN" (a stray space, read as 18/2018/...)
_NOTE_NUMBER_RE = re.compile(r"\bsố\s+(?:[^\W\d_]+\s+){0,4}?(\d[^\s,;)/]*\s?/\s?[^\s,;)]+)")
_NOTE_DATE_RE = re.compile(r"hiệu lực(?: thi hành)? (?:kể )?từ ngày (\d{1,2}/\d{1,2}/\d{4})")


@dataclass
class PageArticles:
    records: list[dict[str, Any]]
    skipped: list[tuple[str, str]]  # (article id or anchor, reason)
    anchors: set[str]  # MAPC of every article heading seen (to compare with jdAllTree)


def page_articles(html: str, *, chu_de_title: str = "", de_muc_title: str = "") -> PageArticles:
    """The articles of one đề mục page, as records with the fields of our pháp điển corpus."""
    records: list[dict[str, Any]] = []
    skipped: list[tuple[str, str]] = []
    anchors: set[str] = set()
    chapter_parts: list[str] = []
    previous_was_chapter = False
    current: dict[str, Any] | None = None
    body: list[str] = []
    related: list[str] = []

    def finish() -> None:
        nonlocal current
        if current is None:
            return
        text = nfc("\n".join(body).strip())
        if not text:
            skipped.append((current["id"], "heading without text"))
        else:
            current["text"] = text
            current["related"] = nfc("; ".join(related)) if related else None
            records.append(current)
        current = None

    for block in page_blocks(html):
        cls = block.cls.split()[0] if block.cls else ""
        if cls == "pChuong":
            finish()
            chapter_parts = [*chapter_parts, block.text] if previous_was_chapter else [block.text]
            previous_was_chapter = True
            continue
        previous_was_chapter = False
        if cls == "pDieu":
            finish()
            anchors.update(block.names)
            m = _HEADING_RE.match(nfc(block.text))
            if not m:
                where = block.names[0] if block.names else block.text[:60]
                skipped.append((where, f"heading without a pháp điển code: {block.text[:80]!r}"))
                continue
            current = {
                "id": m.group("code"),
                "chu_de": int(m.group("chu_de")),
                "chu_de_title": chu_de_title,
                "de_muc": f"{m.group('chu_de')}.{m.group('de_muc')}",
                "de_muc_title": de_muc_title,
                "doc_type_code": m.group("type"),
                "title": m.group("title").strip(),
                "chapter": nfc(" - ".join(p for p in chapter_parts if p)),
                "source_citation": None,
                "source_doc_number": None,
                "source_article": None,
                "effective_from": None,
            }
            body, related = [], []
            continue
        if current is None:
            continue  # page title, introduction: not part of an article
        if cls == "pGhiChu" and current["source_citation"] is None and not body:
            current.update(_source_note(nfc(block.text)))
        elif cls == "pChiDan":
            related.extend(block.links or [_after_related(block.text)])
        elif block.text:
            body.append(block.text)
    finish()
    return PageArticles(records, skipped, anchors)


def _source_note(text: str) -> dict[str, Any]:
    """'(Điều 14 Nghị định số 97/2022/NĐ-CP, có hiệu lực thi hành kể từ ngày 15/01/2023)' -> fields.
    Text after the closing parenthesis (amendment notes) stays in the citation."""
    text = text.replace("\n", " ").strip()
    citation = text
    if text.startswith("("):
        depth = 0
        for i, ch in enumerate(text):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                rest = text[i + 1 :].strip(" .;")
                citation = text[1:i].strip() + (f"; {rest}" if rest else "")
                break
        else:
            citation = text[1:].strip()
    article = _NOTE_ARTICLE_RE.match(citation)
    number = _NOTE_NUMBER_RE.search(citation)
    date = _NOTE_DATE_RE.search(citation)
    return {
        "source_citation": citation or None,
        "source_doc_number": number.group(1).replace(" ", "").rstrip(".") if number else None,
        "source_article": article.group(1) if article else None,
        "effective_from": date.group(1) if date else None,
    }


def _after_related(text: str) -> str:
    m = re.search(r"liên quan đến\s*(.+)$", text)
    return (m.group(1) if m else text).strip()
