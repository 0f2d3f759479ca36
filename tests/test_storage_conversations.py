"""SqlConversationStore: turns with sources, state, /moi, feedback, and the reply queued atomically."""

from __future__ import annotations

import pytest

from bot.core.models import Channel, ReplyKind
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import Database
from bot.storage.outbox import Outbox
from bot.storage.schema import Conversation, Feedback, Message, MessageSource, OutboxRecord
from tests.auxil.storage_builders import Clock, count, message, reply


@pytest.fixture
def store(db: Database) -> SqlConversationStore:
    return SqlConversationStore(db, clock=Clock())


def _ask(store: SqlConversationStore, text: str, answer: str = "Theo Điều 113 ...", **kw: object):  # type: ignore[no-untyped-def]
    msg = message(text, **kw)  # type: ignore[arg-type]
    state = store.load(msg.channel, msg.user_id, msg.chat_id)
    state.last_question = text
    store.record(msg, reply(answer), state)
    return state


def test_a_recorded_turn_comes_back_with_sources_and_state(store: SqlConversationStore) -> None:
    _ask(store, "Nghỉ phép năm được mấy ngày?", name="Lan")
    state = store.load(Channel.TELEGRAM, "u1", "u1")
    assert [t.role for t in state.turns] == ["user", "bot"]
    assert state.turns[0].text == "Nghỉ phép năm được mấy ngày?"
    assert state.turns[1].reply_kind == "answer"
    assert state.turns[1].sources == [("bllđ_113", 0.91), ("bllđ_114", 0.42)]
    assert state.last_question == "Nghỉ phép năm được mấy ngày?"
    # a follow-up sees the earlier turns, in order
    _ask(store, "còn nếu làm 5 năm thì sao?")
    turns = store.load(Channel.TELEGRAM, "u1", "u1").turns
    assert [t.text for t in turns][::2] == [
        "Nghỉ phép năm được mấy ngày?",
        "còn nếu làm 5 năm thì sao?",
    ]


def test_chats_and_channels_do_not_mix(store: SqlConversationStore) -> None:
    _ask(store, "câu hỏi trên Telegram", user="42")
    _ask(store, "câu hỏi trên Zalo", user="42", channel=Channel.ZALO)
    _ask(store, "câu hỏi trong nhóm", user="42", chat="-100")
    assert store.load(Channel.ZALO, "42", "42").turns[0].text == "câu hỏi trên Zalo"
    assert store.load(Channel.TELEGRAM, "42", "-100").turns[0].text == "câu hỏi trong nhóm"
    assert store.load(Channel.TELEGRAM, "7", "7").turns == []


def test_record_queues_the_rendered_reply(store: SqlConversationStore, db: Database) -> None:
    _ask(store, "Nghỉ phép năm?")
    [item] = Outbox(db).claim_due(10, "w")
    assert item.channel == "telegram" and item.chat_id == "u1"
    assert item.payload.kind == "answer"
    assert item.payload.text.startswith("Theo Điều 113")
    assert [b["action"] for b in item.payload.buttons] == ["up", "down", "human"]
    assert item.payload.citations[0]["doc_number"] == "45/2019/QH14"
    assert "Điều 113" in item.payload.citations[0]["label"]
    assert item.message_id is not None


def test_cli_replies_are_not_queued(store: SqlConversationStore, db: Database) -> None:
    _ask(store, "hỏi từ terminal", channel=Channel.CLI)
    assert count(db, Message) == 2
    assert Outbox(db).backlog() == 0


