"""Privacy through the real app: no phone, CCCD or e-mail reaches a table or the SQLite files,
/xoadulieu leaves nothing personal in any table (nor in the SQLite files), `lawbot db purge` applies
the retention period, and logs (in-process and of a real `lawbot serve`) hold no bot token, phone or
CCCD number."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.cli.db import db_app
from bot.storage.db import Database
from bot.storage.schema import Conversation, Message, OutboxRecord, Ticket, User
from bot.storage.staff import StaffStore
from bot.storage.texts import REDACTED
from bot.storage.tickets import SqlTicketStore
from tests.auxil import fake_telegram, fake_zalo
from tests.auxil.app_harness import (
    TG_HEADERS,
    TG_SECRET,
    ZALO_HEADERS,
    ZALO_SECRET,
    make_settings,
    running,
    settled,
)
from tests.auxil.fake_telegram import FakeTelegram, callback_query, private_message
from tests.auxil.fake_zalo import FakeZalo, text_event
from tests.auxil.live_server import free_port
from tests.auxil.serve_process import TG_SECRET as SERVE_TG_SECRET
from tests.auxil.serve_process import lawbot_serve, serve_env
from tests.auxil.storage_builders import dump_tables

# citizen A, as the platforms identify them, and what they wrote
TG_A, ZALO_A = 987650001, "zalo-user-7f3a9c"
A_NAME = "Trần Thị Riêngtư"
PHONE, CCCD = "0912 345 678", "001099012345"
A_STORY = f"Chồng tôi đánh tôi ở ngõ Kínđáo, số tôi {PHONE}, CCCD {CCCD}. Tôi phải làm gì?"
A_MARKERS = (str(TG_A), ZALO_A, A_NAME, "ngõ Kínđáo", "Chồng tôi đánh", "0912", CCCD)
B_USER, B_TEXT = 987650002, "Nghỉ phép hằng năm được mấy ngày?"
LEAKS = [
    re.compile(re.escape(fake_telegram.TOKEN)),
    re.compile(re.escape(fake_zalo.TOKEN)),
    re.compile(r"0912[ .-]?345[ .-]?678"),
    re.compile(CCCD),
]


def _no_times(value: object) -> str:
    return "" if isinstance(value, dt.date | dt.time) else str(value)


def leaks_of_a(db: Database) -> list[str]:
    found = []
    for table, rows in dump_tables(db).items():
        for row in rows:
            # timestamps are not personal data, and their microseconds can spell "0912"
            blob = json.dumps(row, default=_no_times, ensure_ascii=False)
            found += [f"{table}: {m!r}" for m in A_MARKERS if m in blob]
    return found


async def test_xoadulieu_removes_the_citizen_from_every_table(
    db: Database, index_dir: Path, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    lan = StaffStore(db).create("lan@tgpl.gov.vn", "hash").id
    async with running(make_settings(db, index_dir, tg, zalo), db) as r:

        async def telegram(update_id: int, text: str, user: int = TG_A) -> None:
            update = private_message(update_id, text, user_id=user, first_name=A_NAME if user == TG_A else "B")
            assert (await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)).status_code == 200

        # A talks on Telegram: a story with personal numbers, 👎, asks for a person, consents
        await telegram(1, A_STORY)
        assert await tg.wait_until(lambda: len(tg.sent(TG_A)) == 1)
        await r.client.post("/webhooks/telegram", json=callback_query(2, "lb:down", user_id=TG_A), headers=TG_HEADERS)
        await telegram(3, "/canbo")
        assert await tg.wait_until(lambda: len(tg.sent(TG_A)) == 3)
        await r.client.post("/webhooks/telegram", json=callback_query(4, "lb:consent_yes", user_id=TG_A),
                            headers=TG_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(TG_A)) == 4)
        # staff take the case and write back
        with db.session(readonly=True) as s:
            [ticket_id] = s.scalars(sa.select(Ticket.id).where(Ticket.chat_id == str(TG_A))).all()
        tickets = SqlTicketStore(db, outbox=r.rt.outbox)
        tickets.claim(ticket_id, lan)
        tickets.add_note(ticket_id, lan, f"Chị {A_NAME} ở ngõ Kínđáo")
        tickets.reply(ticket_id, lan, f"Chào chị {A_NAME}, cán bộ sẽ gọi lại")
        r.rt.workers.wake_outbox()
        assert await tg.wait_until(lambda: len(tg.sent(TG_A)) == 5)
        # A on Zalo too; B asks an ordinary question
        zalo_event = text_event("za-1", A_STORY, user_id=ZALO_A)
        zalo_event["message"]["from"]["display_name"] = A_NAME
        await r.client.post("/webhooks/zalo", json=zalo_event, headers=ZALO_HEADERS)
        await telegram(5, B_TEXT, user=B_USER)
        assert await zalo.wait_until(lambda: len(zalo.sent(ZALO_A)) == 1)
        assert await tg.wait_until(lambda: len(tg.sent(B_USER)) == 1)
        await settled(r)  # every conversation stored
        assert leaks_of_a(db)  # the check below can see A's data

        # A asks for deletion on both channels
        await telegram(6, "/xoadulieu")
        await r.client.post("/webhooks/zalo", json=text_event("za-2", "/xoadulieu", user_id=ZALO_A),
                            headers=ZALO_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(TG_A)) == 6)
        assert await zalo.wait_until(lambda: len(zalo.sent(ZALO_A)) == 2)
        await settled(r)  # the confirmation's outbox row goes once it is delivered

    # fails while the core re-creates the user after deleting them (docs/security.md, finding 1)
    assert leaks_of_a(db) == [], "\n".join(leaks_of_a(db))
    with db.session(readonly=True) as s:  # B is untouched; the ticket stays, anonymised
        assert s.scalars(sa.select(User.external_id)).all() == [str(B_USER)]
        assert s.scalar(sa.select(sa.func.count()).select_from(Message).where(Message.text == B_TEXT)) == 1
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None and ticket.question == REDACTED and ticket.anonymised_at is not None
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord).where(
            OutboxRecord.chat_id.in_([str(TG_A), ZALO_A]))) == 0


# the forms that reached the database before the masker moved to intake (issue 13)
C_TG, C_ZALO = 987650011, "zalo-user-c41d"
C_PERSONAL = ["(+84)903111222", "0912  777888", "(091) 444 5566", "001-203-004-567", "lan.nguyen@gmail.com"]
C_FULL_WIDTH_PHONE = "０９８７６５４３２１"
C_STORY = (
    f"Chồng tôi đánh tôi ở ngõ Bímậtxyz. Gọi tôi {C_PERSONAL[0]}, {C_PERSONAL[1]} hay {C_PERSONAL[2]}, "
    f"CCCD {C_PERSONAL[3]}, email {C_PERSONAL[4]}. Tôi phải làm gì?"
)
C_MARKERS = ["Bímậtxyz", "Chồng tôi đánh"]


def byte_forms(text: str) -> set[bytes]:
    """How a string can sit in a database file: UTF-8, inside JSON (escaped or not), digits only."""
    forms = {text.encode(), json.dumps(text)[1:-1].encode(), json.dumps(text, ensure_ascii=False)[1:-1].encode()}
    digits = "".join(str(int(ch)) for ch in text if ch.isdigit())
    if len(digits) >= 9:
        forms.add(digits.encode())
    if "@" in text:
        forms.add(text.split("@")[0].encode())
    return forms


def found_in_files(db: Database, secrets: list[str]) -> list[str]:
    database = Path(str(db.url.database))
    found = []
    for path in (database, Path(f"{database}-wal")):
        data = path.read_bytes() if path.exists() else b""
        found += [f"{path.name}: {form!r}" for secret in secrets for form in byte_forms(secret) if form in data]
    return found


async def test_personal_numbers_never_reach_the_database_and_erasure_leaves_no_copy_in_its_files(
    db: Database, index_dir: Path, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    tg, zalo = fakes
    personal = [*C_PERSONAL, C_FULL_WIDTH_PHONE]
    async with running(make_settings(db, index_dir, tg, zalo), db) as r:
        update = private_message(21, C_STORY, user_id=C_TG, first_name=f"Lan {C_PERSONAL[0]}")
        await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
        await r.client.post("/webhooks/telegram", json=private_message(22, "/canbo", user_id=C_TG), headers=TG_HEADERS)
        zalo_story = f"{C_STORY} Số khác: {C_FULL_WIDTH_PHONE}"
        await r.client.post("/webhooks/zalo", json=text_event("zc-1", zalo_story, user_id=C_ZALO), headers=ZALO_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(C_TG)) == 2)
        assert await zalo.wait_until(lambda: len(zalo.sent(C_ZALO)) == 1)
        await settled(r)

        # processed: messages, the ticket's transcript, the inbox hold masks, not the numbers
        tables = json.dumps(dump_tables(db), default=str, ensure_ascii=False)
        assert [f for secret in personal for f in byte_forms(secret) if f.decode() in tables] == []
        assert "[số điện thoại]" in tables and "[số giấy tờ]" in tables and "[email]" in tables
        with db.session(readonly=True) as s:
            transcripts = s.scalars(sa.select(Ticket.transcript)).all()
        assert transcripts and all("[số giấy tờ]" in json.dumps(t, ensure_ascii=False) for t in transcripts)
        if db.dialect == "sqlite":
            assert found_in_files(db, personal) == []
            assert found_in_files(db, C_MARKERS)  # the check sees what the files do hold

        await r.client.post("/webhooks/telegram", json=private_message(23, "/xoadulieu", user_id=C_TG),
                            headers=TG_HEADERS)
        await r.client.post("/webhooks/zalo", json=text_event("zc-2", "/xoadulieu", user_id=C_ZALO),
                            headers=ZALO_HEADERS)
        assert await tg.wait_until(lambda: len(tg.sent(C_TG)) == 3)
        assert await zalo.wait_until(lambda: len(zalo.sent(C_ZALO)) == 2)
        await settled(r)
    if db.dialect == "sqlite":
        # secure_delete zeroed the rows, the checkpoint emptied the write-ahead log
        assert found_in_files(db, [*personal, *C_MARKERS]) == []


async def test_purge_command_applies_the_retention_period(
    db: Database, index_dir: Path, fakes: tuple[FakeTelegram, FakeZalo], monkeypatch: pytest.MonkeyPatch
) -> None:
    tg, zalo = fakes
    async with running(make_settings(db, index_dir, tg, zalo), db) as r:
        for n, (user, text) in enumerate([(9101, B_TEXT), (9102, "/canbo")]):
            update = private_message(910_000 + n, text, user_id=user)
            await r.client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
        assert await tg.wait_until(lambda: tg.sent(9101) and tg.sent(9102))
        await settled(r)
    monkeypatch.setenv("LAWBOT_DATABASE_URL", db.url.render_as_string(hide_password=False))
    runner = CliRunner()

    monkeypatch.setenv("LAWBOT_RETENTION_DAYS", "365")
    kept = runner.invoke(db_app, ["purge"])  # everything is recent: nothing goes
    assert kept.exit_code == 0 and "older than 365 days" in kept.output
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Message)) == 4

    gone = runner.invoke(db_app, ["purge", "--days", "0"])
    assert gone.exit_code == 0, gone.output
    with db.session(readonly=True) as s:
        # 9101's conversation is gone; 9102's stays while their ticket is open
        chats = s.scalars(sa.select(Conversation.chat_id)).all()
        assert chats == ["9102"]
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


async def test_app_logs_hold_no_token_phone_or_cccd(
    db: Database, index_dir: Path, fakes: tuple[FakeTelegram, FakeZalo], caplog: pytest.LogCaptureFixture
) -> None:
    """Even without the masking filter: nothing our code logs carries these, on the paths that log most."""
    tg, zalo = fakes
    caplog.set_level(logging.DEBUG)
    async with running(make_settings(db, index_dir, tg, zalo), db) as r:
        tg.fail_next(2, status=500, methods={"sendMessage"})  # delivery errors are logged
        zalo.fail_next(2, status=502, methods={"sendMessage"})
        await r.client.post("/webhooks/telegram", json=private_message(930_001, A_STORY, user_id=9301),
                            headers=TG_HEADERS)
        await r.client.post("/webhooks/zalo", json=text_event("zl-1", A_STORY, user_id="z9301"),
                            headers=ZALO_HEADERS)
        await r.client.post("/webhooks/telegram", json=private_message(930_002, A_STORY, user_id=9302),
                            headers={"X-Telegram-Bot-Api-Secret-Token": "wrong-" + TG_SECRET})
        await r.client.post("/webhooks/zalo", content=b"{" + A_STORY.encode() + b"}",
                            headers={"X-Bot-Api-Secret-Token": ZALO_SECRET})
        assert await tg.wait_until(lambda: len(tg.sent(9301)) == 1, timeout=30)
        assert await zalo.wait_until(lambda: len(zalo.sent("z9301")) == 1, timeout=30)
    assert "will retry" in caplog.text  # the noisy paths (delivery failures) did run
    logged = caplog.text + "".join(str(rec.args) for rec in caplog.records)
    assert [p.pattern for p in LEAKS if p.search(logged)] == []
    assert ZALO_SECRET not in logged and TG_SECRET not in logged


@pytest.mark.slow
def test_lawbot_serve_output_holds_no_token_phone_or_cccd(tmp_path: Path, index_dir: Path) -> None:
    """The real process at DEBUG level: its whole stderr/stdout, checked line by line."""
    tg = FakeTelegram()
    url = f"sqlite:///{tmp_path / 'lawbot.sqlite3'}"
    with tg.running() as tg_url:
        env = serve_env(url, index_dir, tg_url, LAWBOT_LOG_LEVEL="DEBUG")
        with lawbot_serve(env, free_port(), tmp_path / "serve") as worker:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SERVE_TG_SECRET}
            tg.fail_next(2, status=500, methods={"sendMessage"})
            with httpx.Client(base_url=worker.url, timeout=10) as client:
                for n, text in enumerate([A_STORY, f"gọi {PHONE} giúp tôi", "/canbo", CCCD]):
                    update = private_message(940_000 + n, text, user_id=9401)
                    assert client.post("/webhooks/telegram", json=update, headers=headers).status_code == 200
                client.post("/webhooks/telegram", json=private_message(940_100, A_STORY, user_id=9402),
                            headers={"X-Telegram-Bot-Api-Secret-Token": "forged-secret"})
                client.post("/webhooks/telegram", content=A_STORY.encode(), headers=headers)
                client.get(f"/bot{fake_telegram.TOKEN}/getMe")  # a probe with a token in the path
            delivered = asyncio.run(tg.wait_until(lambda: len(tg.sent(9401)) == 4, timeout=40))
            assert delivered, worker.log()[-2000:]
        log = worker.log()
    assert log.strip()  # the process did log (startup, requests, retries)
    leaks = [(p.pattern, line) for line in log.splitlines() for p in LEAKS if p.search(line)]
    assert leaks == [], leaks[:5]
    assert SERVE_TG_SECRET not in log
