"""Platform JSON taken defensively: bounded nesting, finite numbers and valid Unicode, or UpdateError."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from bot.channels.events import UpdateError

# Real updates nest under 10 levels (a Telegram reply inside a message inside an update); deeper is
# an attack on the recursion of every later step (PTB's de_json, the JSON column, the worker).
MAX_DEPTH = 32
# half of a UTF-16 pair: JSON can spell it ("\ud800"), but no database or platform can store or send it
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _OutOfRange(ValueError):
    pass


@dataclass(frozen=True)
class Decoded:
    payload: Any
    repaired: int  # strings whose invalid Unicode was replaced by U+FFFD


def _finite(text: str) -> float:
    value = float(text)
    # 1e400 parses as inf: PostgreSQL refuses it, so every redelivery would fail again
    if not math.isfinite(value):
        raise _OutOfRange(text)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(body: bytes) -> Decoded:
    """Parse a webhook body; UpdateError (the webhook's 400) when it is not JSON we can store."""
    try:
        payload = json.loads(body, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise UpdateError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except _OutOfRange:
        raise UpdateError("a number in the body is out of range (not finite)") from None
    except (ValueError, UnicodeDecodeError):
        raise UpdateError("body is not valid UTF-8 JSON") from None
    return sanitize(payload)


def sanitize(payload: Any) -> Decoded:
    """A copy of already-parsed JSON (webhook or poller) that every later step can handle: lone
    surrogates become U+FFFD (the citizen's question is still answered); too deep or non-finite
    numbers raise UpdateError."""
    repaired = 0

    def clean(value: Any, depth: int) -> Any:
        nonlocal repaired
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value) is None:
                return value
            repaired += 1
            return _LONE_SURROGATE.sub("\ufffd", value)
        if isinstance(value, float) and not math.isfinite(value):
            raise UpdateError("a number in the update is out of range (not finite)")
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:  # checked before going deeper: the recursion stays this shallow
                raise UpdateError(f"JSON nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, list):
                return [clean(item, depth + 1) for item in value]
            return {clean(str(k), depth + 1): clean(v, depth + 1) for k, v in value.items()}
        return value

    return Decoded(clean(payload, 0), repaired)
