"""Chat evaluation metrics (`lawbot eval chat`)."""

from __future__ import annotations

from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.cli.eval_chat import normalise, run_chat_eval
from bot.core.config import AssistantConfig
from bot.core.service import Assistant
from bot.core.writer import ExtractiveWriter
from tests.auxil.core_fakes import FakeRetriever


def test_normalise_handles_leading_zeros_and_unicode_forms() -> None:
    assert normalise("06 tháng") == normalise("6 tháng")
    assert normalise("tha\u0300nh") == normalise("thành")
    assert normalise("0,45 mg") == "0,45 mg"


def test_run_chat_eval_counts_each_kind() -> None:
    retriever = FakeRetriever()
    assistant = Assistant(retriever, None, ExtractiveWriter(built_at="2025-11-20"), InMemoryConversationStore(),
                          InMemoryTicketStore(), AssistantConfig())
    cases = [
        {"kind": "answer", "text": "nghỉ thai sản được mấy tháng", "gold_ids": ["20.2.LQ.139"], "must_contain_any": ["6 tháng"]},
        {"kind": "answer", "text": "nghỉ thai sản được mấy tháng", "gold_ids": ["20.2.LQ.139"], "must_contain_any": ["99 tháng"]},
        {"kind": "escalate", "text": "Tôi muốn nói chuyện với luật sư"},
        {"kind": "out_of_scope", "text": "Hôm nay thời tiết thế nào?"},
        {"kind": "bad_input", "text": "   "},
    ]
    m = run_chat_eval(assistant, cases)
    assert m["answer_acc"] == 0.5
    assert m["escalation_recall"] == 1.0 and m["escalation_precision"] == 1.0
    assert m["refusal_rate"] == 1.0 and m["crashes"] == 0 and m["n"] == 5
    assert m["citations_outside_index"] == 0
    assert m["confident_wrong_answers"] == 0  # the wrong one above misses a figure, not the article
    wrong_gold = [{**cases[0], "gold_ids": ["8.4.LQ.5"]}]
    assert run_chat_eval(assistant, wrong_gold)["confident_wrong_answers"] == 1


def test_a_second_run_on_the_same_assistant_starts_in_fresh_chats() -> None:
    # the first run opens a ticket in its first chat; were the second run's first case played in that chat,
    # it would be attached to the open ticket instead of answered
    assistant = Assistant(FakeRetriever(), None, ExtractiveWriter(built_at="2025-11-20"), InMemoryConversationStore(),
                          InMemoryTicketStore(), AssistantConfig())
    assert run_chat_eval(assistant, [{"kind": "escalate", "text": "Tôi muốn nói chuyện với luật sư"}])[
        "escalation_recall"] == 1.0
    question = {"kind": "answer", "text": "nghỉ thai sản được mấy tháng", "gold_ids": ["20.2.LQ.139"],
                "must_contain_any": ["6 tháng"]}
    assert run_chat_eval(assistant, [question])["answer_acc"] == 1.0


def test_urgent_cases_count_only_with_emergency_numbers() -> None:
    """An urgent case (note URGENT, or kind "urgent") is right for recall when escalated; the separate
    urgent_with_numbers figure also wants 113/111/115 in the reply."""
    retriever = FakeRetriever()
    assistant = Assistant(retriever, None, ExtractiveWriter(built_at="2025-11-20"), InMemoryConversationStore(),
                          InMemoryTicketStore(), AssistantConfig())
    cases = [
        {"kind": "escalate", "note": "URGENT", "text": "cứu em với, chồng em đang cầm dao đuổi đánh em ngoài sân"},
        {"kind": "urgent", "text": "bố dượng đang đánh em em 12 tuổi em sợ lắm"},
        {"kind": "escalate", "text": "tôi muốn nhờ cán bộ xem giúp hồ sơ khởi kiện đòi nợ"},
    ]
    m = run_chat_eval(assistant, cases)
    assert m["escalation_recall"] == 1.0 and m["escalation_precision"] == 1.0
    assert m["urgent_with_numbers"] == 1.0
    plain = run_chat_eval(assistant, cases[2:])
    assert plain["urgent_with_numbers"] == 0.0  # no urgent case: no figure to report


def test_eval_chat_command_ends_with_one_json_line(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    import typer
    from typer.testing import CliRunner

    import bot.cli.eval_chat as ev

    def fake_build(index, faq_dir=None, **kw):  # type: ignore[no-untyped-def]
        return Assistant(FakeRetriever(), None, ExtractiveWriter(built_at="2025-11-20"), InMemoryConversationStore(),
                         InMemoryTicketStore(), AssistantConfig())

    monkeypatch.setattr(ev, "build_assistant", fake_build)
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"kind": "out_of_scope", "text": "thời tiết hôm nay thế nào"}) + "\n", encoding="utf-8")
    app = typer.Typer()
    app.command()(ev.eval_chat)
    result = CliRunner().invoke(app, ["--cases", str(cases), "--index", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    last = json.loads(result.output.strip().splitlines()[-1])
    assert {"answer_acc", "escalation_recall", "escalation_precision", "refusal_rate", "crashes", "n"} <= set(last)
    assert last["refusal_rate"] == 1.0 and last["n"] == 1


def test_zalo_questions_are_scored_by_the_cited_article(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from bot.cli.eval_chat import load_cases

    zalo = tmp_path / "questions.jsonl"
    rows = [
        {"qid": "a", "question": "nghỉ thai sản được mấy tháng", "phapdien_gold_ids": ["20.2.LQ.139"],
         "phapdien_mapping": "full"},
        {"qid": "b", "question": "nghỉ thai sản được mấy tháng", "phapdien_gold_ids": ["8.4.LQ.5"],
         "phapdien_mapping": "full"},
        {"qid": "c", "question": "x", "phapdien_gold_ids": ["1.1.LQ.1"], "phapdien_mapping": "partial"},
    ]
    zalo.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    cases = load_cases(zalo)
    assert [c["id"] for c in cases] == ["a", "b"]  # partly mapped questions cannot be scored
    assistant = Assistant(FakeRetriever(), None, ExtractiveWriter(built_at="2025-11-20"), InMemoryConversationStore(),
                          InMemoryTicketStore(), AssistantConfig())
    m = run_chat_eval(assistant, cases)
    assert m["answer_acc"] == 0.5 and m["confident_wrong_answers"] == 1
