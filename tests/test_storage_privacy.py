"""Privacy: /xoadulieu removes a citizen's personal data from every table (tickets stay, anonymised);
the retention purge deletes what is past its time and nothing else."""

from __future__ import annotations

import json
import threading

import pytest

from bot.core.models import Channel, ReplyKind
from bot.core.payload import OutboxPayload
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import Database
from bot.storage.faq_proposals import FaqProposalStore
from bot.storage.inbox import Inbox
from bot.storage.outbox import Outbox
from bot.storage.purge import purge
from bot.storage.schema import Conversation, InboxRecord, Message, OutboxRecord, Ticket, User
from bot.storage.staff import StaffStore
from bot.storage.texts import REDACTED
from bot.storage.tickets import SqlTicketStore
from tests.auxil.storage_builders import Clock, count, draft, dump_tables, message, reply

# what identifies citizen A: their ids, their name, and what they wrote
A_ID, A_NAME = "987654321", "Nguyễn Văn Bí Mật"
A_PHONE, A_CCCD = "0912 345 678", "001099012345"
A_TEXT = f"Chồng tôi đánh tôi, số tôi {A_PHONE}, CCCD {A_CCCD}, nhà ở ngõ Kín"
A_MARKERS = (A_ID, A_NAME, A_PHONE, A_CCCD, "ngõ Kín", "Chồng tôi đánh")
B_ID, B_TEXT = "555", "Thủ tục đăng ký kết hôn cần giấy tờ gì?"


def _telegram_update(update_id: int, user: str, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {"from": {"id": int(user)}, "chat": {"id": int(user)}, "text": text},
    }


def _populate(db: Database, clock: Clock) -> int:
    """Citizen A: inbox updates, turns, feedback, an urgent ticket with a note, a staff reply and an
    unvetted FAQ proposal. Citizen B: one ordinary question."""
    inbox = Inbox(db, clock=clock)
    conversations = SqlConversationStore(db, clock=clock)
    tickets = SqlTicketStore(db, clock=clock)
    staff = StaffStore(db, clock=clock)
    lan = staff.create("lan@tgpl.gov.vn", "h").id

    inbox.accept("telegram", "1", _telegram_update(1, A_ID, A_TEXT), chat_key=A_ID, user_key=A_ID)
    # stored by an older version without a user key, and failed: still holds its payload
    inbox.accept("telegram", "2", _telegram_update(2, A_ID, A_TEXT + " (lần 2)"))
    inbox.accept("telegram", "3", _telegram_update(3, B_ID, B_TEXT), user_key=B_ID)
    items = {i.update_key: i for i in inbox.claim(10, "w")}
    inbox.failed(items["2"].id, "boom", retry=False)

    msg = message(A_TEXT, user=A_ID, name=A_NAME)
    state = conversations.load(msg.channel, msg.user_id, msg.chat_id)
    state.last_question = A_TEXT
    conversations.record(msg, reply(), state)
    conversations.record_feedback(Channel.TELEGRAM, A_ID, A_ID, False)
    inbox.done(items["1"].id)
    ticket_id = tickets.open_ticket(draft(A_TEXT, user=A_ID, urgency="urgent", category="bao_luc"))
    state = conversations.load(msg.channel, msg.user_id, msg.chat_id)
    conversations.record(
        message("đồng ý", user=A_ID, mid="m2"),
        reply("Cán bộ sẽ liên hệ", ReplyKind.ESCALATED, ticket_id=ticket_id),
        state,
    )
    tickets.set_consent(ticket_id, True)
    tickets.add_note(ticket_id, lan, f"Chị ấy cho số {A_PHONE}")
    tickets.reply(ticket_id, lan, f"Chào chị {A_NAME}, chúng tôi sẽ gọi số {A_PHONE}")
    FaqProposalStore(db, clock=clock).propose(A_TEXT, "Gọi 113", [], lan, ticket_id=ticket_id)

    msg_b = message(B_TEXT, user=B_ID)
    conversations.record(
        msg_b, reply("Theo Luật Hôn nhân ..."), conversations.load(msg_b.channel, B_ID, B_ID)
    )
    inbox.done(items["3"].id)
    return ticket_id


def _leaks(db: Database) -> list[str]:
    found = []
    for table, rows in dump_tables(db).items():
        for row in rows:
            blob = json.dumps(row, default=str, ensure_ascii=False)
            found += [f"{table}: {m!r}" for m in A_MARKERS if m in blob]
    return found


