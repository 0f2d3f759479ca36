"""Read the arrays of the pháp điển's jsonData.js (jdChuDe, jdDeMuc, jdAllTree) node by node, tolerantly."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_VAR_RE = re.compile(r"\bvar\s+(jd\w+)\s*=\s*\[")
# Nodes are flat objects (no nested braces), so each one can be cut out and read on its own: one
# broken node (the known unterminated "TEN" string) then costs that node, not the whole array.
_NODE_RE = re.compile(r"\{[^{}]*\}", re.DOTALL)
_KEY_RE = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:\s*')


@dataclass
class JsArrays:
    """The arrays found, and the nodes repaired (read despite broken JSON) or skipped, with why."""

    arrays: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    repaired: list[tuple[str, int, str]] = field(default_factory=list)  # (array, node no., why)
    skipped: list[tuple[str, int, str]] = field(default_factory=list)


def read_js_arrays(text: str) -> JsArrays:
    """Every `var jdX = [ {...}, ... ]` of `text` as lists of dicts (the BOM, if any, stripped first)."""
    out = JsArrays()
    text = text.lstrip("\ufeff")
    starts = list(_VAR_RE.finditer(text))
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        name = m.group(1)
        nodes: list[dict[str, Any]] = []
        for n, node in enumerate(_NODE_RE.finditer(text, m.end(), end), start=1):
            raw = node.group(0)
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                fixed = _repair(raw)
                if not fixed:
                    out.skipped.append((name, n, f"unreadable node ({exc.msg}): {raw[:80]!r}"))
                    continue
                out.repaired.append(
                    (name, n, f"read despite broken JSON ({exc.msg}): {raw[:80]!r}")
                )
                value = fixed
            if isinstance(value, dict):
                nodes.append(value)
            else:
                out.skipped.append((name, n, "not an object"))
        out.arrays[name] = nodes
    return out


def _repair(raw: str) -> dict[str, Any] | None:
    """Read `{"K": "v", ...}` whose strings may lack their closing quote: each value runs to the next
    `"Key":` (so a value can hold no such text, true of the pháp điển's node fields)."""
    body = raw.strip()[1:-1]
    keys = list(_KEY_RE.finditer(body))
    if not keys:
        return None
    out: dict[str, Any] = {}
    for i, k in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(body)
        value = body[k.end() : end].strip().rstrip(",").strip()
        if value.startswith('"'):
            inner = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
            try:
                out[k.group(1)] = json.loads(f'"{inner}"')
            except json.JSONDecodeError:
                out[k.group(1)] = inner
        else:
            try:
                out[k.group(1)] = json.loads(value)
            except json.JSONDecodeError:
                out[k.group(1)] = value
    return out
