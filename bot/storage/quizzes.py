"""Quizzes in the database: staff build and publish them; citizens' attempts and answers; results per quiz."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from bot.core.models import Channel
from bot.core.ports import QuizAttempt, QuizQuestion, QuizView
from bot.storage.citizens import ensure_user, find_user_id
from bot.storage.db import Database, insert_ignore
from bot.storage.schema import Quiz, QuizAnswerRow, QuizAttemptRow, QuizQuestionRow, utcnow

STATUSES = ("draft", "published", "closed")
MAX_QUESTIONS = 30
# An unfinished attempt older than this no longer captures a typed "A": the citizen has moved on.
ATTEMPT_TTL = dt.timedelta(days=1)


@dataclass(frozen=True)
class QuizSummary:
    id: int
    title: str
    topic: str | None
    status: str
    questions: int
    participants: int
    created_at: dt.datetime


@dataclass(frozen=True)
class QuestionResult:
    position: int
    text: str
    answered: int
    correct: int

    @property
    def rate(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class QuizResults:
    participants: int
    finished: int
    average_score: float  # over finished attempts
    questions: list[QuestionResult] = field(default_factory=list)
    by_commune: list[tuple[str | None, int, float]] = field(default_factory=list)  # commune, people, avg


class QuizStore:
    """Staff side (build, publish, results) and the core's QuizBook (attempts)."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        commune_of: Callable[[Channel, str], str | None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        # the citizen's commune (routing by place) so results can be shown per commune
        self.commune_of = commune_of

    # ------------------------------------------------------------------ staff

    def create(self, title: str, topic: str | None, staff_id: int | None) -> int:
        with self.db.session() as s:
            quiz = Quiz(title=title, topic=topic or None, status="draft", created_by=staff_id,
                        created_at=self.clock())
            s.add(quiz)
            s.flush()
            return quiz.id

    def add_question(self, quiz_id: int, text: str, options: list[str], correct: int, explanation: str,
                     article_id: str, citation: str) -> int:
        with self.db.session() as s:
            position = s.scalar(
                sa.select(sa.func.coalesce(sa.func.max(QuizQuestionRow.position), 0)).where(
                    QuizQuestionRow.quiz_id == quiz_id
                )
            )
            row = QuizQuestionRow(quiz_id=quiz_id, position=int(position or 0) + 1, text=text, options=options,
                                  correct=correct, explanation=explanation, article_id=article_id,
                                  citation=citation)
            s.add(row)
            s.flush()
            return row.id

    def delete_question(self, quiz_id: int, question_id: int) -> bool:
        with self.db.session() as s:
            done = s.execute(
                sa.delete(QuizQuestionRow).where(QuizQuestionRow.id == question_id,
                                                 QuizQuestionRow.quiz_id == quiz_id)
            )
            return bool(getattr(done, "rowcount", 0))

    def set_status(self, quiz_id: int, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(status)
        now = self.clock()
        values: dict[str, object] = {"status": status}
        if status == "published":
            values["published_at"] = now
        elif status == "closed":
            values["closed_at"] = now
        with self.db.session() as s:
            s.execute(sa.update(Quiz).where(Quiz.id == quiz_id).values(**values))

    def summaries(self, quiz_id: int | None = None) -> list[QuizSummary]:
        """Every quiz, newest first, with its question and participant counts (or just `quiz_id`)."""
        questions = (
            sa.select(sa.func.count()).where(QuizQuestionRow.quiz_id == Quiz.id).scalar_subquery()
        )
        people = (
            sa.select(sa.func.count(sa.distinct(QuizAttemptRow.user_id)))
            .where(QuizAttemptRow.quiz_id == Quiz.id)
            .scalar_subquery()
        )
        with self.db.session(readonly=True) as s:
            query = sa.select(Quiz, questions, people).order_by(Quiz.created_at.desc(), Quiz.id.desc())
            if quiz_id is not None:
                query = query.where(Quiz.id == quiz_id)
            rows = s.execute(query)
            return [
                QuizSummary(q.id, q.title, q.topic, q.status, int(n or 0), int(p or 0), q.created_at)
                for q, n, p in rows
            ]

    def quiz(self, quiz_id: int) -> tuple[QuizSummary, list[QuizQuestion]] | None:
        found = next(iter(self.summaries(quiz_id)), None)
        if found is None:
            return None
        with self.db.session(readonly=True) as s:
            return found, self._questions(s, quiz_id)

    def results(self, quiz_id: int) -> QuizResults:
        with self.db.session(readonly=True) as s:
            attempts = s.execute(
                sa.select(QuizAttemptRow.user_id, QuizAttemptRow.commune, QuizAttemptRow.score,
                          QuizAttemptRow.finished_at).where(QuizAttemptRow.quiz_id == quiz_id)
            ).all()
            per_question = s.execute(
                sa.select(
                    QuizQuestionRow.position,
                    QuizQuestionRow.text,
                    sa.func.count(QuizAnswerRow.id),
                    sa.func.coalesce(sa.func.sum(sa.case((QuizAnswerRow.correct, 1), else_=0)), 0),
                )
                .outerjoin(QuizAnswerRow, QuizAnswerRow.question_id == QuizQuestionRow.id)
                .where(QuizQuestionRow.quiz_id == quiz_id)
                .group_by(QuizQuestionRow.id, QuizQuestionRow.position, QuizQuestionRow.text)
                .order_by(QuizQuestionRow.position)
            ).all()
        finished = [a for a in attempts if a.finished_at is not None]
        communes: dict[str | None, list[int]] = {}
        for a in finished:
            communes.setdefault(a.commune, []).append(a.score)
        return QuizResults(
            participants=len({a.user_id for a in attempts}),
            finished=len(finished),
            average_score=sum(a.score for a in finished) / len(finished) if finished else 0.0,
            questions=[QuestionResult(int(p), str(t), int(n), int(c)) for p, t, n, c in per_question],
            by_commune=sorted(
                ((c, len(v), sum(v) / len(v)) for c, v in communes.items()), key=lambda r: (-r[1], r[0] or "")
            ),
        )

    def participation(self, since: dt.datetime, until: dt.datetime) -> list[tuple[str, int, int]]:
        """(quiz title, people who started, attempts finished) for attempts started in [since, until)."""
        with self.db.session(readonly=True) as s:
            rows = s.execute(
                sa.select(
                    Quiz.title,
                    sa.func.count(sa.distinct(QuizAttemptRow.user_id)),
                    sa.func.count(QuizAttemptRow.finished_at),
                )
                .join(Quiz, Quiz.id == QuizAttemptRow.quiz_id)
                .where(QuizAttemptRow.started_at >= since, QuizAttemptRow.started_at < until)
                .group_by(Quiz.id, Quiz.title)
                .order_by(Quiz.title)
            ).all()
        return [(str(t), int(n), int(f)) for t, n, f in rows]

    # ------------------------------------------------------------------ citizens (bot.core.ports.QuizBook)

    def published(self) -> list[QuizView]:
        with self.db.session(readonly=True) as s:
            quizzes = s.scalars(
                sa.select(Quiz).where(Quiz.status == "published").order_by(Quiz.published_at, Quiz.id)
            ).all()
            return [QuizView(q.id, q.title, self._questions(s, q.id)) for q in quizzes]

    def active_attempt(self, channel: Channel, user_id: str) -> QuizAttempt | None:
        with self.db.session(readonly=True) as s:
            uid = find_user_id(s, channel, user_id)
            if uid is None:
                return None
            row = s.scalars(
                sa.select(QuizAttemptRow)
                .where(QuizAttemptRow.user_id == uid)
                .order_by(QuizAttemptRow.started_at.desc(), QuizAttemptRow.id.desc())
                .limit(1)
            ).first()
            if row is None or row.finished_at is not None or row.started_at < self.clock() - ATTEMPT_TTL:
                return None
            if s.scalar(sa.select(Quiz.status).where(Quiz.id == row.quiz_id)) != "published":
                return None
            return self._attempt(s, row)

    def start(self, channel: Channel, user_id: str, quiz_id: int) -> QuizAttempt:
        now = self.clock()
        commune = self.commune_of(channel, user_id) if self.commune_of is not None else None
        with self.db.session() as s:
            uid = ensure_user(s, channel, user_id, now, touch=False)
            row = QuizAttemptRow(quiz_id=quiz_id, user_id=uid, channel=str(channel), commune=commune,
                                 score=0, started_at=now)
            s.add(row)
            s.flush()
            return self._attempt(s, row)

    def answer(self, attempt_id: int, question_id: int, choice: int, correct: bool, last: bool) -> QuizAttempt:
        now = self.clock()
        with self.db.session() as s:
            # a second press of the same button (or a redelivered update) does not count twice
            insert_ignore(s, QuizAnswerRow, {"attempt_id": attempt_id, "question_id": question_id,
                                             "choice": choice, "correct": correct, "answered_at": now},
                          ["attempt_id", "question_id"])
            score = s.scalar(
                sa.select(sa.func.count()).where(QuizAnswerRow.attempt_id == attempt_id, QuizAnswerRow.correct)
            )
            values: dict[str, object] = {"score": int(score or 0)}
            if last:
                values["finished_at"] = now
            s.execute(sa.update(QuizAttemptRow).where(QuizAttemptRow.id == attempt_id).values(**values))
            row = s.get(QuizAttemptRow, attempt_id)
            assert row is not None
            s.refresh(row)
            return self._attempt(s, row)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _questions(s: sa.orm.Session, quiz_id: int) -> list[QuizQuestion]:
        rows = s.scalars(
            sa.select(QuizQuestionRow).where(QuizQuestionRow.quiz_id == quiz_id).order_by(QuizQuestionRow.position)
        ).all()
        return [
            QuizQuestion(r.id, r.text, [str(o) for o in r.options], r.correct, r.explanation, r.citation,
                         r.article_id)
            for r in rows
        ]

    @staticmethod
    def _attempt(s: sa.orm.Session, row: QuizAttemptRow) -> QuizAttempt:
        rows = s.execute(
            sa.select(QuizAnswerRow.question_id, QuizAnswerRow.choice).where(QuizAnswerRow.attempt_id == row.id)
        ).all()
        answered = {int(q): int(c) for q, c in rows}
        return QuizAttempt(row.id, row.quiz_id, answered, row.score, row.finished_at is not None)
