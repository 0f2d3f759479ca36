"""Quiz pages: staff build a short quiz (each answer cites an indexed article), publish or close it, see results."""

from __future__ import annotations

import csv
import io

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.ports import QuizQuestion
from bot.desk import params, texts
from bot.desk.articles import article_view
from bot.desk.context import Desk, client_ip, current_staff, desk_of, int_param, redirect
from bot.desk.csrf import checked_form
from bot.desk.render import page
from bot.storage.quizzes import MAX_QUESTIONS, QuizStore, QuizSummary

LETTERS = "ABCD"
_CLAUSE_OK = frozenset("0123456789")


def _store(desk: Desk) -> QuizStore:
    if desk.quizzes is None:  # pragma: no cover - build_desk always makes one
        raise RuntimeError("the desk has no quiz store")
    return desk.quizzes


async def _quiz(desk: Desk, quiz_id: int) -> tuple[QuizSummary, list[QuizQuestion]]:
    """The quiz and its questions, or 404."""
    found = await desk.run(_store(desk).quiz, quiz_id)
    if found is None:
        raise HTTPException(404)
    return found  # type: ignore[no-any-return]


async def quizzes(request: Request) -> Response:
    desk = desk_of(request)
    items = await desk.run(_store(desk).summaries)
    return await page(request, "quizzes.html", nav="quizzes", items=items)


async def create(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    title = params.text(form, "title", max_length=200).strip()
    topic = params.text(form, "topic", max_length=120).strip()
    if not title:
        return redirect(request, "/quizzes", err="quiz_title")
    me = current_staff(request)
    quiz_id = await desk.run(_store(desk).create, title, topic, me.id)
    await desk.run(desk.staff.audit, me.id, "quiz_create", title, {"quiz_id": quiz_id}, client_ip(request))
    return redirect(request, f"/quizzes/{quiz_id}", ok="quiz_created")


async def detail(request: Request) -> Response:
    desk = desk_of(request)
    quiz_id = int_param(request, "quiz_id")
    summary, questions = await _quiz(desk, quiz_id)
    results = await desk.run(_store(desk).results, quiz_id)
    return await page(request, "quiz.html", nav="quizzes", quiz=summary, questions=questions,
                      results=results, letters=LETTERS, max_questions=MAX_QUESTIONS,
                      unknown_commune=texts.UNKNOWN_PLACE)


def _question_problem(desk: Desk, form: dict[str, str]) -> tuple[str | None, dict[str, object]]:
    """(error key, checked values): 2-4 options, one right answer, an explanation, an article that resolves."""
    text = params.text(form, "text", max_length=1000).strip()
    given = [params.text(form, f"option_{i}", max_length=300).strip() for i in range(4)]
    options = [o for o in given if o]
    explanation = params.text(form, "explanation", max_length=1000).strip()
    article_id = params.text(form, "article_id", max_length=255).strip()
    clause = params.text(form, "clause", max_length=4).strip()
    correct = params.choice(form, "correct", list(LETTERS), "")
    if not text or len(options) < 2 or not explanation:
        return "quiz_incomplete", {}
    if not correct or not given[LETTERS.index(correct)]:  # the right answer is one of those given
        return "quiz_correct", {}
    right = given[LETTERS.index(correct)]
    if clause and not set(clause) <= _CLAUSE_OK:
        return "quiz_clause", {}
    view = article_view(article_id, desk.lookup_article(article_id) if article_id else None)
    if not view.found:
        return "quiz_article", {}
    if view.status == "expired":  # never teach a rule that no longer applies
        return "quiz_article_expired", {}
    if view.status == "suspended":  # nor one suspended today (NĐ 101/2024 Điều 28-49 until 01/03/2027)
        return "quiz_article_suspended", {}
    citation = (f"khoản {clause} " if clause else "") + view.label
    return None, {"text": text, "options": options, "correct": options.index(right),
                  "explanation": explanation, "article_id": view.article_id, "citation": citation}


async def add_question(request: Request) -> Response:
    desk = desk_of(request)
    quiz_id = int_param(request, "quiz_id")
    form = await checked_form(request)
    summary, questions = await _quiz(desk, quiz_id)
    if summary.status != "draft":
        return redirect(request, f"/quizzes/{quiz_id}", err="quiz_not_draft")
    if len(questions) >= MAX_QUESTIONS:
        return redirect(request, f"/quizzes/{quiz_id}", err="quiz_full")
    problem, values = await desk.run(_question_problem, desk, {k: str(v) for k, v in form.items()})
    if problem is not None:
        return redirect(request, f"/quizzes/{quiz_id}", err=problem)
    await desk.run(lambda: _store(desk).add_question(quiz_id, **values))  # type: ignore[arg-type]
    return redirect(request, f"/quizzes/{quiz_id}", ok="quiz_question_added")


async def delete_question(request: Request) -> Response:
    desk = desk_of(request)
    quiz_id = int_param(request, "quiz_id")
    question_id = int_param(request, "question_id")
    await checked_form(request)
    found = await _quiz(desk, quiz_id)
    if found[0].status != "draft":
        return redirect(request, f"/quizzes/{quiz_id}", err="quiz_not_draft")
    await desk.run(_store(desk).delete_question, quiz_id, question_id)
    return redirect(request, f"/quizzes/{quiz_id}", ok="quiz_question_deleted")


async def set_status(request: Request) -> Response:
    desk = desk_of(request)
    quiz_id = int_param(request, "quiz_id")
    form = await checked_form(request)
    status = params.choice(form, "status", ["published", "closed"], "")
    summary, questions = await _quiz(desk, quiz_id)
    if not status:
        raise HTTPException(400)
    if status == "published" and (summary.status != "draft" or not questions):
        return redirect(request, f"/quizzes/{quiz_id}", err="quiz_cannot_publish")
    await desk.run(_store(desk).set_status, quiz_id, status)
    me = current_staff(request)
    await desk.run(desk.staff.audit, me.id, f"quiz_{status}", summary.title, {"quiz_id": quiz_id},
                   client_ip(request))
    return redirect(request, f"/quizzes/{quiz_id}", ok=f"quiz_{status}")


async def results_csv(request: Request) -> Response:
    desk = desk_of(request)
    quiz_id = int_param(request, "quiz_id")
    await _quiz(desk, quiz_id)  # 404 for an unknown quiz
    results = await desk.run(_store(desk).results, quiz_id)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "key", "count", "value"])
    w.writerow(["participants", "", results.participants, ""])
    w.writerow(["finished", "", results.finished, f"{results.average_score:.2f}"])
    for q in results.questions:
        w.writerow(["question", q.position, q.answered, f"{q.rate:.3f}"])
    for commune, people, average in results.by_commune:
        w.writerow(["commune", commune or texts.UNKNOWN_PLACE, people, f"{average:.2f}"])
    return Response(
        "\ufeff" + out.getvalue(),  # BOM: Excel opens UTF-8 Vietnamese correctly
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="quiz-{quiz_id}.csv"'},
    )


routes = [
    Route("/quizzes", quizzes, methods=["GET"], name="quizzes"),
    Route("/quizzes", create, methods=["POST"]),
    Route("/quizzes/{quiz_id:int}", detail, methods=["GET"]),
    Route("/quizzes/{quiz_id:int}/questions", add_question, methods=["POST"]),
    Route("/quizzes/{quiz_id:int}/questions/{question_id:int}/delete", delete_question, methods=["POST"]),
    Route("/quizzes/{quiz_id:int}/status", set_status, methods=["POST"]),
    Route("/quizzes/{quiz_id:int}/results.csv", results_csv, methods=["GET"]),
]
