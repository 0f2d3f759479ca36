"""Legal quizzes: staff build and publish one in the desk; citizens take it on Telegram (buttons) and Zalo
(typed letters), learn the rule and its basis after each answer; results per question and commune."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.core import texts as core_texts
from bot.core.models import Channel
from bot.core.quiz import choice_of
from bot.storage.db import Database
from bot.storage.erase import erase_user
from bot.storage.quizzes import QuizStore
from bot.storage.schema import utcnow
from tests.auxil.app_harness import TG_HEADERS, ZALO_HEADERS, make_settings, running
from tests.auxil.desk import csrf_of, login, make_harness
from tests.auxil.fake_telegram import FakeTelegram, callback_query, private_message
from tests.auxil.fake_zalo import FakeZalo, text_event

LEAVE = "khoản 1 Điều 113 Bộ luật Lao động số 45/2019/QH14"
MATERNITY = "khoản 1 Điều 139 Bộ luật Lao động số 45/2019/QH14"


def labour_quiz(store: QuizStore, *, publish: bool = True) -> int:
    """Two questions whose answers are the articles' own figures (Bộ luật Lao động 2019)."""
    quiz_id = store.create("Hiểu đúng về nghỉ phép, thai sản", "Lao động", None)
    store.add_question(
        quiz_id,
        "Làm đủ 12 tháng cho một chủ, công việc bình thường, người lao động được nghỉ hằng năm bao nhiêu ngày?",
        ["10 ngày làm việc", "12 ngày làm việc", "14 ngày làm việc"],
        1,
        "Người làm đủ 12 tháng cho một người sử dụng lao động, công việc trong điều kiện bình thường, được "
        "nghỉ hằng năm 12 ngày làm việc, hưởng nguyên lương.",
        "20.2.LQ.113",
        LEAVE,
    )
    store.add_question(
        quiz_id,
        "Lao động nữ sinh một con được nghỉ thai sản trước và sau khi sinh tổng cộng bao lâu?",
        ["04 tháng", "05 tháng", "06 tháng", "08 tháng"],
        2,
        "Lao động nữ được nghỉ thai sản trước và sau khi sinh con 06 tháng; nghỉ trước khi sinh không quá 02 tháng.",
        "20.2.LQ.139",
        MATERNITY,
    )
    if publish:
        store.set_status(quiz_id, "published")
    return quiz_id


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("a", 0), ("B", 1), ("c.", 2), ("D)", 3), ("đáp án b", 1), ("chon c", 2), ("  a  ", 0)],
)
def test_a_typed_letter_is_an_answer(typed: str, expected: int) -> None:
    assert choice_of(typed) == expected


@pytest.mark.parametrize("typed", ["ai", "a b", "anh oi", "e", "1", "", "bao nhiêu ngày"])
def test_other_messages_are_not_answers(typed: str) -> None:
    assert choice_of(typed) is None