def test_record_is_all_or_nothing(
    store: SqlConversationStore, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _ask(store, "câu hỏi đầu")
    msg = message("câu hỏi thứ hai", mid="m2")
    state = store.load(msg.channel, msg.user_id, msg.chat_id)
    state.last_question = "câu hỏi thứ hai"
    state.negative_feedback = 5

    def broken_enqueue(*args: object, **kwargs: object) -> int:
        raise RuntimeError("database went away mid-transaction")

    monkeypatch.setattr(store.outbox, "enqueue", broken_enqueue)
    with pytest.raises(RuntimeError):
        store.record(msg, reply("trả lời hai"), state)
    # nothing of the second turn exists: no messages, no sources, no state change, no reply queued
    assert count(db, Message) == 2
    assert count(db, MessageSource) == 2
    assert count(db, OutboxRecord) == 1
    after = store.load(Channel.TELEGRAM, "u1", "u1")
    assert after.last_question == before.last_question == "câu hỏi đầu"
    assert after.negative_feedback == 0


def test_reset_hides_history_but_keeps_it_for_staff(
    store: SqlConversationStore, db: Database
) -> None:
    state = _ask(store, "câu cũ")
    state.pending_ticket_id = 9
    store.record(message("câu cũ 2", mid="m2"), reply(), state)
    store.reset(Channel.TELEGRAM, "u1", "u1")
    fresh = store.load(Channel.TELEGRAM, "u1", "u1")
    assert fresh.turns == [] and fresh.last_question is None and fresh.pending_ticket_id is None
    assert fresh.conversation_id == state.conversation_id
    _ask(store, "câu mới")
    assert [t.text for t in store.load(Channel.TELEGRAM, "u1", "u1").turns] == [
        "câu mới",
        "Theo Điều 113 ...",
    ]
    assert count(db, Message) == 6  # earlier turns are still on record


def test_feedback_counts_thumbs_down_in_a_row(store: SqlConversationStore, db: Database) -> None:
    assert store.record_feedback(Channel.TELEGRAM, "nobody", "nobody", False) == 0
    _ask(store, "q1")
    assert store.record_feedback(Channel.TELEGRAM, "u1", "u1", False) == 1
    # pressing 👎 again on the same answer is not a second complaint
    assert store.record_feedback(Channel.TELEGRAM, "u1", "u1", False) == 1
    _ask(store, "q2")
    assert store.record_feedback(Channel.TELEGRAM, "u1", "u1", False) == 2
    assert store.load(Channel.TELEGRAM, "u1", "u1").negative_feedback == 2
    _ask(store, "q3")
    assert store.record_feedback(Channel.TELEGRAM, "u1", "u1", True) == 0
    assert count(db, Feedback) == 3
    assert count(db, Feedback, Feedback.positive.is_(True)) == 1


def test_record_survives_a_deleted_conversation(store: SqlConversationStore, db: Database) -> None:
    msg = message("/xoadulieu")
    state = store.load(msg.channel, msg.user_id, msg.chat_id)
    store.delete_user_data(Channel.TELEGRAM, "u1")
    store.record(msg, reply("Đã xoá", ReplyKind.INFO, sources=[]), state)
    assert count(db, Conversation) == 1
    assert [t.text for t in store.load(Channel.TELEGRAM, "u1", "u1").turns] == [
        "/xoadulieu",
        "Đã xoá",
    ]


def test_the_subject_of_a_follow_up_survives_a_restart(store: SqlConversationStore) -> None:
    msg = message("vợ sinh con thì chồng được nghỉ mấy ngày")
    state = store.load(msg.channel, msg.user_id, msg.chat_id)
    state.last_question = msg.text
    state.subject_terms = ["vợ", "sinh", "chồng", "nghỉ"]
    state.subject_topic = "Bảo hiểm xã hội"
    state.last_article_ids = ["41/2024/QH15::53"]
    state.last_faq_id = "bhxh-013"
    store.record(msg, reply("Lao động nam ..."), state)
    again = store.load(Channel.TELEGRAM, "u1", "u1")
    assert again.subject_terms == ["vợ", "sinh", "chồng", "nghỉ"]
    assert again.subject_topic == "Bảo hiểm xã hội"
    assert again.last_article_ids == ["41/2024/QH15::53"] and again.last_faq_id == "bhxh-013"


def test_a_conversation_stored_before_subjects_were_kept_still_loads(store: SqlConversationStore, db: Database) -> None:
    _ask(store, "Nghỉ phép năm được mấy ngày?")
    with db.session() as s:  # a row written by the previous release: no subject keys in its state
        conv = s.query(Conversation).one()
        conv.state = {"last_question": "Nghỉ phép năm được mấy ngày?", "negative_feedback": 0,
                      "pending_ticket_id": None, "open_ticket_id": None, "suggestions": [], "last_faq_id": None}
    state = store.load(Channel.TELEGRAM, "u1", "u1")
    assert state.last_question == "Nghỉ phép năm được mấy ngày?"
    assert state.subject_terms == [] and state.subject_topic is None and state.last_article_ids == []
