"""Numbers a follow-up varies ("bé 5 tuổi thì sao") and the ranges a written answer states ("từ đủ 03 đến dưới 07 tuổi")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.normalize import nfc, strip_diacritics

# Units the law states thresholds in, folded, with the scale that makes two of them comparable: an age in years
# or in months ("36 tháng tuổi"), a duration in years, months or days, an amount in millions or billions of đồng.
_UNITS = {"thang tuoi": ("age", 1.0), "tuoi": ("age", 12.0), "nam": ("time", 365.0), "thang": ("time", 30.0),
          "ngay": ("time", 1.0), "trieu": ("money", 1.0), "ty": ("money", 1000.0), "tr": ("money", 1.0),
          "dong": ("money", 1e-6)}
_UNIT = r"(thang tuoi|tuoi|nam|thang|ngay|trieu|ty|tr|dong)\b"
_NUMBER = r"(\d+(?:[.,]\d+)*)"
# "từ (đủ) 03 (tuổi) đến (dưới) 07 tuổi", "dưới 03 tuổi", "trên / quá 36 tháng", "(từ) đủ 15 tuổi trở lên"
_BETWEEN = re.compile(rf"\btu (?:du )?{_NUMBER}(?: {_UNIT})? (?:den|toi) (?:duoi |het |du )?{_NUMBER} {_UNIT}")
_BELOW = re.compile(rf"\b(?:duoi|chua du|khong qua|toi da) {_NUMBER} {_UNIT}")
_ABOVE = re.compile(rf"\b(?:tren|qua|hon) {_NUMBER} {_UNIT}")
_FROM = re.compile(rf"\b(?:tu )?du {_NUMBER} {_UNIT} tro len|\btu {_NUMBER} {_UNIT} tro len")
_ASKED = re.compile(rf"(?<![\d.,]){_NUMBER} ?{_UNIT}")


def _fold(text: str) -> str:
    """No diacritics, lower case, one space; the dots and commas inside numbers kept ("50.000.000 đồng")."""
    text = strip_diacritics(nfc(text)).lower()
    text = re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", text)
    return " ".join(re.sub(r"[^\w.,%]+", " ", text).split())


_OPEN = 1e12


@dataclass(frozen=True)
class Quantity:
    kind: str  # age, time or money
    value: float  # in the kind's base unit (months of age, days, millions of đồng)


def _value(number: str) -> float:
    """"50.000.000" (the law's thousands), "1,5" or "1.5" (a decimal), "1.000,5" (both: the last one is the
    decimal mark); anything else typed is read by its digits, never an error."""
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", number):  # "500.000", "2,000,000": thousands
        return float(re.sub(r"[.,]", "", number))
    marks = re.findall(r"[.,]", number)
    if len(marks) == 1 or len(set(marks)) == 2:
        whole, _, decimal = number.rpartition(marks[-1])
        return float((re.sub(r"\D", "", whole) or "0") + "." + (re.sub(r"\D", "", decimal) or "0"))
    return float(re.sub(r"\D", "", number) or "0")


def _quantity(number: str, unit: str) -> Quantity:
    kind, scale = _UNITS[unit]
    return Quantity(kind, _value(number) * scale)


def asked(text: str) -> Quantity | None:
    """The first number with a unit a message names ("con lớn 5 tuổi", "làm được 8 tháng"), or None."""
    m = _ASKED.search(_fold(text))
    return _quantity(m.group(1), m.group(2)) if m else None


def _spans(folded: str) -> list[tuple[str, float, float]]:
    """(kind, low, high) of every range stated, the low end included, the high end excluded."""
    out = []
    for m in _BETWEEN.finditer(folded):
        high = _quantity(m.group(3), m.group(4))
        low = _quantity(m.group(1), m.group(2) or m.group(4))
        if low.kind == high.kind:
            out.append((high.kind, low.value, high.value))
    # the "dưới 200.000.000 đồng" closing a "từ ... đến dưới ..." range is not a range of its own
    folded = _BETWEEN.sub(lambda m: " " * len(m.group(0)), folded)
    for m in _BELOW.finditer(folded):
        q = _quantity(m.group(1), m.group(2))
        out.append((q.kind, 0.0, q.value))
    for m in _ABOVE.finditer(folded):
        q = _quantity(m.group(1), m.group(2))
        out.append((q.kind, q.value + 1e-9, float("inf")))
    for m in _FROM.finditer(folded):
        number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        q = _quantity(number, unit)
        out.append((q.kind, q.value, float("inf")))
    return out


def width(text: str, quantity: Quantity) -> float | None:
    """The width of the narrowest range `text` states that holds the quantity (of the same kind: an age is never
    a duration), None when none does."""
    # an open range ("từ 50 triệu trở lên") is wider than any closed one, and the nearer its start the narrower
    widths = [high - low if high != float("inf") else _OPEN + quantity.value - low
              for kind, low, high in _spans(_fold(text)) if kind == quantity.kind and low <= quantity.value < high]
    return min(widths) if widths else None


def holds(text: str, quantity: Quantity) -> bool:
    """Whether `text` states a range the quantity falls in."""
    return width(text, quantity) is not None


def sentence_holding(answer: str, message: str) -> str | None:
    """The sentence of an answer stating the narrowest range the number a message names falls in ("từ 50 triệu
    đến dưới 200 triệu" rather than "từ 2 triệu trở lên" for 60 triệu), or None."""
    quantity = asked(message)
    if quantity is None:
        return None
    best: tuple[float, str] | None = None
    for sentence in re.split(r"(?<=[.;!?])\s+|\n+", answer):
        w = width(sentence, quantity)
        if w is not None and (best is None or w < best[0]):
            best = (w, sentence.strip(" -•"))
    return best[1] if best else None
