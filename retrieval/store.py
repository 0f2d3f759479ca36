"""Compact on-disk article store of a build: one JSON line per article, read on demand."""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from retrieval.parse import split_clauses
from retrieval.types import Article, Status

ARTICLES_FILE = "articles.jsonl"
OFFSETS_FILE = "articles.offsets.npy"
IDS_FILE = "article_ids.json"
STATUS_CODES = list(Status)  # position = code stored in status.npy


def write_store(out: Path, articles: Iterable[Article]) -> int:
    """Write articles (without their parsed clauses, which are re-derived from the text)."""
    offsets = [0]
    ids: list[str] = []
    statuses: list[int] = []
    with (out / ARTICLES_FILE).open("wb") as fh:
        for article in articles:
            rec = asdict(article)
            rec.pop("clauses", None)
            rec["status"] = str(article.status)
            line = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
            fh.write(line)
            offsets.append(offsets[-1] + len(line))
            ids.append(article.id)
            statuses.append(STATUS_CODES.index(article.status))
    np.save(out / OFFSETS_FILE, np.array(offsets, dtype=np.int64))
    np.save(out / "status.npy", np.array(statuses, dtype=np.uint8))
    (out / IDS_FILE).write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")
    return len(ids)


class ArticleStore:
    """Articles by row or id; the text stays in the memory-mapped file until asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ids: list[str] = json.loads((path / IDS_FILE).read_text(encoding="utf-8"))
        self.row_of = {article_id: row for row, article_id in enumerate(self.ids)}
        self.offsets = np.load(path / OFFSETS_FILE)
        self.status_codes = np.load(path / "status.npy")
        self._fh = (path / ARTICLES_FILE).open("rb")
        size = (path / ARTICLES_FILE).stat().st_size
        self._mm = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ) if size else None

    def __len__(self) -> int:
        return len(self.ids)

    def article(self, row: int, *, clauses: bool = True) -> Article:
        """The article at `row`, with khoản/điểm parsed from its text when `clauses`."""
        assert self._mm is not None
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        rec = json.loads(self._mm[start:end])
        rec["status"] = Status(rec.get("status") or Status.UNKNOWN)
        article = Article(**rec)
        if clauses:
            article.clauses = split_clauses(article.text)
        return article

    def get(self, article_id: str) -> Article | None:
        row = self.row_of.get(article_id)
        return None if row is None else self.article(row)

    def status(self, row: int) -> Status:
        return STATUS_CODES[int(self.status_codes[row])]

    def close(self) -> None:
        if self._mm is not None:
            self._mm.close()
        self._fh.close()
