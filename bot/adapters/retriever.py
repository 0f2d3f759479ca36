"""IndexRetriever: the core's Retriever port over retrieval.index.SearchIndex (Hit/Article -> Passage)."""

from __future__ import annotations

from typing import Any

from bot.core.models import DocStatus, Passage


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


class IndexRetriever:
    """Retriever port. `index` is a retrieval.index.SearchIndex, or a callable returning the current
    one (so a reloaded index is picked up without rebuilding the assistant)."""

    def __init__(self, index: Any) -> None:
        self._index = index

    @property
    def index(self) -> Any:
        return self._index() if callable(self._index) and not hasattr(self._index, "search") else self._index

    def search(self, query: str, k: int = 10) -> list[Passage]:
        return [to_passage(h.article, h.score, h.best_clause) for h in self.index.search(query, k)]

    def get(self, article_id: str) -> Passage | None:
        article = self.index.get(article_id)
        return None if article is None else to_passage(article)

    def aliases(self, article_id: str) -> tuple[str, ...]:
        """Ids of identical copies of an article (same text in two corpora)."""
        fn = getattr(self.index, "aliases", None)
        return tuple(fn(article_id)) if fn else ()

    @property
    def built_at(self) -> str:
        index = self.index
        value = getattr(index, "built_at", None)
        if value is None:
            manifest = getattr(index, "manifest", {}) or {}
            value = manifest.get("created_at") or manifest.get("built_at") or ""
        return str(value)
