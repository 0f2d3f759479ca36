"""An approved FAQ entry answers citizens without a restart; a broken file never breaks the FAQ."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.faq_search import ReloadingFaqSearch, YamlFaqSearch

LEAVE = """topic: "Lao động"
slug: lao-dong
entries:
  - id: lao-dong-001
    questions: ["Một năm được nghỉ phép bao nhiêu ngày?", "nghi phep nam may ngay"]
    answer: "Làm đủ 12 tháng thì được nghỉ 12 ngày."
    citations: [{doc_number: "45/2019/QH14", article: "113", clause: "1"}]
"""

TRIAL = """topic: "Đã duyệt"
slug: da-duyet
entries:
  - id: da-duyet-001
    questions: ["Thử việc tối đa bao nhiêu ngày?", "thu viec toi da bao lau"]
    answer: "Tùy công việc, nhiều nhất 180 ngày."
    citations: [{doc_number: "45/2019/QH14", article: "25"}]
"""


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_new_faq_file_is_picked_up_after_the_check_interval(tmp_path: Path) -> None:
    (tmp_path / "lao-dong.yaml").write_text(LEAVE, encoding="utf-8")
    clock = Clock()
    made: list[int] = []

    def make(folder: Path) -> YamlFaqSearch:
        made.append(1)
        return YamlFaqSearch(folder)

    faq = ReloadingFaqSearch(tmp_path, make, check_every=2.0, clock=clock)
    assert [m.entry.id for m in faq.search("thu viec toi da bao lau")] == []

    (tmp_path / "da-duyet.yaml").write_text(TRIAL, encoding="utf-8")  # what the desk writes
    clock.now = 1.0
    assert faq.search("thu viec toi da bao lau") == []  # not checked yet: no stat per message
    clock.now = 3.0
    top = faq.search("thu viec toi da bao lau")
    assert top and top[0].entry.id == "da-duyet-001"
    assert faq.search("nghi phep nam may ngay")[0].entry.id == "lao-dong-001"

    clock.now = 10.0
    faq.search("nghi phep")
    assert len(made) == 2  # unchanged folder: not re-read


def test_a_broken_file_is_skipped_and_the_rest_keeps_answering(tmp_path: Path) -> None:
    (tmp_path / "lao-dong.yaml").write_text(LEAVE, encoding="utf-8")
    clock = Clock()
    faq = ReloadingFaqSearch(tmp_path, YamlFaqSearch, clock=clock)
    (tmp_path / "hong.yaml").write_text("entries: [ {unclosed", encoding="utf-8")
    clock.now = 5.0
    top = faq.search("nghi phep nam may ngay")
    assert top and top[0].entry.id == "lao-dong-001"


def test_a_rebuilt_faq_matches_as_a_fresh_one_including_an_edited_variant() -> None:
    # a rebuild reuses the last build's word features: the edited variant must be read anew, the others
    # must give the same scores as a build from nothing
    from bot.core import faq_match
    from bot.core.faq_match import FaqMatcher
    from bot.core.ports import FaqEntry

    def entries(variant: str) -> list[FaqEntry]:
        return [FaqEntry("leave", "t", ["Nghỉ phép năm được mấy ngày?", variant], "12 ngày.", []),
                FaqEntry("fine", "t", ["Vượt đèn đỏ bị phạt bao nhiêu?", "vuot den do phat bn"], "Phạt tiền.", [])]

    FaqMatcher(entries("nghi phep nam may ngay"))
    rebuilt = FaqMatcher(entries("tien luong ngay nghi tet"))
    faq_match._LAST_BUILD.clear()
    fresh = FaqMatcher(entries("tien luong ngay nghi tet"))
    for question in ("tết được trả lương không", "nghi phep may ngay", "vuot den do"):
        assert [(m.entry.id, round(m.score, 6)) for m in rebuilt.search(question, 2)] == \
            [(m.entry.id, round(m.score, 6)) for m in fresh.search(question, 2)]
    assert rebuilt.search("tết được trả lương không", 1)[0].entry.id == "leave"  # the edited variant counts


def test_the_content_words_read_off_a_variants_features_are_those_of_the_question_itself() -> None:
    # a rebuild takes each variant's content words from its cached features (content_of) instead of
    # reading the question again (content_words): the two must agree, legal-term expansion and teencode included
    from bot.core.faq_match import content_of, content_words, features

    for question in ("Nghỉ phép năm được mấy ngày?", "cty ko tra luong 2 thang thi kien o dau",
                     "bị đuổi việc khi đang mang bầu thì sao", "vuot den do xe may phat bn", "lam so do lan dau"):
        assert content_of(features(question)) == content_words(question), question
