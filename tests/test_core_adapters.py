"""Adapters the core is tested and evaluated with: YAML FAQ search, index retriever, in-memory stores."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from bot.adapters.faq_search import YamlFaqSearch, load_faq
from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.adapters.retriever import IndexRetriever
from bot.core.models import Channel, DocStatus, IncomingMessage, Reply, ReplyKind
from bot.core.ports import TicketDraft
from retrieval.types import Article, Clause, Hit, Status

FAQ_YAML = """
topic: "Lao động"
slug: lao-dong
entries:
  - id: lao-dong-001
    questions:
      - "Một năm làm việc được nghỉ phép mấy ngày?"
      - "nghi phep nam duoc bao nhieu ngay"
    answer: |
      Làm đủ 12 tháng, bạn được nghỉ hằng năm 12 ngày.
    citations:
      - doc_number: "45/2019/QH14"
        article: "113"
        clause: "1"
        article_id: "20.2.LQ.113"
      - doc_number: "45/2019/QH14"
        article: "113"
        clause: "2"
        point: "b"
        article_id: "20.2.LQ.113"
  - id: lao-dong-002
    questions:
      - "Thử việc tối đa bao lâu?"
    answer: "Tùy công việc."
    citations:
      - doc_number: "45/2019/QH14"
        article: "25"
        article_id: "20.2.LQ.9999"
"""


def test_faq_yaml_is_loaded_and_matched_without_diacritics(tmp_path: Path) -> None:
    (tmp_path / "lao-dong.yaml").write_text(FAQ_YAML, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("entries: [", encoding="utf-8")
    assert [e.id for e in load_faq(tmp_path)] == ["lao-dong-001", "lao-dong-002"]
    faq = YamlFaqSearch(tmp_path)
    top = faq.search("1 nam lam viec duoc nghi phep may ngay vay mn", 3)[0]
    assert top.entry.id == "lao-dong-001" and top.score > 0.5
    assert top.entry.citations[0].clause == "1" and top.entry.citations[0].point is None
    assert (top.entry.citations[1].clause, top.entry.citations[1].point) == ("2", "b")  # the point the author named
    assert faq.search("hôm nay trời đẹp", 3) == [] or faq.search("hôm nay trời đẹp", 3)[0].score < 0.2


def test_faq_citations_missing_from_the_index_are_dropped(tmp_path: Path) -> None:
    (tmp_path / "lao-dong.yaml").write_text(FAQ_YAML, encoding="utf-8")
    faq = YamlFaqSearch(tmp_path, citation_ok=lambda c: c.article_id != "20.2.LQ.9999")
    assert all(m.entry.id != "lao-dong-002" for m in faq.search("Thử việc tối đa bao lâu?", 3))


class FakeIndex:
    manifest: ClassVar[dict[str, str]] = {"created_at": "2025-11-20T08:00:00+00:00"}

    def __init__(self) -> None:
        self.article = Article(id="20.2.LQ.113", doc_number="45/2019/QH14", number="113", title="Nghỉ hằng năm",
                               text="1. Người lao động ... 12 ngày.\n\n2. ...", doc_title="Lao động", doc_type="Bộ luật",
                               status=Status.PARTLY_EXPIRED, effective_from="01/01/2021")

    def search(self, query: str, k: int = 10) -> list[Hit]:
        return [Hit(self.article, 7.5, best_clause=Clause("1", "Người lao động ... 12 ngày."))]

    def get(self, article_id: str) -> Article | None:
        return self.article if article_id == self.article.id else None

    def aliases(self, article_id: str) -> tuple[str, ...]:
        return ("copy-1",)


def test_index_retriever_turns_hits_into_passages() -> None:
    r = IndexRetriever(FakeIndex())
    [p] = r.search("phép năm", 5)
    assert (p.article_id, p.article, p.score, p.clause_no) == ("20.2.LQ.113", "113", 7.5, "1")
    assert p.status == DocStatus.PARTLY_EXPIRED and p.best_clause == "Người lao động ... 12 ngày."
    assert r.get("nope") is None and r.get("20.2.LQ.113") is not None
    assert r.built_at == "2025-11-20T08:00:00+00:00"
    assert r.aliases("20.2.LQ.113") == ("copy-1",)


def test_memory_stores_keep_state_feedback_and_tickets() -> None:
    store = InMemoryConversationStore()
    state = store.load(Channel.CLI, "u", "c")
    state.last_question = "q"
    store.record(IncomingMessage(Channel.CLI, "u", "c", "hi", "1"), Reply(ReplyKind.INFO, "hello"), state)
    again = store.load(Channel.CLI, "u", "c")
    assert again.last_question == "q" and [t.role for t in again.turns] == ["user", "bot"]
    assert store.record_feedback(Channel.CLI, "u", "c", False) == 1
    assert store.record_feedback(Channel.CLI, "u", "c", False) == 2
    assert store.record_feedback(Channel.CLI, "u", "c", True) == 0
    store.delete_user_data(Channel.CLI, "u")
    assert store.load(Channel.CLI, "u", "c").turns == []
    tickets = InMemoryTicketStore()
    tid = tickets.open_ticket(TicketDraft(Channel.CLI, "u", "c", "court", "high", "q", [], [], None))
    tickets.set_consent(tid, False)
    assert tickets.tickets[tid].consent is False


def test_register_fallback_only_for_documents_the_index_lacks(tmp_path: Path) -> None:
    """A FAQ citation resolves to the indexed article; to the register only when the index holds no
    article of that document; never to an article missing from a document the index holds."""
    from retrieval.index import load_index
    from retrieval.types import Document
    from tests.auxil.mini_index import build_mini_index

    build_mini_index(tmp_path / "index")
    register = {
        "45/2019/QH14": Document("45/2019/QH14", "Bộ luật", "Bộ luật Lao động", status=Status.IN_FORCE),
        "52/2014/QH13": Document("52/2014/QH13", "Luật", "Luật Hôn nhân và gia đình", status=Status.IN_FORCE),
    }
    retriever = IndexRetriever(load_index(tmp_path / "index"), register=register)

    indexed = retriever.get_cited("20.2.LQ.113", "45/2019/QH14", "113")
    assert indexed is not None and "12 tháng" in indexed.text  # the article itself, by its other id
    assert retriever.get_cited("20.2.LQ.999", "45/2019/QH14", "999") is None  # indexed doc, no such article
    named = retriever.get_cited("8.4.LQ.37", "52/2014/QH13", "37")
    assert named is not None and named.text == "" and named.doc_title == "Luật Hôn nhân và gia đình"
    assert named.status == DocStatus.IN_FORCE
    assert retriever.get_cited("1.1.LQ.1", "99/2099/QH99", "1") is None  # not in the register either
