"""Queue and ticket page: ordering, filters, counts, claim/assign, replies through the outbox with their
delivery status, notes, resolve/reopen with audit events, urgency alerts, sources one click away."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import sqlalchemy as sa

from bot.core.models import Channel
from bot.storage.db import Database
from bot.storage.outbox import Outbox
from bot.storage.schema import OutboxRecord, StaffAudit, Ticket, TicketEvent
from tests.auxil.desk import Clock, DeskHarness, login, make_harness, token


def _queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<span class="tid">#(\d+)</span>', html)]


def _events(db: Database, ticket_id: int) -> list[str]:
    with db.session(readonly=True) as s:
        return list(
            s.scalars(
                sa.select(TicketEvent.action)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.id)
            )
        )


def _audit(db: Database) -> list[tuple[str, str | None]]:
    with db.session(readonly=True) as s:
        return [
            (a, t)
            for a, t in s.execute(
                sa.select(StaffAudit.action, StaffAudit.target).order_by(StaffAudit.id)
            )
            if a not in ("login", "logout")
        ]


def _harness(db: Database, tmp_path: Path, clock: Clock | None = None) -> DeskHarness:
    h = make_harness(db, tmp_path, clock=clock)
    h.add_staff("lan@tgpl.vn")
    h.add_staff("minh@tgpl.vn")
    return h


async def test_queue_orders_by_urgency_then_age(db: Database, tmp_path: Path) -> None:
    clock = Clock()
    h = _harness(db, tmp_path, clock)
    old_normal = h.open_ticket("normal, oldest")
    clock.advance(minutes=5)
    high = h.open_ticket("high", urgency="high")
    clock.advance(minutes=5)
    urgent_late = h.open_ticket("urgent, newer", urgency="urgent")
    new_normal = h.open_ticket("normal, newer")
    clock.advance(minutes=5)
    resolved = h.open_ticket("already done", urgency="urgent")
    h.tickets.resolve(resolved, h.staff.get_by_email("lan@tgpl.vn").id)  # type: ignore[union-attr]
    # an urgent ticket opened earlier than the other urgent one comes first
    clock.now -= dt.timedelta(hours=1)
    urgent_early = h.open_ticket("urgent, older", urgency="urgent")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        page = await c.get("/staff/")
        assert _queue_ids(page.text) == [urgent_early, urgent_late, high, old_normal, new_normal]
        assert "<strong>2</strong> khẩn cấp chưa xong" in page.text
        assert re.search(r'id="urgent-badge" class="badge urgent"[^>]*>2 khẩn</span>', page.text)
        done = await c.get("/staff/?status=resolved")
        assert _queue_ids(done.text) == [resolved]
        badge = (await c.get("/staff/api/badge")).json()
        assert badge == {"urgent": 2, "open": 5, "unassigned": 5}


async def test_queue_filters(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    minh = h.staff.get_by_email("minh@tgpl.vn")
    assert minh is not None
    labour = h.open_ticket("labour", category="labour_exploitation")
    court = h.open_ticket("court", category="court", channel=Channel.ZALO, chat_id="z1", user_id="z1")
    fraud = h.open_ticket("fraud", category="fraud", urgency="urgent")
    h.tickets.claim(court, minh.id)
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        me = h.staff.get_by_email("lan@tgpl.vn")
        assert me is not None
        h.tickets.claim(fraud, me.id)

        async def ids(query: str) -> list[int]:
            page = await c.get("/staff/" + query)
            assert page.status_code == 200
            return _queue_ids(page.text)

        assert await ids("?category=court") == [court]
        assert await ids("?channel=zalo") == [court]
        assert await ids("?channel=telegram") == [fraud, labour]
        assert await ids("?urgency=urgent") == [fraud]
        assert await ids("?assignee=me") == [fraud]
        assert await ids(f"?assignee={minh.id}") == [court]
        assert await ids("?assignee=none") == [labour]
        assert await ids("?status=open") == [labour]
        assert await ids("?status=claimed") == [fraud, court]
        # nonsense filters are refused as such (400), never a server error
        for nonsense in ("?status=%27%3B--", "?channel=x", "?urgency=y", "?page=abc"):
            assert (await c.get("/staff/" + nonsense)).status_code == 400, nonsense
        page = await c.get("/staff/")
        assert "Bóc lột lao động" in page.text  # categories shown in Vietnamese


async def test_claim_then_a_colleague_cannot_claim(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    ticket_id = h.open_ticket()
    async with h.client() as lan, h.client() as minh:
        await login(lan, "lan@tgpl.vn")
        await login(minh, "minh@tgpl.vn")
        first = await lan.post(
            f"/staff/tickets/{ticket_id}/claim", data={"csrf_token": await token(lan)}
        )
        assert first.headers["location"].endswith("ok=claimed")
        second = await minh.post(
            f"/staff/tickets/{ticket_id}/claim", data={"csrf_token": await token(minh)}
        )
        assert second.headers["location"].endswith("ok=claim_taken")
        page = await minh.get(second.headers["location"])
        assert "đã có cán bộ khác nhận" in page.text
        assert "lan@tgpl.vn" in page.text
        # assigning to a colleague
        minh_id = h.staff.get_by_email("minh@tgpl.vn").id  # type: ignore[union-attr]
        moved = await lan.post(
            f"/staff/tickets/{ticket_id}/assign",
            data={"csrf_token": await token(lan), "assignee": str(minh_id)},
        )
        assert moved.status_code == 303
    with db.session(readonly=True) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None and ticket.assignee_id == minh_id and ticket.status == "claimed"
    assert _events(db, ticket_id) == ["opened", "claimed", "assigned"]
    assert [a for a, _ in _audit(db)] == ["ticket_claim", "ticket_assign"]


async def test_reply_goes_through_the_outbox_to_the_citizens_chat(
    db: Database, tmp_path: Path
) -> None:
    h = _harness(db, tmp_path)
    ticket_id = h.open_ticket(channel=Channel.ZALO, chat_id="zalo-chat-77", user_id="zalo-user-77")
    other = h.open_ticket(chat_id="tg-other", user_id="tg-other")
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        csrf = await token(c)
        response = await c.post(
            f"/staff/tickets/{ticket_id}/reply",
            data={"csrf_token": csrf, "text": "Chào bạn,\r\nbạn mang theo hợp đồng lao động nhé."},
        )
        assert response.status_code == 303
        with db.session(readonly=True) as s:
            rows = s.scalars(sa.select(OutboxRecord)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.channel, row.chat_id, row.ticket_id) == ("zalo", "zalo-chat-77", ticket_id)
        assert row.payload["text"] == "Chào bạn,\nbạn mang theo hợp đồng lao động nhé."
        page = await c.get(f"/staff/tickets/{ticket_id}")
        assert "bạn mang theo hợp đồng lao động nhé." in page.text
        assert "Đang chờ gửi" in page.text
        # the outbox worker delivers it: the transcript says so
        outbox = Outbox(db)
        [item] = outbox.claim_due(10, "test-worker")
        outbox.sent(item.id)
        assert "Đã gửi" in (await c.get(f"/staff/tickets/{ticket_id}")).text
        # a failed delivery is visible too
        await c.post(f"/staff/tickets/{other}/reply", data={"csrf_token": csrf, "text": "Xin chào"})
        [item] = outbox.claim_due(10, "test-worker")
        outbox.failed_permanently(item.id, "telegram: Forbidden: bot was blocked by the user")
        failed = await c.get(f"/staff/tickets/{other}")
        assert "Gửi thất bại" in failed.text
        assert "bot was blocked by the user" in failed.text
        # empty replies are refused
        empty = await c.post(f"/staff/tickets/{ticket_id}/reply", data={"csrf_token": csrf, "text": "  "})
        assert empty.headers["location"].endswith("err=empty_reply")
    with db.session(readonly=True) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.first_staff_reply_at is not None and ticket.status == "claimed"
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord)) == 2
    assert _events(db, ticket_id) == ["opened", "replied"]
    assert ("ticket_reply", f"ticket:{ticket_id}") in _audit(db)


async def test_no_reply_to_a_citizen_who_declined_contact(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    ticket_id = h.open_ticket()
    h.tickets.set_consent(ticket_id, False)
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        page = await c.get(f"/staff/tickets/{ticket_id}")
        assert "không đồng ý được liên hệ" in page.text
        assert f'action="/staff/tickets/{ticket_id}/reply"' not in page.text
        response = await c.post(
            f"/staff/tickets/{ticket_id}/reply", data={"csrf_token": await token(c), "text": "hi"}
        )
        assert response.headers["location"].endswith("err=unreachable")
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord)) == 0


async def test_notes_resolve_reopen_with_events_and_audit(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    ticket_id = h.open_ticket()
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        csrf = await token(c)
        await c.post(
            f"/staff/tickets/{ticket_id}/note",
            data={"csrf_token": csrf, "text": "Đã gọi lại, hẹn thứ Hai"},
        )
        page = await c.get(f"/staff/tickets/{ticket_id}")
        assert "Đã gọi lại, hẹn thứ Hai" in page.text
        await c.post(f"/staff/tickets/{ticket_id}/resolve", data={"csrf_token": csrf})
        assert ticket_id not in _queue_ids((await c.get("/staff/")).text)
        resolved = await c.get(f"/staff/tickets/{ticket_id}")
        assert "Đã xong" in resolved.text and "Mở lại yêu cầu" in resolved.text
        await c.post(f"/staff/tickets/{ticket_id}/reopen", data={"csrf_token": csrf})
        assert ticket_id in _queue_ids((await c.get("/staff/")).text)
    assert _events(db, ticket_id) == ["opened", "note", "resolved", "reopened"]
    assert [a for a, _ in _audit(db)] == ["ticket_note", "ticket_resolve", "ticket_reopen"]
    # the notes stay internal: nothing was queued for the citizen
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxRecord)) == 0


async def test_raising_a_ticket_to_urgent_alerts_the_staff_group(
    db: Database, tmp_path: Path
) -> None:
    h = _harness(db, tmp_path)
    ticket_id = h.open_ticket()
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        csrf = await token(c)
        await c.post(f"/staff/tickets/{ticket_id}/urgency", data={"csrf_token": csrf, "urgency": "high"})
        assert h.alerts == []
        await c.post(
            f"/staff/tickets/{ticket_id}/urgency", data={"csrf_token": csrf, "urgency": "urgent"}
        )
        await c.post(
            f"/staff/tickets/{ticket_id}/urgency", data={"csrf_token": csrf, "urgency": "urgent"}
        )
        bad = await c.post(
            f"/staff/tickets/{ticket_id}/urgency", data={"csrf_token": csrf, "urgency": "extreme"}
        )
        assert bad.headers["location"].endswith("err=bad_urgency")
        assert (await c.get("/staff/api/badge")).json()["urgent"] == 1
    assert h.alerts == [ticket_id]  # once, when it became urgent
    assert _events(db, ticket_id) == ["opened", "urgency", "urgency"]


async def test_sources_and_article_text_one_click_away(db: Database, tmp_path: Path) -> None:
    h = _harness(db, tmp_path)
    ticket_id = h.open_ticket(sources=[("20.2.LQ.113", 0.71), ("31/2024/QH15::45", 0.4), ("gone", 0.1)])
    async with h.client() as c:
        await login(c, "lan@tgpl.vn")
        page = await c.get(f"/staff/tickets/{ticket_id}")
        assert "Điều 113 Bộ luật Lao động số 45/2019/QH14" in page.text
        assert "Bản nháp của trợ lý" in page.text
        links = re.findall(r'href="(/staff/article\?id=[^"]+)"', page.text)
        assert "/staff/article?id=31/2024/QH15%3A%3A45" in links
        article = await c.get("/staff/article?id=31/2024/QH15%3A%3A45")
        assert article.status_code == 200
        assert "Điều 45. Giấy chứng nhận" in article.text
        assert "&lt;sau đây&gt;" in article.text  # article text is escaped too
        assert (await c.get("/staff/article?id=gone")).status_code == 404
        assert (await c.get("/staff/tickets/999999")).status_code == 404
        assert (await c.get("/staff/tickets/99999999999999999999")).status_code == 404


def test_articles_from_the_index_port_are_shown_too() -> None:
    """The app may hand the retriever's Passage objects instead of dicts."""
    from bot.core.models import DocStatus, Passage
    from bot.desk.articles import article_view

    view = article_view(
        "20.2.LQ.113",
        Passage(
            article_id="20.2.LQ.113", doc_number="45/2019/QH14", doc_title="Bộ luật Lao động",
            doc_type="Bộ luật", article="113", title="Nghỉ hằng năm", text="1. ...", score=0.0,
            status=DocStatus.IN_FORCE,
        ),
    )
    assert view.label == "Điều 113 Bộ luật Lao động số 45/2019/QH14"
    assert view.status == "in_force" and view.citation() == {
        "article_id": "20.2.LQ.113", "doc_number": "45/2019/QH14", "article": "113"
    }
    assert article_view("missing", None).label == "missing"
