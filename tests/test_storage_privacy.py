"""Privacy: /xoadulieu removes a citizen's personal data from every table (tickets stay, anonymised);
the retention purge deletes what is past its time and nothing else."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

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
from tests.auxil.fake_telegram import private_message
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


def _stored_payloads(db: Database) -> str:
    return json.dumps(dump_tables(db)["inbox"], ensure_ascii=False, default=str)


def test_inbox_stores_updates_masked_with_the_ids_a_reply_needs(db: Database) -> None:
    """The inbox is the first place an update lands: it never holds the raw numbers."""
    from bot.channels.events import TextEvent
    from bot.channels.telegram.parse import parse_update as telegram_update
    from bot.channels.zalo.parse import parse_update as zalo_update

    inbox = Inbox(db)
    text = "Gọi (+84)912345678 hoặc lan.nguyen@gmail.com, CCCD 001-203-004-567, STK 0123456789"
    telegram = private_message(11, text, user_id=int(A_ID), first_name="Lan 0912 345 678")
    zalo = {
        "event_name": "message.text.received",
        "message": {
            "message_id": "084912345678",
            "from": {"id": "0912345678", "display_name": "Lan ０９１２３４５６７８"},
            "chat": {"id": "0912345678", "chat_type": "PRIVATE"},
            "text": text,
            "date": "1712345678901",
        },
    }
    assert inbox.accept("telegram", "11", telegram, chat_key=A_ID, user_key=A_ID)
    assert inbox.accept("zalo", "084912345678", zalo)

    stored = _stored_payloads(db)
    for raw in ("912345678", "lan.nguyen", "001-203-004-567", "0123456789", "０９１２"):
        assert raw not in stored.replace('"0912345678"', "").replace('"084912345678"', "")
    by_channel = {item.channel: item for item in inbox.claim(5, "w")}
    tg_event, zalo_event = telegram_update(by_channel["telegram"].payload), zalo_update(by_channel["zalo"].payload)
    assert isinstance(tg_event, TextEvent) and isinstance(zalo_event, TextEvent)
    assert (tg_event.message.user_id, tg_event.message.chat_id) == (A_ID, A_ID)
    assert (zalo_event.message.chat_id, zalo_event.message.message_id) == ("0912345678", "084912345678")
    assert tg_event.message.text == zalo_event.message.text == (
        "Gọi [số điện thoại] hoặc [email], CCCD [số giấy tờ], STK [số tài khoản]"
    )
    assert zalo_event.message.display_name == "Lan [số điện thoại]"
    assert inbox.accept("zalo", "084912345678", zalo) is False  # de-duplication still on the raw key


def test_a_failed_update_keeps_no_raw_number_while_it_waits_for_the_purge(db: Database) -> None:
    inbox = Inbox(db, max_attempts=1)
    inbox.accept("telegram", "12", _telegram_update(12, A_ID, f"CCCD {A_CCCD}, gọi {A_PHONE}"), user_key=A_ID)
    [item] = inbox.claim(5, "w")
    assert inbox.failed(item.id, f"ValueError: cannot answer 'gọi {A_PHONE}' ({A_CCCD})") is False
    [row] = dump_tables(db)["inbox"]
    assert row["status"] == "failed"
    blob = json.dumps(row, ensure_ascii=False, default=str)
    assert A_PHONE not in blob and A_CCCD not in blob
    assert row["last_error"] == "ValueError: cannot answer 'gọi [số điện thoại]' ([số giấy tờ])"


def test_purge_leaves_no_copy_of_deleted_rows_in_the_sqlite_files(db: Database) -> None:
    clock = Clock()
    conversations = SqlConversationStore(db, clock=clock)
    msg = message(f"{A_TEXT} Kínđáoxyz", user=A_ID, name=A_NAME)
    conversations.record(msg, reply(), conversations.load(msg.channel, A_ID, A_ID))
    clock.advance(days=400)

    counts = purge(db, older_than_days=365, now=clock())

    assert counts["messages"] == 2 and counts["users"] == 1
    assert "Kínđáoxyz" not in json.dumps(dump_tables(db), ensure_ascii=False, default=str)
    if db.dialect == "sqlite":
        for _ in range(2):  # every pooled connection, not only the first
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        database = str(db.url.database)
        forms = ("Kínđáoxyz".encode(), json.dumps("Kínđáoxyz")[1:-1].encode())
        holding = [
            path
            for path in (database, f"{database}-wal")
            if os.path.exists(path) and any(form in Path(path).read_bytes() for form in forms)
        ]
        assert holding == []
