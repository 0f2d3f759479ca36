"""The one personal-data masker: phone, CCCD/CMND, e-mail and labelled bank numbers, for storage and logs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from bot.core.texts import BANK_MASK, EMAIL_MASK, ID_MASK, PHONE_MASK

PLACEHOLDERS = (PHONE_MASK, ID_MASK, EMAIL_MASK, BANK_MASK)

# ---------------------------------------------------------------------------------------------
# The probe: a copy of the text, character for character, that the patterns read. Every digit
# (full-width, Arabic-Indic ...) becomes its ASCII digit, full-width punctuation its ASCII form,
# dashes "-", odd and invisible spaces " ", Vietnamese letters their base letter. One character
# maps to one character, so a match in the probe is the same span in the text.

_INVISIBLE = {0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}
_DASHES = {0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE58, 0xFE63}


class _ProbeTable(dict[int, int | str]):
    """`str.translate` table filled on first sight of each character (the ASCII fast path is cached too)."""

    def __missing__(self, cp: int) -> int | str:
        self[cp] = value = _probe_char(cp)
        return value


def _probe_char(cp: int) -> int | str:
    if cp < 0x80:
        return cp
    ch = chr(cp)
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    if 0xFF01 <= cp <= 0xFF5E:  # full-width ASCII forms: ＋ （ ） － ． ＠ Ａ ...
        return chr(cp - 0xFEE0)
    if cp in _DASHES:
        return "-"
    if cp in _INVISIBLE or unicodedata.category(ch) == "Zs":
        return " "
    if ch in "đĐ":
        return "d" if ch == "đ" else "D"
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() and base.isalpha() else cp


_TABLE = _ProbeTable()


def _probe(text: str) -> str:
    return text.translate(_TABLE)


# ---------------------------------------------------------------------------------------------
# Patterns (read on the probe)

_START = r"(?<![\d+])(?<!\d[.,])"  # not inside a longer number or a decimal
_END = r"(?![.,:]?\d)"  # nor followed by more of one ("10:30", "1.000.000")
_SEP = r"[ \t.\-]{0,3}"

_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*")

_BANK_LABEL = (
    r"stk|so tk|tk ngan hang|tk nh|so tai khoan|tai khoan(?: ngan hang)?|account(?: number| no)?"
)
# label, then a few words ("của tôi ở Vietcombank là"), then 6-19 digits; no digit, bracket or
# sentence end in between, so a masked number ahead of another one never shifts the label onto it
_BANK = re.compile(
    rf"(?<!\w)(?:{_BANK_LABEL})(?!\w)[^\d\n\[\]?!;]{{0,30}}?(?P<pii>\d(?:{_SEP}\d){{5,18}}){_END}",
    re.I,
)
_ID_LABEL = (
    r"cmnd|cmt|cccd|can cuoc(?: cong dan)?|chung minh(?: nhan dan| thu)?|so dinh danh(?: ca nhan)?"
    r"|ma dinh danh"
)
# a labelled card number: 9 digits (CMND) or 12 (CCCD), any grouping
_LABELLED_ID = re.compile(
    rf"(?<!\w)(?:{_ID_LABEL})(?!\w)[^\d\n\[\]?!;]{{0,20}}?"
    rf"(?P<pii>\d(?:{_SEP}\d){{8}}(?:(?:{_SEP}\d){{3}})?){_END}",
    re.I,
)
# CCCD: 12 digits, grouped any way or not at all: a province code (001-096), then the century and
# sex digit (0-3 for people born 1900-2099; so "0084 ..." is a phone prefix, not a card), then 8 more
_CCCD = re.compile(rf"{_START}0(?:{_SEP}\d){{2}}{_SEP}[0-3](?:{_SEP}\d){{8}}{_END}")
# Phone: national (0 + 9 or 10 digits: mobile or landline) or international (+84, 0084, 84, maybe
# in brackets, maybe "(0)"); digits grouped by spaces, dots, dashes or a closing bracket "(091) 234".
_PHONE = re.compile(
    _START
    + r"(?!0[1-9][./\-](?:0?[1-9]|1[0-2])[./\-](?:19|20)\d\d)"  # a date, 05.08.2024
    + r"(?:"
    r"(?:\([ \t]?)?(?:\+[ \t]?84|0084)[ \t]?\)?[ \t.\-]{0,3}(?:\(0\)[ \t.\-]{0,3}|0[ \t]{0,2})?[1-9]"
    r"|\(?84\)?[ \t.\-]{0,3}[235789]"  # bare 84: no trunk 0, so "840.000.000" is not a phone
    r"|\(?0\)?[ \t]{0,2}[1-9]"  # no dot after the 0: "0.5" is a number
    r")"
    r"(?:[ \t.\-)]{0,3}\d){8,9}" + _END
)
# a sum of money is never masked: "84.500.000.000 đồng", "120000000000 đồng"
_MONEY_FORMAT = re.compile(r"\(?[1-9]\d{0,2}(?:[.,]\d{3})+")
# (not "k", "tr", "tỷ", "tỉ": after a phone number they are "không", "trước", "tý/tí nữa" as often)
_UNIT_AFTER = re.compile(r"[ \t]*(?:dong|vnd|trieu|nghin|ngan|d)(?!\w)", re.I)


def _not_money(match: re.Match[str], probe: str) -> bool:
    """An unlabelled number written like a sum of money, or any number followed by a currency unit."""
    labelled = "pii" in match.re.groupindex
    start, end = match.span("pii") if labelled else match.span()
    if not labelled and _MONEY_FORMAT.fullmatch(probe, start, end):
        return False
    return not _UNIT_AFTER.match(probe, end)


# in this order: an e-mail's digits are the e-mail's, a labelled number is what its label says,
# a grouped 12-digit CCCD is one card number and not a phone with three digits left over
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (_EMAIL, EMAIL_MASK),
    (_BANK, BANK_MASK),
    (_LABELLED_ID, ID_MASK),
    (_CCCD, ID_MASK),
    (_PHONE, PHONE_MASK),
)


def _replace(
    text: str, probe: str, pattern: re.Pattern[str], placeholder: str,
    accept: Callable[[re.Match[str], str], bool],
) -> tuple[str, str]:
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(probe):
        if not accept(match, probe):
            continue
        start, end = match.span("pii") if "pii" in pattern.groupindex else match.span()
        pieces += [text[last:start], placeholder]
        last = end
    if not pieces:
        return text, probe
    pieces.append(text[last:])
    masked = "".join(pieces)
    return masked, _probe(masked)


def mask_pii(text: str) -> str:
    """Replace phone numbers, CCCD/CMND numbers, e-mail addresses and labelled bank account numbers
    with Vietnamese placeholders; everything else (legal references, amounts, dates) is left as is."""
    work = text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
    probe = _probe(work)
    if not any(ch.isdigit() or ch == "@" for ch in probe):
        return text
    masked = work
    for pattern, placeholder in _RULES:
        accept = _always if pattern is _EMAIL else _not_money
        masked, probe = _replace(masked, probe, pattern, placeholder, accept)
    return text if masked == work else masked


def _always(_match: re.Match[str], _probe: str) -> bool:
    return True


def has_pii(text: str) -> bool:
    """True if `mask_pii` would change the text."""
    return mask_pii(text) != text


def holds_mask(text: str) -> bool:
    """True if the text was masked already (e.g. at intake, before the core saw it)."""
    return any(p in text for p in PLACEHOLDERS)


# ---------------------------------------------------------------------------------------------
# Platform updates (JSON): every string is masked except identifiers, which replies need

_KEEP_KEYS = frozenset({"id", "date", "event_name", "chat_type", "type", "language_code"})


def _keeps(key: object) -> bool:
    return isinstance(key, str) and (key in _KEEP_KEYS or key.endswith("_id"))


def mask_payload(payload: Any) -> Any:
    """A copy of a JSON value with its text masked; ids ("id", "*_id") and dates kept. Iterative,
    so an update nested thousands deep is copied rather than crashing the intake."""
    if isinstance(payload, str):
        return mask_pii(payload)
    if not isinstance(payload, dict | list):
        return payload
    root: dict[Any, Any] | list[Any] = {} if isinstance(payload, dict) else []
    stack: list[tuple[dict[Any, Any] | list[Any], dict[Any, Any] | list[Any]]] = [(payload, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            copy: Any
            if isinstance(value, dict | list):
                copy = {} if isinstance(value, dict) else []
                stack.append((value, copy))
            elif isinstance(value, str) and not (isinstance(source, dict) and _keeps(key)):
                copy = mask_pii(value)
            else:
                copy = value
            if isinstance(target, dict):
                target[key] = copy
            else:
                target.append(copy)
    return root
