"""Builders for storage tests: a settable clock, citizen messages, bot replies, ticket drafts, table dumps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from bot.core.models import (
    Button,
    ButtonAction,
    Channel,
    Citation,
    IncomingMessage,
    Passage,
    Reply,
    ReplyKind,
)
from bot.core.ports import TicketDraft, Turn
from bot.storage.db import Database
from bot.storage.schema import Base

T0 = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Vietnam


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float = 0, **kwargs: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds, **kwargs)
        return self.now


def message(
    text: str,
    *,
    user: str = "u1",
    chat: str | None = None,
    channel: Channel = Channel.TELEGRAM,
    mid: str = "m1",
    name: str | None = None,
) -> IncomingMessage:
    return IncomingMessage(channel, user, chat or user, text, mid, display_name=name)


def passage(article_id: str, score: float, topic: str | None = "lao_dong") -> Passage:
    return Passage(
        article_id=article_id,
        doc_number="45/2019/QH14",
        doc_title="Bộ luật Lao động",
        doc_type="Bộ luật",
        article=article_id.rsplit("_", 1)[-1],
        title="",
        text="...",
        score=score,
        topic=topic,
    )


def reply(
    text: str = "Theo Điều 113 Bộ luật Lao động số 45/2019/QH14 ...",
    kind: ReplyKind = ReplyKind.ANSWER,
    *,
    sources: list[Passage] | None = None,
    ticket_id: int | None = None,
) -> Reply:
    srcs = [passage("bllđ_113", 0.91), passage("bllđ_114", 0.42)] if sources is None else sources
    return Reply(
        kind=kind,
        text=text,
        citations=[Citation("bllđ_113", "45/2019/QH14", "113", doc_title="Bộ luật Lao động")],
        buttons=[
            Button("👍", ButtonAction.FEEDBACK_UP),
            Button("👎", ButtonAction.FEEDBACK_DOWN),
            Button("Gặp cán bộ", ButtonAction.HUMAN),
        ],
        ticket_id=ticket_id,
        sources=srcs,
    )


def draft(
    question: str = "Tôi bị công ty nợ lương 3 tháng, muốn kiện",
    *,
    user: str = "u1",
    chat: str | None = None,
    channel: Channel = Channel.TELEGRAM,
    urgency: str = "normal",
    category: str = "tranh_chap_lao_dong",
) -> TicketDraft:
    return TicketDraft(
        channel=channel,
        user_id=user,
        chat_id=chat or user,
        category=category,
        urgency=urgency,
        question=question,
        transcript=[Turn("user", question, T0)],
        sources=[("bllđ_113", 0.5)],
        draft_answer="Bạn có thể khởi kiện ...",
        legal_aid_hint=True,
    )


def dump_tables(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as dicts (the privacy tests search them)."""
    out: dict[str, list[dict[str, Any]]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in conn.execute(sa.select(table))]
            # in primary-key order, compared in Python: databases collate text keys differently
            keys = [c.name for c in table.primary_key.columns]
            out[table.name] = sorted(rows, key=lambda r: tuple(str(r[k]).zfill(20) for k in keys))
    return out


def count(db: Database, table: Any, *where: Any) -> int:
    with db.session(readonly=True) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0
