"""Queries behind the statistics page: questions per day/week by topic and channel, outcomes,
feedback, time to first staff reply, and the questions the bot could not answer confidently."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from bot.core.models import Channel
from bot.storage.db import Database
from bot.storage.schema import Conversation, Feedback, Message, Ticket

VIETNAM_UTC_OFFSET = 7  # hours; Vietnam has no daylight saving time


@dataclass(frozen=True)
class QuestionCount:
    """Questions asked on one local day, on one channel, about one topic, answered one way."""

    day: dt.date
    channel: str
    topic: str | None
    kind: str | None  # the reply kind: answer / clarify / escalated / refused / info
    count: int


@dataclass(frozen=True)
class ContentGap:
    question: str  # the most recent wording of the question
    count: int
    last_asked: dt.datetime


@dataclass(frozen=True)
class StatsReport:
    start: dt.date
    end: dt.date
    total_questions: int
    per_day: dict[dt.date, int]  # every day of the range, zeros included
    per_week: dict[dt.date, int]  # keyed by the Monday of each week
    by_topic: dict[str, int]
    by_channel: dict[str, int]
    by_kind: dict[str, int]
    feedback_up: int
    feedback_down: int
    positive_rate: float | None  # 👍 / (👍 + 👎)
    tickets_opened: int
    tickets_by_category: dict[str, int]
    median_first_reply_seconds: float | None
    content_gaps: list[ContentGap]
    rows: list[QuestionCount] = field(default_factory=list)  # the raw grouping, for CSV export


_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")


# Terminal traffic (`lawbot ask`/`chat`: admins trying the bot) is not citizens' demand.
CITIZENS_ONLY = Conversation.channel != Channel.CLI.value


def gap_threshold(answer_threshold: float | None) -> float:
    """Replies below this confidence count as content gaps: the operator's answer threshold, else 0.5
    (unset, the fitted model's own threshold decides answers; a stored confidence is a probability)."""
    return float(answer_threshold) if answer_threshold is not None else 0.5


def question_key(text: str) -> str:
    """Groups the same question asked with different case, spacing or punctuation."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.casefold())).strip()


class Stats:
    """All figures are for local days [start, end] inclusive (Vietnam time by default)."""

    def __init__(self, db: Database, *, utc_offset_hours: int = VIETNAM_UTC_OFFSET) -> None:
        self.db = db
        self.offset = int(utc_offset_hours)
        self.tz = dt.timezone(dt.timedelta(hours=self.offset))

    def _bounds(self, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
        lo = dt.datetime.combine(start, dt.time(), self.tz)
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), self.tz)
        return lo, hi

    def _local_day(self, column: Any) -> Any:
        if self.db.dialect == "postgresql":
            # an interval zone follows the ISO sign convention (+07:00 is east of UTC)
            zone: Any = sa.literal_column(f"INTERVAL '{self.offset:+d}:00'")
            return sa.func.date(sa.func.timezone(zone, column))
        return sa.func.date(column, f"{self.offset:+d} hours")

    @staticmethod
    def _as_date(value: Any) -> dt.date:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))

    # ------------------------------------------------------------------ single figures

    def question_counts(self, start: dt.date, end: dt.date) -> list[QuestionCount]:
        """A question is a citizen message the bot replied to; grouped by day, channel, topic, kind."""
        lo, hi = self._bounds(start, end)
        day = self._local_day(Message.created_at).label("day")
        q = (
            sa.select(day, Conversation.channel, Message.topic, Message.reply_kind, sa.func.count())
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.role == "bot",
                Message.reply_to_id.is_not(None),
                Message.created_at >= lo,
                Message.created_at < hi,
                CITIZENS_ONLY,
            )
            .group_by(day, Conversation.channel, Message.topic, Message.reply_kind)
        )
        with self.db.session(readonly=True) as s:
            return sorted(
                (
                    QuestionCount(self._as_date(d), ch, topic, kind, n)
                    for d, ch, topic, kind, n in s.execute(q)
                ),
                key=lambda r: (r.day, r.channel, r.topic or "", r.kind or ""),
            )

    def feedback(self, start: dt.date, end: dt.date) -> tuple[int, int]:
        """(👍, 👎) given in the range."""
        lo, hi = self._bounds(start, end)
        with self.db.session(readonly=True) as s:
            rows = dict(
                s.execute(
                    sa.select(Feedback.positive, sa.func.count())
                    .where(Feedback.created_at >= lo, Feedback.created_at < hi)
                    .group_by(Feedback.positive)
                ).all()
            )
        return int(rows.get(True, 0)), int(rows.get(False, 0))

    def median_first_reply(self, start: dt.date, end: dt.date) -> float | None:
        """Median seconds from escalation to the first staff reply, for tickets opened in the range."""
        lo, hi = self._bounds(start, end)
        with self.db.session(readonly=True) as s:
            rows = s.execute(
                sa.select(Ticket.created_at, Ticket.first_staff_reply_at).where(
                    Ticket.created_at >= lo,
                    Ticket.created_at < hi,
                    Ticket.first_staff_reply_at.is_not(None),
                )
            ).all()
        waits = [(replied - opened).total_seconds() for opened, replied in rows if replied]
        return statistics.median(waits) if waits else None

    def tickets_by_category(self, start: dt.date, end: dt.date) -> dict[str, int]:
        lo, hi = self._bounds(start, end)
        with self.db.session(readonly=True) as s:
            return dict(
                s.execute(
                    sa.select(Ticket.category, sa.func.count())
                    .where(Ticket.created_at >= lo, Ticket.created_at < hi)
                    .group_by(Ticket.category)
                ).all()
            )

    def content_gaps(
        self,
        start: dt.date,
        end: dt.date,
        *,
        threshold: float = 0.5,
        limit: int = 20,
        scan: int = 20_000,
    ) -> list[ContentGap]:
        """The most frequent questions the bot was unsure about: it asked to clarify, answered
        below `threshold` (or with no source), or the answer got a 👎."""
        lo, hi = self._bounds(start, end)
        question = aliased(Message)
        disliked = sa.exists().where(
            Feedback.message_id == Message.id, Feedback.positive.is_(False)
        )
        unsure = sa.or_(
            Message.reply_kind == "clarify",
            sa.and_(
                Message.reply_kind == "answer",
                sa.or_(Message.confidence.is_(None), Message.confidence < threshold),
            ),
            disliked,
        )
        q = (
            sa.select(question.text, Message.created_at)
            .join(question, question.id == Message.reply_to_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.role == "bot", Message.created_at >= lo, Message.created_at < hi, unsure, CITIZENS_ONLY)
            .order_by(Message.id.desc())
            .limit(scan)
        )
        counts: Counter[str] = Counter()
        latest: dict[str, tuple[str, dt.datetime]] = {}
        with self.db.session(readonly=True) as s:
            for text, when in s.execute(q):
                key = question_key(text)
                if not key:
                    continue
                counts[key] += 1
                latest.setdefault(key, (text, when))  # newest first
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -latest[kv[0]][1].timestamp()))
        return [ContentGap(latest[k][0], n, latest[k][1]) for k, n in ranked[:limit]]

    # ------------------------------------------------------------------ the whole page

    def report(
        self, start: dt.date, end: dt.date, *, threshold: float = 0.5, gaps: int = 20
    ) -> StatsReport:
        rows = self.question_counts(start, end)
        per_day = {start + dt.timedelta(days=i): 0 for i in range((end - start).days + 1)}
        per_week: dict[dt.date, int] = {}
        for d in per_day:
            per_week.setdefault(d - dt.timedelta(days=d.weekday()), 0)
        by_topic: Counter[str] = Counter()
        by_channel: Counter[str] = Counter()
        by_kind: Counter[str] = Counter()
        for r in rows:
            per_day[r.day] = per_day.get(r.day, 0) + r.count
            monday = r.day - dt.timedelta(days=r.day.weekday())
            per_week[monday] = per_week.get(monday, 0) + r.count
            by_topic[r.topic or "other"] += r.count
            by_channel[r.channel] += r.count
            by_kind[r.kind or "unknown"] += r.count
        up, down = self.feedback(start, end)
        categories = self.tickets_by_category(start, end)
        return StatsReport(
            start=start,
            end=end,
            total_questions=sum(r.count for r in rows),
            per_day=per_day,
            per_week=per_week,
            by_topic=dict(by_topic.most_common()),
            by_channel=dict(by_channel.most_common()),
            by_kind=dict(by_kind.most_common()),
            feedback_up=up,
            feedback_down=down,
            positive_rate=up / (up + down) if up + down else None,
            tickets_opened=sum(categories.values()),
            tickets_by_category=categories,
            median_first_reply_seconds=self.median_first_reply(start, end),
            content_gaps=self.content_gaps(start, end, threshold=threshold, limit=gaps),
            rows=rows,
        )
