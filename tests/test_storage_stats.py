"""Statistics for the council's reports: per local day and week, by topic/channel/outcome, feedback,
time to first staff reply, content gaps."""

from __future__ import annotations

import datetime as dt

from bot.core.models import Channel, ReplyKind
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import Database
from bot.storage.staff import StaffStore
from bot.storage.stats import Stats, question_key
from bot.storage.tickets import SqlTicketStore
from tests.auxil.storage_builders import Clock, draft, message, passage, reply

MONDAY = dt.date(2025, 3, 3)


def test_report_counts_questions_outcomes_feedback_and_gaps(db: Database) -> None:
    # 2025-03-03 16:30 UTC is 23:30 Monday in Vietnam; 17:30 UTC is already Tuesday there
    clock = Clock(dt.datetime(2025, 3, 3, 16, 30, tzinfo=dt.UTC))
    conversations = SqlConversationStore(db, clock=clock)
    tickets = SqlTicketStore(db, clock=clock)
    lan = StaffStore(db).create("lan@tgpl.gov.vn", "h").id

    def ask(user: str, text: str, r, channel: Channel = Channel.TELEGRAM) -> None:  # type: ignore[no-untyped-def]
        msg = message(text, user=user, channel=channel)
        conversations.record(msg, r, conversations.load(channel, user, user))

    ask("a", "Nghỉ phép năm?", reply(sources=[passage("bllđ_113", 0.9, "lao_dong")]))
    conversations.record_feedback(Channel.TELEGRAM, "a", "a", True)
    clock.advance(hours=1)  # Tuesday in Vietnam
    ask("b", "Sổ đỏ mất thì sao??", reply(sources=[passage("ldd_1", 0.2, "dat_dai")]), Channel.ZALO)
    conversations.record_feedback(Channel.ZALO, "b", "b", False)
    ask("c", "sổ đỏ mất thì sao", reply("Bạn hỏi về đất nào?", ReplyKind.CLARIFY, sources=[]))
    ask(
        "d",
        "thời tiết mai thế nào",
        reply("Mình chỉ trả lời pháp luật", ReplyKind.REFUSED, sources=[]),
    )
    tid = tickets.open_ticket(draft("bị kiện", user="e"))
    ask("e", "bị kiện", reply("Đã chuyển cán bộ", ReplyKind.ESCALATED, sources=[], ticket_id=tid))
    clock.advance(minutes=30)
    tickets.reply(tid, lan, "Chào anh")
    clock.advance(days=7)  # the next week, Tuesday
    ask("a", "Nghỉ phép năm được mấy ngày", reply(sources=[passage("bllđ_113", 0.95, "lao_dong")]))
    # an admin trying the bot in the terminal: not citizens' demand, not a content gap
    ask("admin", "Sổ đỏ mất thì sao?", reply(sources=[passage("ldd_1", 0.1, "dat_dai")]), Channel.CLI)
    clock.advance(days=30)  # outside the range
    ask("a", "ngoài khoảng", reply())

    report = Stats(db).report(MONDAY, MONDAY + dt.timedelta(days=13), threshold=0.5)

    assert report.total_questions == 6
    assert report.per_day[MONDAY] == 1 and report.per_day[MONDAY + dt.timedelta(days=1)] == 4
    assert report.per_day[MONDAY + dt.timedelta(days=8)] == 1 and len(report.per_day) == 14
    assert report.per_week == {MONDAY: 5, MONDAY + dt.timedelta(days=7): 1}
    assert report.by_kind == {"answer": 3, "clarify": 1, "refused": 1, "escalated": 1}
    assert report.by_channel == {"telegram": 5, "zalo": 1}
    assert report.by_topic["lao_dong"] == 2 and report.by_topic["dat_dai"] == 1
    assert (report.feedback_up, report.feedback_down, report.positive_rate) == (1, 1, 0.5)
    assert report.tickets_opened == 1 and report.tickets_by_category == {"tranh_chap_lao_dong": 1}
    assert report.median_first_reply_seconds == 30 * 60
    # the lost land title was asked twice (different wording): the bot was unsure both times
    [gap] = report.content_gaps
    assert gap.count == 2 and question_key(gap.question) == "sổ đỏ mất thì sao"
    assert {(r.day, r.channel, r.kind) for r in report.rows} >= {(MONDAY, "telegram", "answer")}


def test_empty_range_gives_zeros(db: Database) -> None:
    report = Stats(db).report(MONDAY, MONDAY)
    assert report.total_questions == 0 and report.per_day == {MONDAY: 0}
    assert report.positive_rate is None and report.median_first_reply_seconds is None
    assert report.content_gaps == []
