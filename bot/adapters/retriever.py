"""IndexRetriever: the core's Retriever port over retrieval.index.SearchIndex (Hit/Article -> Passage)."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.core.models import DocStatus, Passage
from retrieval.register import article_suspended, normalize_doc_number


def _status(value: Any) -> DocStatus:
    try:
        return DocStatus(str(getattr(value, "value", value) or "unknown"))
    except ValueError:
        return DocStatus.UNKNOWN


def to_passage(article: Any, score: float = 0.0, best_clause: Any | None = None) -> Passage:
    """A retrieval Article (+ its best khoản) as the core's Passage."""
    return Passage(
        article_id=article.id,
        doc_number=article.doc_number,
        doc_title=article.doc_title or "",
        doc_type=article.doc_type or "",
        article=article.number,
        title=article.title or "",
        text=article.text or "",
        score=float(score),
        status=_status(article.status),
        best_clause=getattr(best_clause, "text", None),
        clause_no=getattr(best_clause, "number", None),
        topic=article.topic or None,
        effective_from=article.effective_from,
        replaced_by=getattr(article, "replaced_by", None),
    )


def register_passage(doc: Any, article_id: str, article: str) -> Passage:
    """A cited article known only through the document register: metadata and status, no text."""
    return Passage(
        article_id=article_id,
        doc_number=doc.number,
        doc_title=doc.title or "",
        doc_type=doc.type or "",
        article=article,
        title="",
        text="",
        score=0.0,
        status=_status(doc.status),
        effective_from=doc.effective,
        replaced_by=getattr(doc, "replaced_by", None),
    )


class IndexRetriever:
    """Retriever port. `index` is a retrieval.index.SearchIndex, or a callable returning the current
    one (so a reloaded index is picked up without rebuilding the assistant).

    `register` (doc number -> retrieval Document) lets vetted FAQ answers name their legal basis
    when the index holds no text at all of the cited document (a fresh install built from
    knowledge_base/ alone): see `get_cited`."""

    def __init__(self, index: Any, register: dict[str, Any] | None = None) -> None:
        self._index = index
        self._register = register or {}
        self._docs_of: tuple[Any, frozenset[str]] | None = None  # (index, its doc numbers)

    def _indexed_docs(self) -> frozenset[str]:
        index = self.index
        if self._docs_of is None or self._docs_of[0] is not index:
            store = getattr(index, "store", None)
            docs: frozenset[str] = frozenset()
            if store is not None:
                # one pass over the build (about a second for the whole pháp điển), then cached
                docs = frozenset(
                    normalize_doc_number(store.article(r, clauses=False).doc_number)
                    for r in range(len(store))
                )
            self._docs_of = (index, docs)
        return self._docs_of[1]

    def get_cited(self, article_id: str, doc_number: str, article: str) -> Passage | None:
        """The cited article from the index; else, only when the index holds no article of that
        document, a text-less passage from the register. Never a document the register lacks, and
        never an article missing from a document the index does hold (that citation is wrong), and
        never an article suspended today (NĐ 101/2024 Điều 28-49 until 01/03/2027, by NĐ 151/2025)."""
        if article_suspended(self._register, doc_number, article):
            return None
        found = self.get(article_id) or self.get(f"{doc_number}::{article}")
        if found is not None:
            return found
        key = normalize_doc_number(doc_number)
        doc = self._register.get(key)
        if doc is None or key in self._indexed_docs():
            return None
        return register_passage(doc, article_id, article)

    def resolves(self, citation: Any) -> bool:
        """Whether a FAQ citation (doc_number, article, article_id) can be cited: see `get_cited`.
        Filtering a FAQ with it at load also computes, once, what `get_cited` needs later."""
        return self.get_cited(citation.article_id, citation.doc_number, citation.article) is not None

    @property
    def index(self) -> Any:
        return self._index() if callable(self._index) and not hasattr(self._index, "search") else self._index

    def search(self, query: str, k: int = 10) -> list[Passage]:
        found = [to_passage(h.article, h.score, h.best_clause) for h in self.index.search(query, k)]
        # a suspended article is not the law in force: it is never quoted as an answer
        return [p for p in found if not article_suspended(self._register, p.doc_number, p.article)]

    def get(self, article_id: str) -> Passage | None:
        """An article by id, whatever its status; one suspended today says so (the desk must not teach it)."""
        article = self.index.get(article_id)
        if article is None:
            return None
        found = to_passage(article)
        if article_suspended(self._register, found.doc_number, found.article):
            return dataclasses.replace(found, status=DocStatus.SUSPENDED)
        return found

    def aliases(self, article_id: str) -> tuple[str, ...]:
        """Ids of identical copies of an article (same text in two corpora)."""
        fn = getattr(self.index, "aliases", None)
        return tuple(fn(article_id)) if fn else ()

    @property
    def built_at(self) -> str:
        """The date the law in the index is current to (replies say "cập nhật đến ngày ..."): the build's
        data date; builds made before it was recorded give their creation time."""
        index = self.index
        manifest = getattr(index, "manifest", {}) or {}
        value = manifest.get("data_date") or getattr(index, "built_at", None)
        if value is None:
            value = manifest.get("created_at") or manifest.get("built_at") or ""
        return str(value)
