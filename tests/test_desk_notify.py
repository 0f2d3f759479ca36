"""Alerts about urgent tickets to the Telegram staff group go through the outbox, without citizen text."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from pydantic import SecretStr

from bot.desk.notify import StaffNotifier, make_staff_notifier
from bot.storage.db import Database
from bot.storage.schema import OutboxRecord
from tests.auxil.desk import desk_settings, make_harness


def test_alert_is_queued_for_the_staff_chat(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    ticket_id = h.open_ticket(
        "Chồng tôi đánh tôi, số của tôi 0912345678", urgency="urgent", category="violence"
    )
    notify = StaffNotifier(db, "-100200300", desk_url="https://bot.example.vn/staff")
    outbox_id = notify(ticket_id)
    with db.session(readonly=True) as s:
        row = s.get(OutboxRecord, outbox_id)
        assert row is not None
        assert (row.channel, row.chat_id, row.status) == ("telegram", "-100200300", "pending")
        text = row.payload["text"]
        assert f"#{ticket_id}" in text and "Bạo lực" in text and "Telegram" in text
        assert f"https://bot.example.vn/staff/tickets/{ticket_id}" in text
        # the citizen's words and numbers never leave the desk
        assert "Chồng tôi" not in text and "0912345678" not in text
        assert row.ticket_id is None  # not part of the citizen's transcript
    assert notify(987654) is None  # unknown ticket: nothing queued
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord)) == 1


def test_alert_can_join_the_callers_transaction(db: Database, tmp_path: Path) -> None:
    h = make_harness(db, tmp_path)
    ticket_id = h.open_ticket(urgency="urgent")
    notify = StaffNotifier(db, "-1001")
    try:
        with db.session() as s:
            notify(ticket_id, session=s)
            raise RuntimeError("the ticket transaction failed")
    except RuntimeError:
        pass
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord)) == 0


def test_no_notifier_without_a_staff_chat_or_telegram(tmp_path: Path) -> None:
    db = Database("sqlite://")
    assert make_staff_notifier(db, desk_settings(tmp_path)) is None
    no_token = desk_settings(tmp_path, staff_telegram_chat_id="-1001")
    assert make_staff_notifier(db, no_token) is None
    wired = desk_settings(
        tmp_path,
        staff_telegram_chat_id="-1001",
        telegram_token=SecretStr("123:abc"),
        public_url="https://bot.example.vn/",
    )
    notifier = make_staff_notifier(db, wired)
    assert notifier is not None
    assert (notifier.chat_id, notifier.desk_url) == ("-1001", "https://bot.example.vn/staff")