async def test_citizens_take_a_quiz_on_telegram_and_zalo_and_results_count_them(
    db: Database, index_dir: Path, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    store = QuizStore(db)
    quiz_id = labour_quiz(store)
    async with running(make_settings(db, index_dir, tg, zalo), db) as r:
        # Telegram: /thi starts the only published quiz; the options are buttons
        await r.client.post("/webhooks/telegram", json=private_message(1, "/thi", user_id=601), headers=TG_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(601)) == 1)
        first = tg.sent(601)[0]
        assert "Câu 1/2" in first["text"] and "12 ngày làm việc" in first["text"]
        assert [b["text"] for b in first["reply_markup"]["inline_keyboard"][0]] == ["A", "B", "C"]
        # the citizen presses what the keyboard holds (its callback data), as a Telegram client does
        first_keys = [b["callback_data"] for b in first["reply_markup"]["inline_keyboard"][0]]
        press = callback_query(21, first_keys[1], user_id=601)  # B: right
        await r.client.post("/webhooks/telegram", json=press, headers=TG_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(601)) == 2)
        second = tg.sent_texts(601)[1]
        assert core_texts.QUIZ_RIGHT in second and LEAVE in second and "Câu 2/2" in second
        # a second press under the first question is not an answer to the second one
        stale = callback_query(23, first_keys[0], user_id=601)
        await r.client.post("/webhooks/telegram", json=stale, headers=TG_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(601)) == 3)
        again = tg.sent(601)[2]
        assert core_texts.QUIZ_STALE_BUTTON in again["text"] and "Câu 2/2" in again["text"]
        second_keys = [b["callback_data"] for b in again["reply_markup"]["inline_keyboard"][0]]
        press = callback_query(22, second_keys[0], user_id=601)  # A: wrong
        await r.client.post("/webhooks/telegram", json=press, headers=TG_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(601)) == 4)
        last = tg.sent_texts(601)[3]
        assert "Chưa đúng. Đáp án đúng: C. 06 tháng" in last and MATERNITY in last
        assert "đúng 1/2 câu" in last

        # Zalo: the same quiz by typed letters (quick-reply hint instead of buttons)
        await r.client.post("/webhooks/zalo", json=text_event("zq-1", "/thi", user_id="z-601", wrapped=True),
                            headers=ZALO_HEADERS)
        assert await zalo.wait_until(lambda: len(zalo.sent("z-601")) == 1)
        assert "gõ chữ cái" in zalo.sent_texts("z-601")[0].casefold()
        await r.client.post("/webhooks/zalo", json=text_event("zq-2", "b", user_id="z-601", wrapped=True),
                            headers=ZALO_HEADERS)
        assert await zalo.wait_until(lambda: len(zalo.sent("z-601")) == 2)
        await r.client.post("/webhooks/zalo", json=text_event("zq-3", "c", user_id="z-601", wrapped=True),
                            headers=ZALO_HEADERS)
        assert await zalo.wait_until(lambda: len(zalo.sent("z-601")) == 3)
        assert "đúng 2/2 câu" in zalo.sent_texts("z-601")[2]

        # after the quiz a lone letter is an ordinary message again, not a third answer
        await r.client.post("/webhooks/zalo", json=text_event("zq-4", "a", user_id="z-601", wrapped=True),
                            headers=ZALO_HEADERS)
        assert await zalo.wait_until(lambda: len(zalo.sent("z-601")) == 4)
        assert "Câu" not in zalo.sent_texts("z-601")[3][:10]

    results = store.results(quiz_id)
    assert (results.participants, results.finished) == (2, 2)
    assert results.average_score == 1.5
    assert [(q.answered, q.correct) for q in results.questions] == [(2, 2), (2, 1)]


async def test_a_repeated_button_press_counts_once(db: Database) -> None:
    store = QuizStore(db)
    quiz_id = labour_quiz(store)
    attempt = store.start(Channel.TELEGRAM, "602", quiz_id)
    question = store.published()[0].questions[0]
    store.answer(attempt.id, question.id, 1, True, False)
    again = store.answer(attempt.id, question.id, 0, False, False)
    assert again.answered == {question.id: 1} and again.score == 1 and not again.finished


async def test_no_published_quiz_and_closed_quiz(db: Database, index_dir: Path,
                                                 fakes: tuple[FakeTelegram, FakeZalo]) -> None:
    tg, zalo = fakes
    store = QuizStore(db)
    quiz_id = labour_quiz(store, publish=False)  # a draft is not offered
    async with running(make_settings(db, index_dir, tg, zalo), db) as r:
        await r.client.post("/webhooks/telegram", json=private_message(1, "/thi", user_id=603), headers=TG_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(603)) == 1)
        assert tg.sent_texts(603)[0] == core_texts.QUIZ_NONE
        store.set_status(quiz_id, "published")
        await r.client.post("/webhooks/telegram", json=private_message(2, "/thi", user_id=603), headers=TG_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(603)) == 2)
        store.set_status(quiz_id, "closed")  # staff end it while the citizen is on question 1
        await r.client.post("/webhooks/telegram", json=callback_query(23, "lb:choice1", user_id=603),
                            headers=TG_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(603)) == 3)
        assert tg.sent_texts(603)[2] == core_texts.QUIZ_CLOSED
    assert store.results(quiz_id).finished == 0


