"""Optional LLM writer: grounded answers pass; invented citations, outages and refusals fall back."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_openai")

from bot.adapters.llm_writer import LlmAnswerWriter
from bot.core.models import DocStatus, Passage
from bot.core.writer import ExtractiveWriter
from tests.auxil.fake_openai import FakeOpenAI
from tests.auxil.live_server import serve_in_thread

LEAVE = Passage(
    article_id="20.2.LQ.113",
    doc_number="45/2019/QH14",
    doc_title="Bộ luật Lao động",
    doc_type="Bộ luật",
    article="113",
    title="Nghỉ hằng năm",
    text="1. Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động thì được nghỉ hằng năm, "
    "hưởng nguyên lương theo hợp đồng lao động như sau:\na) 12 ngày làm việc đối với người làm công việc "
    "trong điều kiện bình thường;",
    score=12.0,
    status=DocStatus.IN_FORCE,
    clause_no="1",
)
HOLIDAY = Passage(
    article_id="20.2.LQ.112",
    doc_number="45/2019/QH14",
    doc_title="Bộ luật Lao động",
    doc_type="Bộ luật",
    article="112",
    title="Nghỉ lễ, tết",
    text="1. Người lao động được nghỉ làm việc, hưởng nguyên lương trong những ngày lễ, tết sau đây: ...",
    score=8.0,
    status=DocStatus.IN_FORCE,
)


@pytest.fixture
def fake():
    server = FakeOpenAI()
    with serve_in_thread(server.app()) as url:
        server.base_url = f"{url}/v1"  # type: ignore[attr-defined]
        yield server


def _writer(fake) -> LlmAnswerWriter:
    return LlmAnswerWriter(
        ExtractiveWriter(built_at="2026-11-01"), base_url=fake.base_url, model="local-model", timeout=5
    )


def test_grounded_llm_answer_is_used_with_full_citation_and_disclaimer(fake) -> None:
    fake.content = "Làm đủ 12 tháng thì bạn được nghỉ 12 ngày phép năm hưởng nguyên lương [1]."
    out = _writer(fake).write("nghỉ phép năm mấy ngày", [LEAVE, HOLIDAY], 2000)
    assert out.text.startswith("Làm đủ 12 tháng")
    assert [c.article_id for c in out.citations] == ["20.2.LQ.113"]
    assert "Điều 113 Bộ luật Lao động số 45/2019/QH14" in out.text
    assert "01/11/2026" in out.text  # index date from the shared footer
    # the model saw the retrieved articles and the question, never anything else
    sent = fake.requests[-1]["messages"]
    assert "Điều 113" in sent[1]["content"] and "nghỉ phép năm mấy ngày" in sent[1]["content"]


@pytest.mark.parametrize(
    "content",
    [
        "Theo Điều 200 Bộ luật Lao động bạn được nghỉ 30 ngày [1].",  # article not retrieved
        "Bạn được nghỉ 12 ngày theo Nghị định 145/2020/NĐ-CP [1].",  # document not retrieved
        "Bạn được nghỉ 12 ngày [7].",  # source number out of range
        "Bạn được nghỉ 12 ngày.",  # no source at all
        "KHONG_DU_CAN_CU",
    ],
)
def test_ungrounded_llm_answers_fall_back_to_extractive(fake, content: str) -> None:
    fake.content = content
    out = _writer(fake).write("nghỉ phép năm mấy ngày", [LEAVE, HOLIDAY], 2000)
    expected = ExtractiveWriter(built_at="2026-11-01").write("nghỉ phép năm mấy ngày", [LEAVE, HOLIDAY], 2000)
    assert out.text == expected.text
    assert "30 ngày" not in out.text


def test_llm_outage_falls_back_without_error(fake) -> None:
    fake.status = 503
    out = _writer(fake).write("nghỉ phép năm mấy ngày", [LEAVE], 2000)
    assert "Điều 113" in out.text
    assert {c.article_id for c in out.citations} == {"20.2.LQ.113"}
