"""Triage with knowledge-base evidence: short citizen questions are answered, not refused or escalated."""

from __future__ import annotations

import pytest

from bot.core.clean import clean_message
from bot.core.triage import Verdict, triage
from tests.auxil.triage_calls import judge


@pytest.mark.parametrize(
    "text",
    [
        "o to chay qua toc do bi giu bang may thang",
        "ck e nhau xong dua xe cho ban chay thi ai bi phat",
        "dang ky cho con di hoc trai tuyen can gi",
    ],
)
def test_a_short_unaccented_legal_question_the_faq_knows_is_answered(text: str) -> None:
    # the sentence model reads these as small talk; a close FAQ question says they are legal questions
    r = judge(text, answer=0.1, out=0.85, category="general", legal=0.9, faq=0.6)
    assert r.verdict == Verdict.ANSWER


def test_without_knowledge_base_evidence_the_same_reading_is_refused() -> None:
    r = judge("cach nuong ga bang noi chien khong dau", answer=0.1, out=0.85, category="general", legal=0.87, faq=0.02)
    assert r.verdict == Verdict.OUT_OF_SCOPE


def test_a_message_close_to_known_legal_questions_needs_a_sure_model_to_be_refused() -> None:
    text = "nghia vu cua con dau voi me chong"
    assert judge(text, answer=0.2, out=0.75, legal=0.95, faq=0.1).verdict == Verdict.ANSWER
    assert judge(text, answer=0.01, out=0.98, legal=0.95, faq=0.1).verdict == Verdict.OUT_OF_SCOPE


def test_a_health_emergency_is_refused_with_115_whatever_the_faq_says() -> None:
    r = judge("ong noi dang kho tho, moi tim tai, goi mai ko tinh", answer=0.1, out=0.8, category="health",
              legal=0.93, faq=0.6)
    assert r.verdict == Verdict.OUT_OF_SCOPE and r.emergency == ("115",)


def test_a_request_for_a_person_escalates_though_the_faq_matches() -> None:
    r = judge("cho em gap can bo tu van truc tiep ve viec chia dat", answer=0.7, escalate=0.2, legal=0.95, faq=0.8)
    assert r.verdict == Verdict.ESCALATE and r.category == "human_request"


def test_a_bare_topic_the_faq_knows_is_explained_not_escalated() -> None:
    # a few words naming a wrong, to nobody in particular: what the law says about it
    r = judge("bi lua dao qua dien thoai", answer=0.05, urgent=0.7, escalate=0.1, category="fraud", faq=0.4)
    assert r.verdict == Verdict.ANSWER


@pytest.mark.parametrize(
    "text",
    [
        "toi vua bi lua qua dien thoai mat 30 trieu",
        "em dang bi lua qua dien thoai, no bat chuyen tien",
        "bi lua dao, cuu em voi",
    ],
)
def test_the_same_wrong_told_as_ones_own_case_goes_to_a_person(text: str) -> None:
    r = judge(text, answer=0.05, urgent=0.7, escalate=0.1, category="fraud", faq=0.4)
    assert r.verdict == Verdict.ESCALATE


def test_who_pays_is_a_question_about_the_law() -> None:
    r = judge("xe khach lam vo hang gui thi ai phai boi thuong", answer=0.3, escalate=0.6, urgent=0.05,
              category="dispute", faq=0.3)
    assert r.verdict == Verdict.ANSWER


def test_an_officer_named_in_a_question_is_not_a_request_to_draft() -> None:
    # "cán bộ" folds to "can bo": it is not "cần" (need) before "viết"
    c = clean_message("can bo dia chinh viet sai ten trong so do thi sua o dau")
    assert triage(c.text, c.text).verdict == Verdict.ANSWER


def test_fraud_online_is_not_trafficking() -> None:
    c = clean_message("toi bi lua qua mang mat 5 trieu")
    r = triage(c.text, c.text)
    assert r.category == "fraud" and not r.urgent
