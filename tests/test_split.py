"""Splitting long answers: every part fits the platform, cuts prefer article and paragraph boundaries."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.split import split_text, utf16_len


def test_short_text_is_one_part() -> None:
    assert split_text("  Xin chào  ", 2000) == ["Xin chào"]
    assert split_text("   ", 2000) == []


def test_cuts_before_an_article_rather_than_mid_paragraph() -> None:
    text = "Theo Điều 1:\n" + "a " * 40 + "\nĐiều 2. Nội dung\n" + "b " * 40
    parts = split_text(text, 120)
    assert parts[1].startswith("Điều 2.")


def test_a_single_giant_word_is_cut_hard() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_emoji_count_double_for_telegram() -> None:
    parts = split_text("👍" * 10, 10, measure=utf16_len)
    assert [utf16_len(p) for p in parts] == [10, 10]


@settings(max_examples=200, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from(["a", "bb", " ", "Đ", ".", "\n", "\n\n", "Điều 5. ", "xxxxxxxxxxxx"]),
        max_size=150,
    ),
    limit=st.integers(min_value=5, max_value=120),
)
def test_parts_fit_and_keep_every_word(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert "".join("".join(p.split()) for p in parts) == "".join(text.split())
