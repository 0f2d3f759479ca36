"""The everyday-words -> legal-terms vocabulary is data with a source per entry, and reads words in context."""

from __future__ import annotations

import re
from importlib import resources

import yaml

from bot.core import lexicon
from bot.core.clean import legal_terms

_ANIMAL = "bồi thường thiệt hại do súc vật gây ra"


def _data() -> list[dict]:
    return yaml.safe_load(resources.files("bot.core").joinpath("legal_terms.yaml").read_text(encoding="utf-8"))


def test_every_entry_names_its_source_and_its_phrases_compile() -> None:
    entries = _data()
    assert len(entries) == len(lexicon.legal_terms()) > 50
    for e in entries:
        assert str(e.get("source") or "").strip(), e["term"]
        assert e["match"], e["term"]
    terms = [e["term"] for e in entries]
    assert len(terms) == len(set(terms))


def test_a_house_given_to_an_uncle_is_not_a_dog_bite() -> None:
    # typed without accents "cho chu hai can nha" reads "chó ... cắn" word by word
    assert _ANIMAL not in legal_terms("ba toi cho chu hai can nha tren pho, gio chia lai duoc khong")
    assert _ANIMAL not in legal_terms("bo toi da mat nam ngoai, nha dat chia the nao")
    assert _ANIMAL not in legal_terms("toi gui don cho dai bieu hoi dong nhan dan can thiep duoc khong")


def test_an_animal_named_before_what_it_did_is_one() -> None:
    assert _ANIMAL in legal_terms("con chó nhà bên chạy sang cắn con gái tôi")
    assert _ANIMAL in legal_terms("cho nha hang xom can chau toi chay mau")
    assert _ANIMAL in legal_terms("bị trâu húc gãy chân ai đền")
    assert _ANIMAL in legal_terms("nuôi chó để nó cắn khách thì chủ phải chịu gì")


def test_a_percentage_of_interest_is_read_as_an_interest_rate() -> None:
    assert any("lãi suất" in t for t in legal_terms("vay 10 trieu lai 5% mot thang co dung luat khong"))


def test_words_are_matched_whole_not_inside_longer_ones() -> None:
    # "nghia" (nghĩa) once passed for "nghi" (nghỉ) inside an inline regex
    assert "nghỉ việc riêng" not in legal_terms("anh chi co nghia vu nuoi em khi bo me mat")


def test_phrase_syntax_one_of_optional_gap_and_number_range() -> None:
    def matches(phrase: str, text: str) -> bool:
        return re.search(r"(?<![\w'])(?:" + lexicon._phrase(phrase) + r")(?![\w'])", f" {text} ") is not None

    assert matches("con (o|theo) [voi] ai", "con o voi ai") and matches("con (o|theo) [voi] ai", "con theo ai")
    assert matches("[de lai] di chuc", "khong di chuc") and matches("[de lai] di chuc", "de lai di chuc")
    assert matches("uong ruou *6 xe", "uong ruou xong roi moi lai xe") and not matches("uong ruou * xe", "uong ruou xong roi moi lai xe")
    assert matches("#60-99 tuoi", "ong 72 tuoi") and not matches("#60-99 tuoi", "anh 45 tuoi")
    assert matches("lai #%", "lai 3%") and matches("lai #%", "lai 3 %")


def test_everyday_words_of_the_second_set_reach_the_laws_terms() -> None:
    assert "sinh con phải phẫu thuật" in legal_terms("vợ tôi đẻ mổ thì chồng được nghỉ mấy ngày")
    assert "làm việc vào ban đêm" in legal_terms("em di lam ca dem co duoc them tien khong")
    # "trữ lượng" of a mine is no pay cut
    assert not any("khấu trừ" in t for t in legal_terms("tru luong khoang san cua mo nay la bao nhieu"))
    assert any("khấu trừ" in t for t in legal_terms("cong ty tru luong em vi di muon co dung khong"))


def test_going_to_report_a_death_is_a_death_registration() -> None:
    assert "đăng ký khai tử" in legal_terms("ba em mới mất sáng nay, nhà em phải đi báo tử ở đâu")
    # the stomach (bao tử) is not
    assert "đăng ký khai tử" not in legal_terms("dau bao tu uong thuoc gi")