def test_delete_user_data_leaves_nothing_personal_in_any_table(db: Database) -> None:
    clock = Clock()
    ticket_id = _populate(db, clock)
    outbox = Outbox(db, clock=clock)
    # everything is delivered except the staff reply, still pending when A asks for deletion
    while batch := [i for i in outbox.claim_due(20, "w") if "Chào chị" not in i.payload.text]:
        for item in batch:
            outbox.sent(item.id)
    assert _leaks(db)  # the check below can find A's data

    SqlConversationStore(db, clock=clock).delete_user_data(Channel.TELEGRAM, A_ID)

    # the staff reply on its way is still delivered, then deleted with the rest
    clock.advance(outbox.lease.total_seconds() + 1)
    [in_flight] = outbox.claim_due(5, "w2")
    assert in_flight.chat_id == A_ID
    outbox.sent(in_flight.id)
    assert _leaks(db) == []

    # the ticket stays, anonymised, with its audit trail
    detail = SqlTicketStore(db).get(ticket_id)
    assert detail is not None
    assert detail.question == REDACTED and detail.transcript == [] and detail.chat_id == ""
    assert detail.row.anonymised and detail.row.urgency == "urgent"
    assert detail.notes[0].text == REDACTED
    assert detail.events[-1].action == "anonymised"
    assert count(db, Ticket) == 1
    # citizen B is untouched; A's processed update keys still block redelivery
    assert SqlConversationStore(db).load(Channel.TELEGRAM, B_ID, B_ID).turns[0].text == B_TEXT
    assert count(db, User) == 1
    assert Inbox(db).accept("telegram", "1", {"replayed": True}) is False
    # A can start again from nothing
    assert SqlConversationStore(db).load(Channel.TELEGRAM, A_ID, A_ID).turns == []


def test_deleting_an_unknown_user_is_harmless(db: Database) -> None:
    SqlConversationStore(db).delete_user_data(Channel.ZALO, "nobody")


def test_purge_deletes_old_data_but_keeps_open_cases(db: Database) -> None:
    clock = Clock()
    conversations = SqlConversationStore(db, clock=clock)
    tickets = SqlTicketStore(db, clock=clock)
    inbox = Inbox(db, clock=clock)
    lan = StaffStore(db).create("lan@tgpl.gov.vn", "h").id

    def ask(user: str, text: str) -> None:
        msg = message(text, user=user)
        conversations.record(msg, reply(), conversations.load(msg.channel, user, user))

    ask("old", "câu hỏi cũ")
    ask("old-open-case", "vụ việc còn mở")
    open_ticket = tickets.open_ticket(draft("vụ việc còn mở", user="old-open-case"))
    closed_ticket = tickets.open_ticket(draft("vụ đã xong", user="old"))
    tickets.resolve(closed_ticket, lan)
    inbox.accept("telegram", "old-update", {"x": 1})
    inbox.done(inbox.claim(5, "w")[0].id)
    outbox = Outbox(db, clock=clock)
    for item in outbox.claim_due(10, "w"):
        outbox.sent(item.id)

    clock.advance(days=400)
    ask("recent", "câu hỏi mới")
    counts = purge(db, older_than_days=365, now=clock())

    assert counts["messages"] == 2 and counts["conversations"] == 1 and counts["users"] == 1
    assert counts["tickets"] == 1 and counts["outbox"] == 2 and counts["inbox"] == 1
    assert count(db, Ticket, Ticket.id == open_ticket) == 1
    assert count(db, Ticket, Ticket.id == closed_ticket) == 0
    kept = SqlTicketStore(db).get(open_ticket)
    assert kept is not None and kept.transcript[0].text == "vụ việc còn mở"
    assert count(db, Conversation) == 2 and count(db, Message) == 4
    assert count(db, InboxRecord) == 0 and count(db, OutboxRecord) == 1  # the recent reply
    assert purge(db, older_than_days=365, now=clock()) == dict.fromkeys(counts, 0)


def test_purge_rejects_negative_retention(db: Database) -> None:
    with pytest.raises(ValueError):
        purge(db, -1)


def test_deletion_racing_a_delivery_leaves_no_outbox_row(db: Database) -> None:
    """The deletion's confirmation is often being sent while the deletion runs (the worker is woken
    at once): whichever commits first, the row must not survive as 'sent' with A's chat id."""
    outbox = Outbox(db)
    conversations = SqlConversationStore(db)
    for round_ in range(40):
        outbox.enqueue(None, "telegram", A_ID, OutboxPayload.info(f"Đã xoá dữ liệu ({round_})"))
        [item] = outbox.claim_due(5, "w")
        start = threading.Barrier(2)

        def deliver(item_id: int = item.id, start: threading.Barrier = start) -> None:
            start.wait()
            outbox.sent(item_id)

        worker = threading.Thread(target=deliver)
        worker.start()
        start.wait()
        conversations.delete_user_data(Channel.TELEGRAM, A_ID)
        worker.join()
        assert count(db, OutboxRecord) == 0, f"round {round_}: {outbox.counts()}"
