"""Legal quizzes in chat (/thi): pick a published quiz, answer A-D, learn the rule and its basis after each answer."""

from __future__ import annotations

import re

from bot.core import texts
from bot.core.models import Button, ButtonAction, Channel, Reply, ReplyKind
from bot.core.ports import QuizAttempt, QuizBook, QuizQuestion, QuizView
from retrieval.normalize import strip_diacritics

LETTERS = "ABCD"
CHOICES = (ButtonAction.CHOICE_1, ButtonAction.CHOICE_2, ButtonAction.CHOICE_3, ButtonAction.CHOICE_4)
# "a", "B.", "c)", "đáp án d", "chon b": a whole short message naming one option
_CHOICE_RE = re.compile(r"^\s*(?:dap an|chon|cau)?\s*([abcd])\s*[.)!]*\s*$")


def choice_of(text: str) -> int | None:
    """The option a typed message picks (0-3), or None when it is not an answer."""
    folded = strip_diacritics((text or "").casefold()).replace("đ", "d")
    m = _CHOICE_RE.match(folded)
    return LETTERS.lower().index(m.group(1)) if m else None


def quiz_number(text: str) -> int | None:
    """'/thi 2' -> 2; '/thi' -> None."""
    parts = (text or "").split()
    if len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return None


class QuizPolicy:
    """The quiz conversation; progress lives in the attempt (storage), not in the chat state."""

    def __init__(self, book: QuizBook) -> None:
        self.book = book

    def command(self, channel: Channel, user_id: str, text: str) -> Reply:
        """/thi lists the published quizzes (or starts the only one); /thi N starts quiz N."""
        quizzes = [q for q in self.book.published() if q.questions]
        if not quizzes:
            return Reply(ReplyKind.INFO, texts.QUIZ_NONE)
        number = quiz_number(text)
        if number is None and len(quizzes) > 1:
            lines = [f"{i}. {q.title} ({len(q.questions)} câu)" for i, q in enumerate(quizzes, 1)]
            return Reply(ReplyKind.INFO, "\n".join([texts.QUIZ_LIST_HEAD, *lines, texts.QUIZ_LIST_TAIL]))
        if number is not None and not 1 <= number <= len(quizzes):
            return Reply(ReplyKind.INFO, texts.QUIZ_UNKNOWN.format(number=number))
        quiz = quizzes[(number or 1) - 1]
        attempt = self.book.start(channel, user_id, quiz.id)
        intro = texts.QUIZ_INTRO.format(title=quiz.title, count=len(quiz.questions))
        return self._ask(quiz, attempt, lead=[intro])

    def typed_answer(self, channel: Channel, user_id: str, text: str) -> Reply | None:
        """A typed A-D while the citizen has a quiz open answers it; None: not an answer (a legal question)."""
        choice = choice_of(text)
        if choice is None:
            return None
        attempt = self.book.active_attempt(channel, user_id)
        return None if attempt is None else self._answer(attempt, choice)

    def answer(self, channel: Channel, user_id: str, choice: int, ref: str | None = None) -> Reply:
        """A quiz button pressed: the answer to the open question (or "this quiz is over"); `ref`, the
        question the button was shown under, must be that open question."""
        return self._answer(self.book.active_attempt(channel, user_id), choice, ref)

    def _answer(self, attempt: QuizAttempt | None, choice: int, ref: str | None = None) -> Reply:
        """Score one answer, explain it with its basis, then ask the next question or give the score."""
        quiz = self._quiz(attempt.quiz_id) if attempt is not None else None
        if attempt is None or quiz is None:
            return Reply(ReplyKind.INFO, texts.QUIZ_CLOSED)
        question = _next(quiz, attempt)
        if question is None:  # every question answered: nothing pending
            return Reply(ReplyKind.INFO, texts.QUIZ_CLOSED)
        if ref is not None and ref != str(question.id):
            # a button under an earlier question (already answered, or of another attempt): not this one's answer
            return self._ask(quiz, attempt, lead=[texts.QUIZ_STALE_BUTTON])
        if not 0 <= choice < len(question.options):
            return self._ask(quiz, attempt, lead=[])
        right = choice == question.correct
        last = len(attempt.answered) + 1 >= len(quiz.questions)
        attempt = self.book.answer(attempt.id, question.id, choice, right, last)
        verdict = texts.QUIZ_RIGHT if right else texts.QUIZ_WRONG.format(
            letter=LETTERS[question.correct], option=question.options[question.correct]
        )
        lead = [verdict, question.explanation.strip(), texts.QUIZ_BASIS.format(citation=question.citation)]
        if attempt.finished:
            done = texts.QUIZ_DONE.format(score=attempt.score, count=len(quiz.questions))
            return Reply(ReplyKind.INFO, "\n\n".join([p for p in lead if p] + [done]))
        return self._ask(quiz, attempt, lead=lead)

    def _quiz(self, quiz_id: int) -> QuizView | None:
        return next((q for q in self.book.published() if q.id == quiz_id), None)

    def _ask(self, quiz: QuizView, attempt: QuizAttempt, lead: list[str]) -> Reply:
        question = _next(quiz, attempt)
        if question is None:
            return Reply(ReplyKind.INFO, texts.QUIZ_CLOSED)
        number = len(attempt.answered) + 1
        options = [f"{LETTERS[i]}. {o}" for i, o in enumerate(question.options)]
        body = texts.QUIZ_QUESTION.format(number=number, count=len(quiz.questions), text=question.text)
        buttons = [Button(LETTERS[i], CHOICES[i], str(question.id)) for i in range(len(question.options))]
        return Reply(ReplyKind.INFO, "\n\n".join([p for p in lead if p] + [body + "\n" + "\n".join(options)]),
                     buttons=buttons)


def _next(quiz: QuizView, attempt: QuizAttempt) -> QuizQuestion | None:
    return next((q for q in quiz.questions if q.id not in attempt.answered), None)
