"""SVG charts drawn on the server: no JavaScript, printable, and every label escaped.

Colours come from CSS classes in desk.css (the page's CSP allows no inline styles).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

FONT = 12


def _nice_max(value: float) -> float:
    """A round axis maximum >= value (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def _fmt(n: float) -> str:
    return f"{n:,.0f}".replace(",", ".")


def column_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 760,
    height: int = 240,
    css: str = "bar",
) -> Markup:
    """Vertical bars (questions per day or per week); a tooltip on each bar gives the exact number."""
    left, right, top, bottom = 44, 12, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, v in points), default=0))
    n = max(1, len(points))
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.72)
    label_every = max(1, math.ceil(n / 16))  # at most ~16 x labels, whatever the range
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i in range(5):  # gridlines and y labels
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}">'
            f"{_fmt(value)}</text>"
        )
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top_value
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h - h
        out.append(
            f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="2">'
            f"<title>{escape(label)}: {_fmt(value)}</title></rect>"
        )
        if i % label_every == 0:
            cx = left + i * slot + slot / 2
            out.append(
                f'<text class="axis" x="{cx:.1f}" y="{height - bottom + 16}" text-anchor="middle"'
                f' font-size="{FONT}">{escape(label)}</text>'
            )
    out.append(
        f'<line class="baseline" x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
    )
    out.append("</svg>")
    return Markup("".join(out))


def bar_list(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 460,
    row: int = 26,
    css: str = "bar",
) -> Markup:
    """Horizontal bars with the label on the left and the number on the right (topics, channels)."""
    label_w, value_w = 170, 56
    height = max(row, row * len(items)) + 4
    top_value = max((v for _, v in items), default=0) or 1
    plot_w = width - label_w - value_w
    out = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = i * row + 2
        w = max(0.0, plot_w * value / top_value)
        short = label if len(label) <= 26 else label[:25] + "…"
        out.append(
            f'<text class="label" x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end"'
            f' font-size="{FONT}"><title>{escape(label)}</title>{escape(short)}</text>'
        )
        out.append(
            f'<rect class="{css}" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="2"/>'
        )
        out.append(
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + row / 2 + 4:.1f}"'
            f' font-size="{FONT}">{_fmt(value)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def split_bar(
    parts: Sequence[tuple[str, float, str]], *, title: str, width: int = 460, height: int = 28
) -> Markup:
    """One bar split into shares (e.g. 👍 / 👎, answered / escalated / refused); css class per part."""
    total = sum(v for _, v, _ in parts)
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    if total <= 0:
        out.append(f'<rect class="empty" x="0" y="0" width="{width}" height="{height}" rx="4"/>')
    x = 0.0
    for label, value, css in parts:
        if value <= 0 or total <= 0:
            continue
        w = width * value / total
        share = 100 * value / total
        out.append(
            f'<rect class="{escape(css)}" x="{x:.1f}" y="0" width="{w:.1f}" height="{height}">'
            f"<title>{escape(label)}: {_fmt(value)} ({share:.0f}%)</title></rect>"
        )
        x += w
    out.append("</svg>")
    return Markup("".join(out))
