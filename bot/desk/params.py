"""Every query and form parameter of the desk is read here: a malformed value is a 400, never a 500.

Routes never call int() on request data themselves: `?assignee=²` passes str.isdigit() and then
breaks int(), a 20-digit id overflows PostgreSQL's integer, a NUL byte is refused by PostgreSQL.
These helpers accept only ASCII digits in range, known choices, ISO dates and printable text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

MAX_ID = 2**31 - 1  # PostgreSQL integer: a larger id cannot exist
_DIGITS = re.compile(r"[0-9]{1,10}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class BadParameter(HTTPException):
    """400 with the parameter's name (for logs; the page never echoes request data)."""

    def __init__(self, name: str) -> None:
        super().__init__(400, f"bad parameter: {name}")


def _raw(source: Mapping[str, Any], name: str) -> str | None:
    value = source.get(name)
    if value is None:
        return None
    if not isinstance(value, str):  # an uploaded file where text was expected
        raise BadParameter(name)
    return value


def integer(
    source: Mapping[str, Any], name: str, default: int, *, lo: int = 0, hi: int = MAX_ID
) -> int:
    """A whole number in [lo, hi]; missing or empty gives `default`."""
    raw = _raw(source, name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.fullmatch(raw):
        raise BadParameter(name)
    value = int(raw)
    if not lo <= value <= hi:
        raise BadParameter(name)
    return value


def choice(source: Mapping[str, Any], name: str, choices: Collection[str], default: str) -> str:
    """One of `choices`; missing or empty gives `default`."""
    raw = _raw(source, name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise BadParameter(name)
    return raw


def text(source: Mapping[str, Any], name: str, *, max_length: int, default: str = "") -> str:
    """Printable text of at most `max_length` characters (line breaks allowed)."""
    raw = _raw(source, name)
    if raw is None:
        return default
    if len(raw) > max_length or _CONTROL.search(raw):
        raise BadParameter(name)
    return raw


def date(source: Mapping[str, Any], name: str) -> dt.date | None:
    """A YYYY-MM-DD date, or None when missing or empty."""
    raw = _raw(source, name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise BadParameter(name)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(name) from None


def query(request: Request) -> Mapping[str, Any]:
    """The query string as a mapping for the helpers above (the last value of a repeated name)."""
    return request.query_params


def path_id(request: Request, name: str) -> int:
    """A path id (the route's `:int` converter took ASCII digits); beyond the integer range: 404."""
    value = int(request.path_params[name])
    if value > MAX_ID:
        raise HTTPException(404)
    return value
