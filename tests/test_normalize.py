"""Vietnamese normalisation: one tone placement, NFC, folding, diacritic stripping."""

from __future__ import annotations

import unicodedata

import pytest

from retrieval.normalize import fold, has_diacritics, nfc, normalize_text, strip_diacritics


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [
        ("hoà bình", "hòa bình"),
        ("thuỷ lợi", "thủy lợi"),
        ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
        ("toà án", "tòa án"),
        ("khoẻ mạnh", "khỏe mạnh"),
        ("HOÀ GIẢI", "HÒA GIẢI"),
        ("xoá bỏ", "xóa bỏ"),
    ],
)
def test_both_tone_placements_fold_to_the_same_text(old_style: str, new_style: str) -> None:
    assert fold(old_style) == fold(new_style)
    assert normalize_text(old_style) == normalize_text(new_style)


def test_words_whose_tone_position_is_fixed_are_left_alone() -> None:
    # "quý": the u belongs to "qu"; "hoàn", "khuyến": a final consonant fixes the mark.
    assert normalize_text("quý hoàn thành khuyến nông thuở") == "quý hoàn thành khuyến nông thuở"


def test_decomposed_unicode_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Người lao động")
    assert decomposed != "Người lao động"
    assert nfc(decomposed) == "Người lao động"
    assert fold(decomposed) == "người lao động"


def test_fold_drops_case_and_punctuation_and_makes_numbers_comparable() -> None:
    assert fold("Điều 5, KHOẢN 2 (điểm a).") == "điều 5 khoản 2 điểm a"
    assert fold("phạt 2.000.000 đồng trong 05 ngày") == "phạt 2000000 đồng trong 5 ngày"


def test_strip_diacritics_maps_d_with_stroke_and_works_on_nfd() -> None:
    assert strip_diacritics("Đất đai, nghỉ phép năm") == "Dat dai, nghi phep nam"
    assert strip_diacritics(unicodedata.normalize("NFD", "Hòa giải ở cơ sở")) == "Hoa giai o co so"


def test_has_diacritics_tells_typed_without_accents_apart() -> None:
    assert not has_diacritics("nghi phep nam duoc may ngay")
    assert has_diacritics("nghỉ phép")
    assert has_diacritics("đi")
