"""Which FAQ entry answers, and whether sure: the fitted picker over match, answer and law signals (own texts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.adapters.confidence_file import load_faq_picker
from bot.adapters.faq_search import answer_sentences
from bot.core.config import AssistantConfig
from bot.core.faq_pick import FEATURES, FaqPicker, candidate_features
from bot.core.models import Citation, Passage
from bot.core.ports import FaqEntry, FaqMatch
from tests.auxil.core_fakes import FakeRetriever

REPO = Path(__file__).resolve().parents[1]
PICKER = REPO / "knowledge_base" / "training" / "faq_picker.json"


def _entry(i: str, article_id: str) -> FaqEntry:
    return FaqEntry(i, "Lao động", [f"câu hỏi {i}"], f"Trả lời {i}.", [Citation(article_id, "45/2019/QH14", "1")])


def _passage(article_id: str) -> Passage:
    return Passage(article_id=article_id, doc_number="45/2019/QH14", doc_title="Bộ luật Lao động", doc_type="Bộ luật",
                   article="1", title=article_id, text="...", score=1.0)


def _match(entry: FaqEntry, score: float, **features: float) -> FaqMatch:
    values = {"dense": 0.9, "lexical": 0.5, "cover_all": 0.5, "asked_missing": 0.0, "short": 0.1,
              "answer_max": 0.85, "answer_mean": 0.8, "answer_first": 0.83} | features
    return FaqMatch(entry, score, values)


def test_an_answer_is_read_sentence_by_sentence_and_a_short_list_item_stays_with_its_line() -> None:
    answer = ("Bạn được nghỉ 12 ngày mỗi năm. Cứ đủ 05 năm làm việc được thêm 01 ngày.\n"
              "Thời gian thử việc không quá:\n- 60 ngày;\n- 30 ngày: trung cấp.\nLương do hai bên thỏa thuận.")
    assert answer_sentences(answer) == [
        "Bạn được nghỉ 12 ngày mỗi năm.",
        "Cứ đủ 05 năm làm việc được thêm 01 ngày.",
        "Thời gian thử việc không quá: 60 ngày; 30 ngày: trung cấp.",
        "Lương do hai bên thỏa thuận.",
    ]


def test_the_law_signal_is_the_best_rank_of_a_cited_article_among_the_retrieved() -> None:
    cited_third, not_retrieved = _entry("a", "L.3"), _entry("b", "L.9")
    passages = [_passage("L.1"), _passage("L.2"), _passage("L.3")]
    a, b = candidate_features([_match(cited_third, 0.6), _match(not_retrieved, 0.5, answer_max=0.9)], passages)
    assert a["law_rank"] == pytest.approx(1 / 3) and a["law_first"] == 0.0 and b["law_rank"] == 0.0
    assert a["score_margin"] == pytest.approx(0.1) and b["score_margin"] == pytest.approx(-0.1)
    assert b["answer_margin"] == pytest.approx(0.05) and a["first"] == 1.0 and b["first"] == 0.0


def test_a_picker_fitted_on_features_this_code_does_not_compute_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "picker.json"
    path.write_text(json.dumps({"features": ["score", "mood"], "weights": [1, 1], "mean": [0, 0], "scale": [1, 1],
                                "bias": 0, "sure": 0.5}), encoding="utf-8")
    assert load_faq_picker(path) is None
    assert load_faq_picker(tmp_path / "missing.json") is None


def test_the_shipped_picker_reads_only_features_this_code_computes() -> None:
    picker = load_faq_picker(PICKER)
    assert picker is not None and set(picker.features) <= set(FEATURES) and 0.0 < picker.sure < 1.0


def test_without_matching_by_meaning_the_matcher_thresholds_decide() -> None:
    # a search matching by words only (the first start) computes no "dense": the fitted picker, which
    # never saw such scores, stands aside and a 0.55 match answers as before the picker
    from bot.core.answering import Answering
    from tests.test_core_policies import MarkingWriter

    entry = _entry("x", "L.1")
    never = FaqPicker((0.0,), (0.0,), (1.0,), -30.0, 0.5, ("score",))  # would refuse everything
    answering = Answering(FakeRetriever([]), None, MarkingWriter(), AssistantConfig(faq_picker=never))
    lexical = FaqMatch(entry, 0.55, {"lexical": 0.7})
    assert answering._pick_faq([lexical], []) is not None
    assert answering._pick_faq([_match(entry, 0.55)], []) is None


def _answering():  # type: ignore[no-untyped-def]
    from bot.core.answering import Answering
    from tests.test_core_policies import MarkingWriter

    picker = load_faq_picker(PICKER)
    assert picker is not None
    return Answering(FakeRetriever([]), None, MarkingWriter(), AssistantConfig(faq_picker=picker))


NOTICE = _entry("bao-truoc", "L.35")  # "how many days' notice before quitting"
NEIGHBOUR = _entry("nghi-ngang", "L.40")  # same topic: what quitting without notice costs
OTHER = [_passage(f"X.{i}") for i in range(10)]  # law retrieval found articles neither entry cites


def test_a_close_match_that_law_retrieval_backs_is_served_sure_when_the_model_reads_retrieval() -> None:
    # a refit chooses the feature set by cross-validation; when it keeps law retrieval, a half-sure match
    # whose cited article retrieval ranks first is sure, and the same match with retrieval elsewhere is not
    from bot.core.answering import Answering
    from tests.test_core_policies import MarkingWriter

    reads_law = FaqPicker((4.0, 3.0), (0.5, 0.0), (1.0, 1.0), 0.0, 0.75, ("score", "law_rank"))
    answering = Answering(FakeRetriever([]), None, MarkingWriter(), AssistantConfig(faq_picker=reads_law))
    backed = [_passage("L.35"), *OTHER[:9]]
    picked = answering._pick_faq([_match(NOTICE, 0.5), _match(NEIGHBOUR, 0.3)], backed)
    assert picked is not None and picked.entry.id == "bao-truoc"
    assert answering._pick_faq([_match(NOTICE, 0.5), _match(NEIGHBOUR, 0.3)], OTHER) is None


def test_the_same_match_without_law_retrieval_behind_it_is_not_served_sure() -> None:
    # before the picker a 0.5 match answered sure whatever retrieval found
    assert _answering()._pick_faq([_match(NOTICE, 0.5), _match(NEIGHBOUR, 0.3)], OTHER) is None


def test_a_neighbour_barely_ahead_of_another_entry_is_not_served_sure() -> None:
    # two same-topic entries nearly tied: the first one's lead is too small to be sure of it
    assert _answering()._pick_faq([_match(NEIGHBOUR, 0.55), _match(NOTICE, 0.5)], OTHER) is None


def test_a_paraphrase_far_ahead_of_every_other_entry_is_served_sure_even_without_retrieval() -> None:
    picked = _answering()._pick_faq([_match(NOTICE, 0.92), _match(NEIGHBOUR, 0.1)], OTHER)
    assert picked is not None and picked.entry.id == "bao-truoc" and picked.score >= 0.5


def test_the_wrong_answer_budget_counts_unanswerable_questions_at_the_share_citizens_send_them() -> None:
    from bot.adapters.faq_pick_train import Case, Outcome, choose_threshold, rates, traffic_weights

    def case(answerable: bool) -> Case:
        return Case(0, [], [], [], [], [], answerable)

    # training: 6 questions an entry answers, 4 none answers; citizens: 84% answerable
    cases = [case(True)] * 6 + [case(False)] * 4
    weights = traffic_weights(cases, 0.84)
    assert weights[:6] == [1.0] * 6
    assert abs(sum(weights[6:]) / sum(weights) - 0.16) < 1e-9
    assert traffic_weights(cases, 0.0) == [1.0] * 10
    # at p >= 0.5: four answerable questions right, one unanswerable one answered (wrong)
    outcomes = [Outcome(0.9, True, False, w) for w in weights[:4]] + [Outcome(0.1, False, False, w) for w in weights[4:6]] \
        + [Outcome(0.6, False, False, weights[6])] + [Outcome(0.1, False, False, w) for w in weights[7:]]
    weighted = rates(outcomes, 0.5)
    assert weighted["sure_right"] == round(4 / sum(weights), 3)
    assert weighted["sure_wrong"] == round(weights[6] / sum(weights), 3) == 0.04
    once = [Outcome(o.p, o.right, o.unsure) for o in outcomes]
    assert rates(once, 0.5)["sure_wrong"] == 0.1
    # the cap then admits the lower threshold that counting every question once refuses
    assert choose_threshold(outcomes, 0.05) < choose_threshold(once, 0.05)
