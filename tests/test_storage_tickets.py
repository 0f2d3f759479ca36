"""Tickets through their life (open, consent, claim, note, reply, resolve, reopen) with the audit trail;
staff accounts and lockout; FAQ proposals."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.models import Channel, ReplyKind
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import Database
from bot.storage.faq_proposals import FaqProposalStore
from bot.storage.outbox import Outbox
from bot.storage.staff import StaffExists, StaffStore
from bot.storage.tickets import SqlTicketStore, TicketNotFound, TicketUnreachable
from tests.auxil.storage_builders import Clock, draft, message, reply


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tickets(db: Database, clock: Clock) -> SqlTicketStore:
    return SqlTicketStore(db, clock=clock)


@pytest.fixture
def staff(db: Database, clock: Clock) -> StaffStore:
    return StaffStore(db, clock=clock)


def _escalate(db: Database, clock: Clock, question: str, **kw: object) -> int:
    """What the core does: open a ticket, then record the turn that tells the citizen its number."""
    conversations = SqlConversationStore(db, clock=clock)
    d = draft(question, **kw)  # type: ignore[arg-type]
    msg = message(question, user=d.user_id, chat=d.chat_id, channel=d.channel)
    state = conversations.load(msg.channel, msg.user_id, msg.chat_id)
    ticket_id = SqlTicketStore(db, clock=clock).open_ticket(d)
    state.pending_ticket_id = ticket_id
    conversations.record(
        msg, reply("Đã chuyển cán bộ", ReplyKind.ESCALATED, ticket_id=ticket_id), state
    )
    return ticket_id


def test_ticket_lifecycle_with_audit_trail(
    db: Database, clock: Clock, tickets: SqlTicketStore, staff: StaffStore
) -> None:
    lan = staff.create("Lan@TGPL.gov.vn", "argon2$hash").id
    minh = staff.create("minh@tgpl.gov.vn", "argon2$hash").id
    tid = _escalate(db, clock, "Tôi bị công ty nợ lương 3 tháng")
    tickets.set_consent(tid, True)
    clock.advance(60)
    assert tickets.claim(tid, lan) is True
    assert tickets.claim(tid, minh) is False  # Lan has it
    tickets.add_note(tid, lan, "Đã gọi điện, hẹn gặp thứ Hai")
    clock.advance(600)
    message_id = tickets.reply(tid, lan, "Chào anh/chị, trung tâm sẽ hỗ trợ ...")
    tickets.resolve(tid, lan)
    tickets.reopen(tid, minh)
    tickets.assign(tid, minh, by_staff_id=lan)

    detail = tickets.get(tid)
    assert detail is not None
    assert detail.row.status == "claimed" and detail.row.assignee_email == "minh@tgpl.gov.vn"
    assert detail.row.consent_contact is True and detail.row.legal_aid_hint is True
    assert detail.row.first_staff_reply_at == detail.row.created_at + dt.timedelta(seconds=660)
    assert detail.row.resolved_at is None
    assert [e.action for e in detail.events] == [
        "opened",
        "consent",
        "claimed",
        "note",
        "replied",
        "resolved",
        "reopened",
        "assigned",
    ]
    assert detail.events[2].staff_email == "lan@tgpl.gov.vn"
    assert [n.text for n in detail.notes] == ["Đã gọi điện, hẹn gặp thứ Hai"]
    # the whole conversation, the staff reply included, with its delivery status
    assert [(t.role, t.text[:10]) for t in detail.transcript] == [
        ("user", "Tôi bị côn"),
        ("bot", "Đã chuyển "),
        ("staff", "Chào anh/c"),
    ]
    staff_turn = detail.transcript[-1]
    assert staff_turn.message_id == message_id and staff_turn.staff_email == "lan@tgpl.gov.vn"
    assert staff_turn.delivery is not None and staff_turn.delivery.status == "pending"
    assert detail.sources == [("bllđ_113", 0.5)]
    assert detail.draft_answer == "Bạn có thể khởi kiện ..."


def test_staff_reply_goes_to_the_citizens_chat_through_the_outbox(
    db: Database, clock: Clock, tickets: SqlTicketStore, staff: StaffStore
) -> None:
    lan = staff.create("lan@tgpl.gov.vn", "h").id
    tid = _escalate(db, clock, "Bị đánh, cần giúp", user="zalo-user-9", channel=Channel.ZALO)
    outbox = Outbox(db, clock=clock)
    [escalation_reply] = outbox.claim_due(10, "w")
    outbox.sent(escalation_reply.id)
    message_id = tickets.reply(tid, lan, "Anh/chị hãy gọi 113 ngay nếu đang nguy hiểm.")
    [item] = outbox.claim_due(10, "w")
    assert (item.channel, item.chat_id) == ("zalo", "zalo-user-9")
    assert item.payload.text == "Anh/chị hãy gọi 113 ngay nếu đang nguy hiểm."
    assert item.ticket_id == tid and item.message_id == message_id
    outbox.sent(item.id)
    detail = tickets.get(tid)
    assert detail is not None and detail.transcript[-1].delivery is not None
    assert detail.transcript[-1].delivery.status == "sent"
    assert detail.row.assignee_id == lan and detail.row.status == "claimed"  # replying takes it


def test_citizen_who_declined_contact_is_not_written_to(
    db: Database, clock: Clock, tickets: SqlTicketStore, staff: StaffStore
) -> None:
    lan = staff.create("lan@tgpl.gov.vn", "h").id
    tid = _escalate(db, clock, "muốn gặp luật sư")
    tickets.set_consent(tid, False)
    with pytest.raises(TicketUnreachable):
        tickets.reply(tid, lan, "xin chào")
    with pytest.raises(TicketNotFound):
        tickets.resolve(999_999, lan)


def test_queue_is_ordered_by_urgency_then_age_and_filters(
    db: Database, clock: Clock, tickets: SqlTicketStore, staff: StaffStore
) -> None:
    lan = staff.create("lan@tgpl.gov.vn", "h").id
    normal_old = tickets.open_ticket(draft("cũ, thường", user="a"))
    clock.advance(60)
    high = tickets.open_ticket(draft("cao", user="b", urgency="high", category="dat_dai"))
    clock.advance(60)
    urgent = tickets.open_ticket(draft("khẩn", user="c", urgency="urgent", channel=Channel.ZALO))
    clock.advance(60)
    normal_new = tickets.open_ticket(draft("mới, thường", user="d"))
    done = tickets.open_ticket(draft("xong", user="e"))
    tickets.resolve(done, lan)
    tickets.claim(normal_new, lan)

    assert [r.id for r in tickets.list_queue()] == [urgent, high, normal_old, normal_new]
    assert [r.id for r in tickets.list_queue(status="resolved")] == [done]
    assert [r.id for r in tickets.list_queue(channel="zalo")] == [urgent]
    assert [r.id for r in tickets.list_queue(category="dat_dai")] == [high]
    assert [r.id for r in tickets.list_queue(assignee=lan)] == [normal_new]
    assert [r.id for r in tickets.list_queue(unassigned=True)] == [urgent, high, normal_old]
    counts = tickets.counts()
    assert (counts.open, counts.claimed, counts.resolved) == (3, 1, 1)
    assert counts.urgent_unresolved == 1 and counts.unassigned_open == 3
    assert counts.by_category == {"tranh_chap_lao_dong": 3, "dat_dai": 1}
    assert tickets.categories() == ["dat_dai", "tranh_chap_lao_dong"]


def test_staff_accounts_and_audit(staff: StaffStore, clock: Clock) -> None:
    admin = staff.create("Admin@Example.org ", "hash1", role="admin")
    assert admin.email == "admin@example.org" and admin.is_admin
    with pytest.raises(StaffExists):
        staff.create("admin@example.org", "hash2")
    with pytest.raises(ValueError):
        staff.create("x@example.org", "h", role="root")
    staff.record_login(admin.id)
    fresh = staff.get_by_email("ADMIN@example.org")
    assert fresh is not None and fresh.last_login_at == clock()
    staff.update(admin.id, active=False, role="staff")
    again = staff.get(admin.id)
    assert again is not None and not again.active and not again.is_admin
    staff.audit(admin.id, "login", ip="127.0.0.1")
    staff.audit(admin.id, "ticket.reply", target="ticket:7", detail={"message_id": 3})
    log = staff.audit_log()
    assert [e.action for e in log] == ["ticket.reply", "login"]
    assert log[0].staff_email == "admin@example.org" and log[0].detail == {"message_id": 3}


def test_faq_proposal_needs_an_admin_decision(
    db: Database, staff: StaffStore, clock: Clock
) -> None:
    lan = staff.create("lan@tgpl.gov.vn", "h").id
    boss = staff.create("boss@tgpl.gov.vn", "h", role="admin").id
    proposals = FaqProposalStore(db, clock=clock)
    pid = proposals.propose(
        "Nghỉ thai sản mấy tháng?", "6 tháng ...", [{"article_id": "bhxh_139"}], lan, topic="bhxh"
    )
    assert [p.id for p in proposals.list()] == [pid]
    decided = proposals.decide(pid, boss, approve=True, faq_id="bhxh-thai-san-1")
    assert decided.status == "approved" and decided.approved_by == boss
    assert proposals.list() == []
    assert proposals.list(status="approved")[0].faq_id == "bhxh-thai-san-1"
    with pytest.raises(ValueError):
        proposals.decide(pid, boss, approve=False)


def test_the_same_request_handled_twice_opens_one_ticket_and_a_later_one_a_new_ticket(
    tickets: SqlTicketStore, staff: StaffStore, clock: Clock
) -> None:
    # a worker whose lease ran out and the worker that took the update over both reach the escalation
    first = tickets.open_ticket(draft("Tôi bị chủ nhà đuổi ra khỏi phòng trọ giữa đêm", user="u7"))
    again = tickets.open_ticket(draft("Tôi bị chủ nhà đuổi ra khỏi phòng trọ giữa đêm", user="u7"))
    assert again == first
    # another chat, or another message of the same chat, is a request of its own
    assert tickets.open_ticket(draft("Tôi bị chủ nhà đuổi ra khỏi phòng trọ giữa đêm", user="u8")) != first
    other = tickets.open_ticket(draft("Chủ nhà giữ tiền cọc không trả", user="u7"))
    assert other != first
    # once staff resolved it, or long after, the same words open a new ticket
    lan = staff.create("lan@tgpl.gov.vn", "argon2$hash").id
    assert tickets.claim(first, lan)
    tickets.resolve(first, lan)
    reopened = tickets.open_ticket(draft("Tôi bị chủ nhà đuổi ra khỏi phòng trọ giữa đêm", user="u7"))
    assert reopened not in (first, other)
    clock.advance(11 * 60)
    assert tickets.open_ticket(draft("Tôi bị chủ nhà đuổi ra khỏi phòng trọ giữa đêm", user="u7")) != reopened
