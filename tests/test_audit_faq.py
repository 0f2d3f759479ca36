"""scripts/audit_faq.py flags FAQ answers that do not lead with what their questions ask, on tiny own data."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from retrieval.faq import read_faq
from retrieval.register import load_register

_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit_faq.py"
_spec = importlib.util.spec_from_file_location("audit_faq", _SCRIPT)
assert _spec is not None and _spec.loader is not None
audit_faq = importlib.util.module_from_spec(_spec)
sys.modules["audit_faq"] = audit_faq
_spec.loader.exec_module(audit_faq)

_REGISTER = """\
documents:
  - {number: 1/2020/QH1, type: Luật, title: Luật Thử, status: in_force}
  - {number: 2/2010/QH1, type: Luật, title: Luật Cũ, status: expired, replaced_by: 1/2020/QH1}
  - {number: 3/2024/NĐ-CP, type: Nghị định, title: Nghị định Thử, status: in_force,
     suspended_articles: "28-49", suspended_until: "2099-03-01", suspended_by: 4/2025/NĐ-CP}
"""

_FAQ = """\
topic: "Thử"
slug: thu
entries:
  - id: thu-001
    questions:
      - "Nghỉ phép năm được bao nhiêu ngày?"
      - "nghi phep nam may ngay"
    answer: |
      Làm đủ 12 tháng thì được nghỉ phép năm 12 ngày hưởng nguyên lương.
    citations:
      - {doc_number: "1/2020/QH1", article: "5", clause: "1", article_id: "1/2020/QH1::5"}
  - id: thu-002
    questions:
      - "Nghỉ phép năm được bao nhiêu ngày?  Thủ tục xin nghỉ?"
      - "xin nghi phep nam thi bao lau duoc duyet"
    answer: |
      Người lao động gửi đơn xin nghỉ cho người quản lý trực tiếp.
      Người quản lý xem xét và trả lời.
      Số ngày nghỉ phép năm là 12 ngày.
    citations:
      - {doc_number: "2/2010/QH1", article: "7", article_id: "2/2010/QH1::7"}
  - id: thu-003
    questions:
      - "Mất giấy chứng nhận đất thì xin cấp lại ở đâu?"
      - "mat so do xin cap lai o dau"
    answer: |
      Nộp hồ sơ xin cấp lại giấy chứng nhận đất tại văn phòng đăng ký đất đai; xong trong 10 ngày.
    citations:
      - {doc_number: "3/2024/NĐ-CP", article: "30", article_id: "3/2024/NĐ-CP::30"}
      - {doc_number: "1/2020/QH1", article: "5", article_id: "1/2020/QH1::5"}
