"""Vietnamese text normalisation: NFC, one tone-mark placement, case/punctuation folding, diacritic stripping."""

from __future__ import annotations

import re
import unicodedata

# Tone marks (combining) and the vowel letters that can carry them.
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng


def _with_tone(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


def _build_tone_map() -> dict[str, str]:
    """'oà' -> 'òa', 'oé' -> 'óe', 'uỷ' -> 'ủy' (and upper-case variants).

    Only the open syllable endings oa, oe, uy have two placements in use ("hoà"/"hòa",
    "thuỷ"/"thủy"); with a final consonant ("hoàn", "khuyến") both styles agree.
    The canonical form puts the mark on the first vowel, the form the brief asks for.
    """
    pairs = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for tone in _TONES:
            for f, s in ((first, second), (first.upper(), second.upper()), (first.upper(), second)):
                pairs[f + _with_tone(s, tone)] = _with_tone(f, tone) + s
    return pairs


_TONE_MAP = _build_tone_map()
# Not after 'q' ("quý": the u belongs to the consonant) and only at the end of a syllable.
# A leading character class lets the regex engine skip quickly over the text.
_TONE_RE = re.compile(
    "(?<![qQ])[oOuU][" + "".join(sorted({k[1] for k in _TONE_MAP})) + r"](?![^\W\d_])"
)


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii():
            table[cp] = base
    for cp in range(0x300, 0x370):  # stray combining marks (text that was not NFC)
        table[cp] = None
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    return table


_FOLD_TABLE = _build_fold_table()
_VN_MARKED = frozenset(chr(c) for c in _FOLD_TABLE)
_NON_WORD_RE = re.compile(r"[\W_]+")
_SPACE_RE = re.compile(r"\s+")
_THOUSANDS_RE = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")
_LEADING_ZERO_RE = re.compile(r"(?<!\w)0+(?=\d)")


def nfc(text: str) -> str:
    """Unicode NFC (the pháp điển source stores some letters decomposed)."""
    return unicodedata.normalize("NFC", text)


def _swap_tone(m: re.Match[str]) -> str:
    pair = m.group(0)
    return _TONE_MAP.get(pair, pair)  # e.g. "uà" is not a pair with two placements


def normalize_tones(text: str) -> str:
    """Put the tone mark of oa/oe/uy at syllable end on the first vowel: hoà -> hòa, thuỷ -> thủy."""
    return _TONE_RE.sub(_swap_tone, text)


def normalize_text(text: str) -> str:
    """NFC + one tone placement + collapsed whitespace; keeps case and punctuation (for display and parsing)."""
    return _SPACE_RE.sub(" ", normalize_tones(nfc(text))).strip()


def fold(text: str) -> str:
    """Matching form: NFC, one tone placement, lower case, punctuation to spaces.

    Numbers are made comparable: '2.000.000' -> '2000000', '05' -> '5'.
    """
    text = normalize_tones(nfc(text).lower())
    text = _THOUSANDS_RE.sub("", text)
    text = _NON_WORD_RE.sub(" ", text)
    return _LEADING_ZERO_RE.sub("", text).strip()


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics: 'Đất đai' -> 'Dat dai' (đ -> d); works on NFC or NFD input."""
    return text.translate(_FOLD_TABLE)


def has_diacritics(text: str) -> bool:
    """True when any letter carries a Vietnamese diacritic (or is đ)."""
    return not _VN_MARKED.isdisjoint(text)


# Function words and chat particles of questions, folded (no diacritics): they say nothing about the subject.
# Not "nha" or "no": folded, they are also "nhà" (house) and "nợ" (debt).
STOPWORDS = frozenset(["la", "va", "cua", "co", "khong", "duoc", "thi", "ma", "nhung", "cac", "cho", "toi", "em", "minh", "anh", "chi", "ban", "voi", "ve", "nay", "do", "vay", "a", "oi", "nhe", "hay", "hoac", "trong", "theo", "tai", "khi", "neu", "de", "tu", "den", "da", "dang", "se", "bi", "phai", "can", "lam", "nao", "gi", "sao", "the", "nhu", "bao", "nhieu", "lau", "may", "moi", "nguoi", "ai", "ho", "mot", "rat", "qua", "lai", "con", "nua", "roi", "cung", "van", "chua", "ra", "vao", "len", "o", "tren", "duoi", "hoi", "xin", "cam", "on", "u", "ha", "ak", "nhi", "ne", "day", "kia"])

# Words every legal text repeats: no help in telling one clause of an article from another.
LEGAL_BOILERPLATE = frozenset(["quy", "dinh", "luat", "phap", "dieu", "khoan", "diem"])
