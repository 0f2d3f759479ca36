"""How the desk shows a law article from the index: its label and a citation built from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.kb.faq_writer import field_of


@dataclass(frozen=True)
class ArticleView:
    article_id: str
    doc_number: str
    number: str
    title: str
    doc_title: str
    text: str
    status: str
    found: bool = True

    @property
    def label(self) -> str:
        if not self.found:
            return self.article_id
        head = f"Điều {self.number}" if self.number else self.article_id
        doc = self.doc_title or "văn bản"
        return f"{head} {doc} số {self.doc_number}".strip() if self.doc_number else head

    def citation(self) -> dict[str, str]:
        return {"article_id": self.article_id, "doc_number": self.doc_number, "article": self.number}


def article_views(desk: Any, article_ids: Iterable[str]) -> dict[str, ArticleView]:
    """Each article (once) from the index: blocking, so call it through `desk.run`."""
    return {a: article_view(a, desk.lookup_article(a)) for a in dict.fromkeys(article_ids)}


def article_view(article_id: str, article: Any) -> ArticleView:
    if article is None:
        return ArticleView(article_id, "", "", "", "", "", "", found=False)
    status = field_of(article, "status") or ""
    return ArticleView(
        article_id=str(field_of(article, "id", "article_id") or article_id),
        doc_number=str(field_of(article, "doc_number") or ""),
        number=str(field_of(article, "number", "article") or ""),
        title=str(field_of(article, "title") or ""),
        doc_title=str(field_of(article, "doc_title", "doc_type") or ""),
        text=str(field_of(article, "text") or ""),
        status=str(getattr(status, "value", status)),
    )