"""

_ARTICLES = {
    "1/2020/QH1::5": "1. Người lao động làm đủ 12 tháng được nghỉ hằng năm 12 ngày làm việc.\n2. Khác.",
    "3/2024/NĐ-CP::30": "1. Hồ sơ cấp lại giấy chứng nhận.\n2. Thời hạn 15 ngày.",
}


class _Index:
    def get(self, article_id: str) -> SimpleNamespace | None:
        text = _ARTICLES.get(article_id)
        return SimpleNamespace(text=text) if text is not None else None


@pytest.fixture()
def flags(tmp_path: Path) -> dict[str, set[str]]:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "thu.yaml").write_text(_FAQ, encoding="utf-8")
    (tmp_path / "documents.yaml").write_text(_REGISTER, encoding="utf-8")
    records, problems = read_faq(tmp_path / "faq")
    assert not [p for p in problems if p.level == "error"]
    register = load_register(tmp_path / "documents.yaml")
    found: dict[str, set[str]] = {}
    for rec in records:
        for f in audit_faq.audit_record(rec, register, _Index(), on=dt.date(2026, 12, 1)):
            found.setdefault(rec.id, set()).add(f.check)
    return found


def test_an_answer_that_leads_with_the_asked_figure_from_its_first_citation_is_not_flagged(flags):
    assert "thu-001" not in flags


def test_an_answer_that_buries_the_asked_value_and_cites_an_expired_law_is_flagged(flags):
    # the number of days comes third, after the procedure; the only citation is of an expired law
    assert {"buried", "cite_status", "cite_unresolved"} <= flags["thu-002"]


def test_a_suspended_first_citation_and_a_figure_it_does_not_hold_are_flagged(flags):
    assert {"cite_status", "first_cite_figures"} <= flags["thu-003"]


def test_the_lead_runs_on_past_a_bare_yes_or_no():
    assert audit_faq.lead("Có. Con được hưởng phần của cha. Thêm nữa.") == "Có. Con được hưởng phần của cha."
    assert audit_faq.lead_overlap("Cháu có được hưởng phần thừa kế của cha không?",
                                  "Có. Cháu được hưởng phần thừa kế mà cha được hưởng.") >= 0.5
    assert audit_faq.lead_overlap("Cháu có được hưởng phần thừa kế của cha không?",
                                  "Người lập di chúc phải minh mẫn. Cháu được hưởng thừa kế.") < 0.25


def test_a_narrative_time_is_not_a_question_about_a_duration(tmp_path: Path):
    (tmp_path / "documents.yaml").write_text(_REGISTER, encoding="utf-8")
    register = load_register(tmp_path / "documents.yaml")
    rec = read_faq_one(tmp_path, "Chồng tôi bỏ nhà đi mấy năm nay, tôi có ly hôn được không?",
                       "Được. Bạn nộp đơn ly hôn tại Tòa án nơi chồng cư trú.")
    assert not audit_faq.audit_record(rec, register, None)
    rec = read_faq_one(tmp_path, "Ly hôn mất bao lâu thì xong?", "Được. Bạn nộp đơn ly hôn tại Tòa án nơi chồng cư trú.")
    assert [f.check for f in audit_faq.audit_record(rec, register, None)] == ["variant_lacks"]


def read_faq_one(tmp_path: Path, question: str, answer: str):
    (tmp_path / "faq").mkdir(exist_ok=True)
    (tmp_path / "faq" / "thu.yaml").write_text(
        f'topic: "Thử"\nslug: thu\nentries:\n  - id: thu-001\n    questions:\n      - "{question}"\n'
        f'      - "ly hon duoc khong"\n    answer: "{answer}"\n    citations:\n'
        '      - {doc_number: "1/2020/QH1", article: "5"}\n',
        encoding="utf-8",
    )
    records, _ = read_faq(tmp_path / "faq")
    return records[0]


def test_a_fine_cited_after_the_rule_is_flagged_until_the_penalising_article_comes_first(tmp_path: Path):
    (tmp_path / "documents.yaml").write_text(_REGISTER, encoding="utf-8")
    register = load_register(tmp_path / "documents.yaml")
    articles = {
        "1/2020/QH1::9": "1. Cấm đi xe dàn hàng ngang.",
        "3/2024/NĐ-CP::7": "1. Phạt tiền từ 600.000 đồng đến 800.000 đồng đối với người đi xe dàn hàng ngang.",
    }

    class Index:
        def get(self, article_id: str) -> SimpleNamespace | None:
            return SimpleNamespace(text=articles[article_id]) if article_id in articles else None

    rule = '{doc_number: "1/2020/QH1", article: "9", article_id: "1/2020/QH1::9"}'
    fine = '{doc_number: "3/2024/NĐ-CP", article: "7", clause: "1", article_id: "3/2024/NĐ-CP::7"}'

    def flags_for(first: str, second: str) -> set[str]:
        (tmp_path / "faq").mkdir(exist_ok=True)
        (tmp_path / "faq" / "thu.yaml").write_text(
            'topic: "Thử"\nslug: thu\nentries:\n  - id: thu-001\n    questions:\n'
            '      - "Đi xe dàn hàng ngang bị phạt bao nhiêu?"\n      - "di xe dan hang ngang phat bao nhieu"\n'
            '    answer: "Có. Đi xe dàn hàng ngang bị phạt từ 600.000 đồng đến 800.000 đồng."\n'
            f"    citations:\n      - {first}\n      - {second}\n",
            encoding="utf-8",
        )
        rec = read_faq(tmp_path / "faq")[0][0]
        return {f.check for f in audit_faq.audit_record(rec, register, Index(), on=dt.date(2026, 12, 1))}

    assert "first_cite_not_basis" in flags_for(rule, fine)
    assert not flags_for(fine, rule)
