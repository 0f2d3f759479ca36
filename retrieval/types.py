"""Data model of legal documents: document -> article (Điều) -> clause (khoản) -> point (điểm)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    IN_FORCE = "in_force"
    PARTLY_EXPIRED = "partly_expired"
    EXPIRED = "expired"
    NOT_YET_IN_FORCE = "not_yet_in_force"
    UNKNOWN = "unknown"


@dataclass
class Document:
    number: str  # e.g. "45/2019/QH14"
    type: str = ""  # Luật, Bộ luật, Nghị định, Thông tư ...
    title: str = ""
    issuer: str = ""
    issued: str | None = None  # ISO date
    effective: str | None = None  # ISO date
    status: Status = Status.UNKNOWN
    url: str | None = None
    replaced_by: str | None = None
    note: str | None = None
    # Articles whose effect is suspended (tạm ngưng hiệu lực) by another document until a date:
    # inclusive (first, last) article ranges, e.g. "21, 22, 28-49" -> ((21, 21), (22, 22), (28, 49)).
    suspended_articles: tuple[tuple[int, int], ...] = ()
    suspended_until: str | None = None  # ISO date the suspension ends (the articles apply again)
    suspended_by: str | None = None  # number of the suspending document


@dataclass
class Point:
    label: str  # "a", "b", "đ"
    text: str


@dataclass
class Clause:
    number: str  # "1", "2"
    text: str  # the whole clause including its points
    points: list[Point] = field(default_factory=list)


@dataclass
class Article:
    """One Điều, with the id the index uses (pháp điển id, ALQAC doc_id, or '<doc_number>::<article>')."""

    id: str
    doc_number: str
    number: str  # article number "113"
    title: str
    text: str
    doc_title: str = ""
    doc_type: str = ""
    path: str = ""  # "Phần ... / Chương ... / Mục ..."
    topic: str = ""  # pháp điển chủ đề title
    subtopic: str = ""  # pháp điển đề mục title
    source_citation: str = ""
    effective_from: str | None = None
    status: Status = Status.UNKNOWN
    corpus: str = ""
    clauses: list[Clause] = field(default_factory=list)


@dataclass
class Hit:
    """One search result."""

    article: Article
    score: float
    sparse_score: float = 0.0
    dense_score: float = 0.0
    best_clause: Clause | None = None
