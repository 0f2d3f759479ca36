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
