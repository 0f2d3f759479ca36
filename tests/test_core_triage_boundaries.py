"""Triage boundaries: a question about a harm vs the sender's own harm, calendar vs holidays, right vs request."""

from __future__ import annotations

from functools import partial

import pytest

from bot.core.triage import Verdict
from tests.auxil.triage_calls import judge as _judge
from tests.auxil.triage_calls import run

# a message these tests read as legal vocabulary the model knows (closest legal question at 0.95)
judge = partial(_judge, legal=0.95)


@pytest.mark.parametrize(
    "text",
    [
        "người chồng tát vợ trước mặt con thì bị phạt hành chính bao nhiêu",
        "bo duong danh con rieng cua vo thi bi xu ly ra sao",
        "kẻ bắt cóc trẻ em để đòi tiền chuộc phạm tội gì",
        "tội mua bán người được quy định ở điều nào của bộ luật hình sự",
        "trẻ em bị bạo hành thì ai có trách nhiệm báo cho chính quyền",
        "đe dọa giết người qua tin nhắn là tội gì, mức phạt thế nào",
    ],
)
def test_a_question_about_a_harm_told_of_nobody_is_answered(text: str) -> None:
    # the cues name violence, abduction or trafficking; nobody's own case is told, the law is asked
    assert run(text).verdict == Verdict.ANSWER
    # the model hesitating between a case and a question does not turn it into a case
    assert judge(text, answer=0.6, escalate=0.25, urgent=0.15, category="violence").verdict == Verdict.ANSWER


@pytest.mark.parametrize(
    "text",
    [
        "chồng tôi đánh tôi suốt mấy năm nay, luật quy định thế nào để tôi được bảo vệ",
        "sang nay toi bi ck danh sung mat, danh vo bi phat bao nhieu",
        "bố dượng hay sờ mó em gái tôi, việc này bị xử lý thế nào",
    ],
)
def test_the_senders_own_harm_goes_to_a_person_with_numbers_though_asked_as_a_question(text: str) -> None:
    # the same frames of a question, but the harm is done to the sender or their family
    r = judge(text, answer=0.95, escalate=0.03, urgent=0.02, category="violence")
    assert r.verdict == Verdict.ESCALATE and r.urgent and r.emergency[0] == "113"


@pytest.mark.parametrize(
    "text",
    [
        "năm ngoái tôi bị anh rể đánh gãy tay, giờ kiện anh ta đòi bồi thường thì được bao nhiêu",
        "con tôi bị bạn cùng lớp đánh rách đầu hôm thứ hai, gia đình bạn đó có phải bồi thường không",
    ],
)
def test_a_harm_that_is_over_told_as_context_of_a_question_on_the_law_is_answered(text: str) -> None:
    # the sender's own harm, but past and asked about as law (compensation): the article, and the offer of
    # a person that every answer carries; the cues alone (no model) still hand it to a person
    assert judge(text, answer=0.9, escalate=0.06, urgent=0.04, category="violence").verdict == Verdict.ANSWER
    assert run(text).verdict == Verdict.ESCALATE


@pytest.mark.parametrize(
    "text",
    ["tối qua tôi bị chồng đánh chảy máu, chồng có bị phạt không", "toi dang bi chong danh, chong co bi phat khong"],
)
def test_the_same_question_with_the_harm_now_still_goes_to_a_person(text: str) -> None:
    r = judge(text, answer=0.9, escalate=0.06, urgent=0.04, category="violence")
    assert r.verdict == Verdict.ESCALATE


def test_a_neighbours_case_asked_about_by_a_witness_is_a_question() -> None:
    text = "hàng xóm nhà tôi hay đánh vợ, người ngoài như tôi có được báo công an không"
    assert judge(text, answer=0.9, escalate=0.06, urgent=0.04, category="violence").verdict == Verdict.ANSWER


@pytest.mark.parametrize(
    "text",
    [
        "chồng cũ nhắn tin dọa sẽ đến tạt axit, tôi không dám ở nhà một mình",
        "hắn chửi bới đe dọa suốt, đêm nay bảo sẽ quay lại tìm mẹ con tôi",
    ],
)
def test_a_threat_with_danger_now_is_urgent_with_113(text: str) -> None:
    r = run(text)
    assert r.verdict == Verdict.ESCALATE and r.urgent and r.emergency[0] == "113"


def test_a_threat_the_model_reads_as_urgent_gets_numbers_first() -> None:
    # the cues see a threat (high, not urgent); the model gives urgency the larger share
    r = judge("người ta cứ đe dọa gia đình tôi mãi", answer=0.1, escalate=0.35, urgent=0.55, category="violence")
    assert r.verdict == Verdict.ESCALATE and r.urgent and r.emergency and r.emergency[0] == "113"


@pytest.mark.parametrize(
    "text",
    [
        "hôm nay là thứ mấy vậy ad",
        "mung 1 tet nam nay roi vao ngay nao duong lich",
        "còn mấy ngày nữa thì tới trung thu",
        "giờ này là mấy giờ rồi bot",
        "năm 2030 là năm con gì",
    ],
)
def test_calendar_questions_are_out_of_scope_whatever_the_faq_and_model_say(text: str) -> None:
    assert run(text).verdict == Verdict.OUT_OF_SCOPE
    # a FAQ entry on holidays matching well and a model leaning to an answer do not make it a legal question
    assert judge(text, answer=0.8, out=0.2, category="general", faq=0.6).verdict == Verdict.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "text",
    [
        "nghỉ tết nguyên đán năm nay người lao động được mấy ngày",
        "đi làm ngày mùng 1 tết thì lương tính thế nào",
        "nghỉ lễ quốc khánh trùng thứ bảy có được nghỉ bù không",
    ],
)
def test_holiday_questions_the_law_answers_are_not_calendar_questions(text: str) -> None:
    assert judge(text, answer=0.9, out=0.1, category="general", faq=0.6).verdict == Verdict.ANSWER


def test_weather_is_refused_though_the_model_leans_to_an_answer() -> None:
    assert judge("mai trời có mưa to không", answer=0.7, out=0.3, faq=0.5).verdict == Verdict.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "text",
    [
        "bị cáo có được gặp luật sư trước phiên tòa không",
        "người bị tạm giữ có quyền gặp luật sư khi nào",
    ],
)
def test_a_question_on_someones_right_to_meet_a_lawyer_is_answered(text: str) -> None:
    assert run(text).verdict == Verdict.ANSWER


@pytest.mark.parametrize(
    "text",
    [
        "vậy có được gặp luật sư không ạ",
        "thế có gặp cán bộ được không",
        "tôi có được gặp luật sư không",
        "máy trả lời không đúng, cho gặp ai đó tư vấn đi",
        "cho tôi gặp chuyên gia về đất đai",
    ],
)
def test_a_request_for_a_person_in_other_words_escalates(text: str) -> None:
    r = run(text)
    assert r.verdict == Verdict.ESCALATE and r.category == "human_request"
