"""Answer confidence: a weak retrieval gets an honest "not sure" with no article list and a person; a strong one a cited answer."""

from __future__ import annotations

import json
from pathlib import Path

from bot.adapters.confidence_file import load_confidence_model
from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.compose import assistant_config
from bot.core import confidence, texts
from bot.core.config import AssistantConfig
from bot.core.models import ButtonAction, Channel, IncomingMessage, ReplyKind
from bot.core.service import Assistant
from bot.core.writer import ExtractiveWriter
from tests.auxil.core_fakes import FakeRetriever
from tests.conftest import REPO

SHIPPED = REPO / "knowledge_base" / "training" / "confidence.json"


def _model(sure: float = 0.7, floor: float = 0.35) -> confidence.ConfidenceModel:
    """A model that trusts the share of the question found in the best clause and a clear retrieval lead."""
    weights = {"coverage": 4.0, "top_share": 2.0, "second_ratio": -1.0}
    return confidence.ConfidenceModel(
        weights=tuple(weights.get(f, 0.0) for f in confidence.FEATURES),
        mean=tuple(0.5 if f in weights else 0.0 for f in confidence.FEATURES),
        scale=tuple(0.25 if f in weights else 1.0 for f in confidence.FEATURES),
        bias=0.0, sure=sure, floor=floor,
    )


def _assistant(model: confidence.ConfidenceModel) -> Assistant:
    retriever = FakeRetriever()
    config = AssistantConfig(confidence=model, answer_threshold=model.sure, relevance_floor=model.floor)
    return Assistant(retriever, None, ExtractiveWriter(built_at=lambda: retriever.built_at),
                     InMemoryConversationStore(), InMemoryTicketStore(), config)


def _ask(assistant: Assistant, text: str):  # type: ignore[no-untyped-def]
    return assistant.handle(IncomingMessage(Channel.TELEGRAM, "u1", "u1", text, "1"), 2000)


def test_weak_retrieval_says_not_sure_without_articles_and_offers_a_person() -> None:
    # shares one word with a labour article and nothing with the question's subject
    r = _ask(_assistant(_model()), "mua vé số trúng thưởng mà đại lý không chịu trả tiền thì làm sao")
    assert r.kind == ReplyKind.CLARIFY and not r.citations
    assert "Điều" not in r.text  # no list of "possibly related" articles below the floor
    assert r.text.startswith(texts.NOTHING_FOUND)
    assert "/canbo" in r.text and ButtonAction.HUMAN in {b.action for b in r.buttons}


def test_strong_retrieval_answers_sure_with_its_citation() -> None:
    r = _ask(_assistant(_model()), "chị gái em sắp sinh em bé, công ty cho nghỉ thai sản mấy tháng vậy")
    assert r.kind == ReplyKind.ANSWER and not r.low_confidence
    assert "Điều 139 Bộ luật Lao động số 45/2019/QH14" in r.text and "06 tháng" in r.text
    assert [c.article_id for c in r.citations][:1] == ["20.2.LQ.139"]
    assert r.confidence is not None and r.confidence >= 0.7


def test_between_floor_and_sure_lists_articles_as_not_sure() -> None:
    r = _ask(_assistant(_model(sure=0.999, floor=0.0)), "chị gái em sắp sinh em bé, công ty cho nghỉ thai sản mấy tháng vậy")
    assert r.kind == ReplyKind.ANSWER and r.low_confidence
    assert r.text.startswith(texts.LOW_CONFIDENCE) and "/canbo" in r.text


def test_shipped_model_loads_and_its_thresholds_are_served(tmp_path: Path) -> None:
    model = load_confidence_model(SHIPPED)
    assert model is not None and model.features == confidence.FEATURES
    assert 0.0 <= model.floor <= model.sure <= 1.0

    class S:  # the settings the composition root reads (unset thresholds = the fitted ones)
        confidence_model = SHIPPED
        faq_picker_model = SHIPPED.parent / "faq_picker.json"
        answer_threshold = None
        relevance_floor = None

    config = assistant_config(S())  # type: ignore[arg-type]
    assert config.confidence == model
    assert config.faq_picker is not None  # the shipped FAQ picker is served too
    assert (config.answer_threshold, config.relevance_floor) == (model.sure, model.floor)
    S.answer_threshold = 0.5  # an operator's setting wins over the fitted threshold
    assert assistant_config(S()).answer_threshold == 0.5  # type: ignore[arg-type]


def test_a_model_fitted_on_other_signals_is_refused(tmp_path: Path) -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    data["features"] = [*data["features"][:-1], "something_else"]
    (tmp_path / "c.json").write_text(json.dumps(data), encoding="utf-8")
    assert load_confidence_model(tmp_path / "c.json") is None  # the writer's confidence decides
    assert load_confidence_model(tmp_path / "missing.json") is None
