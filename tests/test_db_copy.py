"""`lawbot db copy`: an install that ran on SQLite moves to PostgreSQL with every row, and keeps working."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.channels.preview import fits
from bot.cli.db import db_app
from bot.core.models import Channel, ReplyKind
from bot.desk.auth import THROTTLE
from bot.storage.bulletins import BulletinDraft, BulletinStore
from bot.storage.conversations import SqlConversationStore
from bot.storage.copy import CopyError, copy_database
from bot.storage.db import Database
from bot.storage.faq_entries import add_entry
from bot.storage.faq_proposals import FaqProposalStore
from bot.storage.faq_reviews import FaqReviewStore
from bot.storage.inbox import Inbox
from bot.storage.login_throttle import LoginThrottle
from bot.storage.outbox import Outbox
from bot.storage.places import PlaceRegister, SqlPlaceDirectory
from bot.storage.purge import purge
from bot.storage.quizzes import QuizStore
from bot.storage.schema import Base, Message, Ticket, User
from bot.storage.staff import StaffStore
from bot.storage.staff_sessions import Expiry, SessionStore
from bot.storage.subscriptions import SqlSubscriptionStore
from bot.storage.tickets import SqlTicketStore
from tests.auxil.places import COMMUNES_CSV, POINTS_CSV, TAN_PHU
from tests.auxil.storage_builders import Clock, draft, dump_tables, message, reply

pytestmark = pytest.mark.postgres

runner = CliRunner()
CITIZENS = 12  # enough rows for several batches of --batch-size 7


def fill(db: Database) -> None:
    """Use the bot the way citizens and staff do: every table gets rows."""
    clock = Clock()
    inbox, outbox = Inbox(db, clock=clock), Outbox(db, clock=clock)
    conversations = SqlConversationStore(db, outbox=outbox, clock=clock)
    tickets = SqlTicketStore(db, outbox=outbox, clock=clock)
    staff = StaffStore(db, clock=clock)
    lan = staff.create("lan@tgpl.gov.vn", "argon2-hash", "admin", "Chị Lan").id
    staff.audit(lan, "login", ip="10.0.0.1", detail={"ok": True})
    SessionStore(db, Expiry(dt.timedelta(hours=2), dt.timedelta(hours=12)), clock=clock).create(lan)
    throttle = LoginThrottle(db, THROTTLE, clock=clock)
    throttle.failed(throttle.begin("lan@tgpl.gov.vn", "10.0.0.1"))
    for n in range(CITIZENS):
        user = str(1000 + n)
        clock.advance(60)
        inbox.accept("telegram", f"u{n}", {"update_id": n, "text": "…"}, chat_key=user, user_key=user)
        msg = message(f"Câu hỏi số {n}: nghỉ phép năm được mấy ngày?", user=user, mid=f"m{n}",
                      name=f"Người dân {n}")
        conversations.record(msg, reply(), conversations.load(msg.channel, user, user))
        conversations.record_feedback(Channel.TELEGRAM, user, user, n % 2 == 0)
        if n % 3 == 0:
            ticket_id = tickets.open_ticket(draft(f"Tôi cần gặp cán bộ ({n})", user=user))
            state = conversations.load(msg.channel, user, user)
            conversations.record(
                message("/canbo", user=user, mid=f"c{n}"),
                reply("Đã chuyển cán bộ", ReplyKind.ESCALATED, ticket_id=ticket_id),
                state,
            )
            tickets.set_consent(ticket_id, True)
            tickets.claim(ticket_id, lan)
            tickets.add_note(ticket_id, lan, "Gọi lại chiều nay")
            tickets.reply(ticket_id, lan, "Chào anh/chị, cán bộ trả lời ...")
            if n % 2 == 0:
                tickets.resolve(ticket_id, lan)
                FaqProposalStore(db, clock=clock).propose(
                    "Nghỉ phép năm?", "12 ngày", [{"article_id": "bllđ_113"}], lan,
                    ticket_id=ticket_id,
                )
    for item in inbox.claim(100, "w"):
        inbox.done(item.id)
    for item in outbox.claim_due(5, "w"):
        outbox.sent(item.id)
    FaqReviewStore(db, clock=clock).approve("lao-dong-001", "lan@tgpl.gov.vn", edited_answer="Đã sửa.")
    with db.session() as s:  # an entry approved in the desk (it refers to its staff member)
        add_entry(
            s,
            {"questions": ["Nghỉ phép năm?", "nghi phep nam"], "answer": "12 ngày",
             "citations": [{"doc_number": "45/2019/QH14", "article": "113"}], "reviewed_at": "2026-12-01"},
            slug="da-duyet", topic="Đã duyệt", approved_by=lan, now=clock(),
        )
    places = PlaceRegister(db, clock=clock)
    places.import_csv(COMMUNES_CSV.read_bytes())
    places.import_csv(POINTS_CSV.read_bytes())
    places.assign_staff(lan, places.points()[0].id)
    directory = SqlPlaceDirectory(db, clock=clock)
    directory.remember_commune(Channel.TELEGRAM, "1000", TAN_PHU)
    directory.route_ticket(tickets.list_queue(status="resolved")[0].id, TAN_PHU, places.points()[0].id, True)
    quizzes = QuizStore(db, clock=clock)  # a quiz taken by one citizen
    quiz = quizzes.create("Nghỉ phép năm", "Lao động", lan)
    question = quizzes.add_question(quiz, "Đủ 12 tháng được nghỉ mấy ngày?", ["10", "12"], 1,
                                    "12 ngày làm việc.", "20.2.LQ.113", "khoản 1 Điều 113 Bộ luật Lao động")
    quizzes.set_status(quiz, "published")
    attempt = quizzes.start(Channel.TELEGRAM, "1001", quiz)
    quizzes.answer(attempt.id, question, 1, True, True)
    SqlSubscriptionStore(db, clock=clock).subscribe(Channel.TELEGRAM, "1002", "1002", ["lao-dong"], None)
    bulletins = BulletinStore(db, clock=clock)  # a bulletin sent to that subscriber
    sent = bulletins.create(BulletinDraft(title="Nghỉ hằng năm", body="12 ngày làm việc.", topics=("lao-dong",)),
                            created_by=lan)
    bulletins.queue(sent, outbox, fits)
    purge(db, 3650, now=clock())  # writes the `meta` row
    # the one table without personal data left empty would prove nothing: check the fill
    counts = {t: len(rows) for t, rows in dump_tables(db).items()}
    assert all(counts.values()), counts


@pytest.fixture
def sqlite_source(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'lawbot.sqlite3'}"
    db = Database(url)
    db.migrate()
    fill(db)
    db.dispose()
    return url


def test_copy_moves_every_row_and_new_rows_get_fresh_ids(
    sqlite_source: str, postgres_database: Callable[[], str]
) -> None:
    target = postgres_database()
    result = runner.invoke(
        db_app, ["copy", "--from", sqlite_source, "--to", target, "--batch-size", "7"]
    )
    assert result.exit_code == 0, result.output
    for table in Base.metadata.sorted_tables:  # the per-table counts are printed
        assert table.name in result.output
    assert "OK:" in result.output

    source, pg = Database(sqlite_source), Database(target)
    try:
        before, after = dump_tables(source), dump_tables(pg)
        assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in before.items()}
        assert after == before  # same values, types included (UTC datetimes, JSON, booleans)

        # sequences were moved on: the next rows get new ids instead of failing on a duplicate
        max_message = max(r["id"] for r in after["messages"])
        clock = Clock()
        clock.advance(days=1)
        outbox = Outbox(pg, clock=clock)
        store = SqlConversationStore(pg, outbox=outbox, clock=clock)
        msg = message("Sau khi chuyển sang PostgreSQL", user="9999", mid="new")
        store.record(msg, reply(), store.load(msg.channel, "9999", "9999"))
        ticket_id = SqlTicketStore(pg, outbox=outbox, clock=clock).open_ticket(draft(user="9999"))
        staff_id = StaffStore(pg).create("minh@tgpl.gov.vn", "h").id
        assert ticket_id > max(r["id"] for r in after["tickets"])
        assert staff_id > max(r["id"] for r in after["staff_users"])
        with pg.session(readonly=True) as s:
            assert s.scalar(sa.select(sa.func.max(Message.id))) > max_message
            assert s.scalar(sa.select(sa.func.count()).select_from(User)) == CITIZENS + 1
        # the copied conversations still load with their history
        old = store.load(Channel.TELEGRAM, "1000", "1000")
        assert old.turns and old.turns[0].text.startswith("Câu hỏi số 0")
    finally:
        source.dispose()
        pg.dispose()


def test_non_empty_target_is_refused_unless_forced(
    sqlite_source: str, postgres_database: Callable[[], str]
) -> None:
    target = postgres_database()
    assert runner.invoke(db_app, ["copy", "--from", sqlite_source, "--to", target]).exit_code == 0
    pg = Database(target)
    try:
        SqlTicketStore(pg).open_ticket(draft("Ticket mở sau khi chuyển"))
        again = runner.invoke(db_app, ["copy", "--from", sqlite_source, "--to", target])
        assert again.exit_code == 1
        assert "already holds rows" in again.output and "--force" in again.output
        with pg.session(readonly=True) as s:  # nothing was touched
            assert s.scalar(sa.select(sa.func.count()).where(Ticket.question == "Ticket mở sau khi chuyển"))

        forced = runner.invoke(db_app, ["copy", "--from", sqlite_source, "--to", target, "--force"])
        assert forced.exit_code == 0, forced.output
        source = Database(sqlite_source)
        assert dump_tables(pg) == dump_tables(source)
        source.dispose()
    finally:
        pg.dispose()


def test_source_must_exist_and_be_up_to_date(
    tmp_path: Path, postgres_database: Callable[[], str]
) -> None:
    target = postgres_database()
    missing = runner.invoke(
        db_app, ["copy", "--from", f"sqlite:///{tmp_path / 'typo.sqlite3'}", "--to", target]
    )
    assert missing.exit_code == 1 and "no SQLite database file" in missing.output
    assert not (tmp_path / "typo.sqlite3").exists()  # and no empty file was left behind

    old = tmp_path / "old.sqlite3"  # a database this version's migrations never ran on
    sqlite3.connect(old).close()
    with pytest.raises(CopyError, match="lawbot db migrate"):
        copy_database(f"sqlite:///{old}", target)


def test_refuses_to_copy_a_database_onto_itself(sqlite_source: str) -> None:
    with pytest.raises(CopyError, match="same database"):
        copy_database(sqlite_source, sqlite_source)


def test_values_postgresql_cannot_hold_are_fitted_and_reported(
    tmp_path: Path, postgres_database: Callable[[], str]
) -> None:
    # SQLite neither enforces VARCHAR lengths nor refuses NUL characters; PostgreSQL does both
    url = f"sqlite:///{tmp_path / 'odd.sqlite3'}"
    db = Database(url)
    db.migrate()
    store = SqlConversationStore(db)
    msg = message("a\x00b", user="77")
    store.record(msg, reply(), store.load(msg.channel, "77", "77"))
    with db.session() as s:  # e.g. written by an older version that did not cut names
        s.execute(sa.update(User).values(display_name="N" * 300))
    db.dispose()
    result = runner.invoke(db_app, ["copy", "--from", url, "--to", postgres_database()])
    assert result.exit_code == 0, result.output
    assert "values cut to the column length" in result.output
    assert "NUL characters removed" in result.output


def test_migrate_command_brings_an_empty_database_to_head(
    postgres_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.storage.copy import head_revision

    url = postgres_database()
    monkeypatch.setenv("LAWBOT_DATABASE_URL", url)
    first = runner.invoke(db_app, ["migrate"])
    assert first.exit_code == 0 and f"to {head_revision()}" in first.output
    second = runner.invoke(db_app, ["migrate"])
    assert second.exit_code == 0 and "already at revision" in second.output