def test_erasing_a_citizen_removes_their_attempts(db: Database) -> None:
    store = QuizStore(db)
    quiz_id = labour_quiz(store)
    attempt = store.start(Channel.ZALO, "z-604", quiz_id)
    store.answer(attempt.id, store.published()[0].questions[0].id, 1, True, False)
    erase_user(db, "zalo", "z-604", now=utcnow())
    assert store.results(quiz_id).participants == 0
    assert [q.answered for q in store.results(quiz_id).questions] == [0, 0]


async def test_staff_build_publish_and_export_a_quiz_in_the_desk(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    h.add_staff("lan@tgpl.vn")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        page = await c.get("/staff/quizzes")
        made = await c.post("/staff/quizzes", data={"title": "Nghỉ phép", "topic": "Lao động",
                                                    "csrf_token": csrf_of(page.text)})
        assert made.status_code == 303
        quiz_path = made.headers["location"].split("?")[0].replace("http://test", "")
        page = await c.get(quiz_path)
        assert "Bản nháp" in page.text
        question = {
            "text": "Làm đủ 12 tháng, công việc bình thường, được nghỉ hằng năm bao nhiêu ngày?",
            "option_0": "10 ngày làm việc", "option_1": "12 ngày làm việc", "option_2": "", "option_3": "",
            "correct": "B", "explanation": "Khoản 1 Điều 113: 12 ngày làm việc, hưởng nguyên lương.",
            "clause": "1", "csrf_token": csrf_of(page.text),
        }
        # a basis that does not resolve to an indexed article is refused and nothing is added
        refused = await c.post(quiz_path + "/questions", data={**question, "article_id": "99.9.LQ.1"},
                               follow_redirects=True)
        assert "Không tìm thấy điều luật này" in refused.text
        assert "Câu hỏi (0)" in refused.text
        # the right answer must be one of the options given
        wrong = await c.post(quiz_path + "/questions", data={**question, "article_id": "20.2.LQ.113",
                                                            "correct": "D"}, follow_redirects=True)
        assert "Hãy chọn đáp án đúng" in wrong.text
        added = await c.post(quiz_path + "/questions", data={**question, "article_id": "20.2.LQ.113"},
                             follow_redirects=True)
        assert "Đã thêm câu hỏi." in added.text
        assert "khoản 1 Điều 113 Bộ luật Lao động số 45/2019/QH14" in added.text
        published = await c.post(quiz_path + "/status", data={"status": "published",
                                                              "csrf_token": csrf_of(added.text)},
                                 follow_redirects=True)
        assert "Đang mở" in published.text
        # once open, questions can no longer change under the citizens' feet
        late = await c.post(quiz_path + "/questions", data={**question, "article_id": "20.2.LQ.113",
                                                           "csrf_token": csrf_of(published.text)},
                            follow_redirects=True)
        assert "Chỉ sửa được cuộc thi khi còn là bản nháp." in late.text

        store = QuizStore(db)
        [view] = store.published()
        attempt = store.start(Channel.TELEGRAM, "605", view.id)
        store.answer(attempt.id, view.questions[0].id, 1, True, True)
        exported = await c.get(quiz_path + "/results.csv")
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8").lstrip("\ufeff"))))
        assert ["participants", "", "1", ""] in rows and ["question", "1", "1", "1.000"] in rows
        listing = await c.get("/staff/quizzes")
        assert "Nghỉ phép" in listing.text and "Đang mở" in listing.text
