"""CSV files for the council's reports: phone and CCCD numbers masked, no formula injection in Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from bot.core.pii import mask_pii

# Excel and LibreOffice run a cell starting with these as a formula: citizen text must stay text
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def citizen_text(text: str | None) -> str:
    """Free text a citizen wrote, as it may appear in an export: personal numbers masked, one line."""
    return " ".join(mask_pii(text or "").split())


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """UTF-8 with a BOM, so Excel shows Vietnamese correctly when the file is double-clicked."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buffer.getvalue()
