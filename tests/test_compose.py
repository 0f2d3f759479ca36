"""`lawbot eval chat` measures the assistant `serve` runs: both are assembled by bot.compose from the same settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.faq_search import ReloadingFaqSearch
from bot.app import index_engine
from bot.eval_chat import build_assistant, eval_settings
from bot.storage.db import Database
from bot.storage.outbox import Outbox
from tests.auxil.mini_index import build_mini_index

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
