"""The Jinja2 environment of the desk: autoescaping always on, Vietnam time, Vietnamese labels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.templating import Jinja2Templates

from bot.desk import texts

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
# Vietnam has had no daylight saving time since 1975: a fixed offset is exact and needs no tzdata.
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")


def vn_time(value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(VN_TZ).strftime(fmt)


def age(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """'5 phút', '3 giờ', '2 ngày': how long a ticket has waited."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    seconds = max(0, int(((now or dt.datetime.now(dt.UTC)) - value).total_seconds()))
    if seconds < 60:
        return "vừa xong"
    if seconds < 3600:
        return f"{seconds // 60} phút"
    if seconds < 86400:
        return f"{seconds // 3600} giờ"
    return f"{seconds // 86400} ngày"


def label(value: Any, table: str) -> str:
    mapping: dict[Any, str] = getattr(texts, table)
    return mapping.get(value, "" if value is None else str(value))


def number(value: float | int | None, digits: int = 0) -> str:
    """Vietnamese number format: 1.234,5."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def duration(seconds: float | None) -> str:
    """'45 phút', '3 giờ 20 phút', '2 ngày 4 giờ'."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} phút"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"
    days, hours = divmod(hours, 24)
    return f"{days} ngày {hours} giờ" if hours else f"{days} ngày"


def urlencode_page(params: Any, page: int) -> str:
    """The current query string with another page number (for the pager links)."""
    items = [(k, v) for k, v in params.multi_items() if k != "page"]
    items.append(("page", str(page)))
    return urlencode(items)


def build_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        # every {{ }} is HTML-escaped: citizen text is untrusted and must never become markup
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        vn_time=vn_time,
        age=age,
        label=label,
        number=number,
        duration=duration,
        urlencode_page=urlencode_page,
    )
    return Jinja2Templates(env=env)
