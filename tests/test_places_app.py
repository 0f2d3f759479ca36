"""End to end through `lawbot serve`'s app (real PTB and Zalo clients against the fake platforms, SQLite and
PostgreSQL): a ticket from commune X reaches X's service point and that point's staff; an unknown commune
gets a clear message and loses nothing; a malformed CSV in the desk gives line errors and writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa
from pydantic import SecretStr

from bot.core import texts as core_texts
from bot.desk.auth import Passwords
from bot.storage.db import Database
from bot.storage.places import PlaceRegister
from bot.storage.schema import Message, ServicePoint, Ticket
from bot.storage.staff import StaffStore
from tests.auxil.app_harness import TG_HEADERS, ZALO_HEADERS, Running, make_settings, running
from tests.auxil.desk import FAST_HASHER, PASSWORD, SECRET, csrf_of, login
from tests.auxil.fake_telegram import FakeTelegram, private_message
from tests.auxil.fake_zalo import FakeZalo, text_event
from tests.auxil.places import COMMUNES_CSV, POINTS_CSV, TAN_PHU

BRANCH = "Chi nhánh Trợ giúp pháp lý số 1 (ví dụ) Đồng Nai"
SUED = "toi vua bi kien ra toa vi no tien hang, phai lam sao"


@asynccontextmanager
async def desk_as(run: Running, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own (own cookies) logged in to the served desk."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(run.app), base_url="http://lawbot.test") as client:
        r = await login(client, email)
        assert r.status_code in (302, 303)
        yield client


def ticket_of(db: Database, channel: str, chat_id: str) -> Ticket | None:
    with db.session(readonly=True) as s:
        return s.scalars(sa.select(Ticket).where(Ticket.channel == channel, Ticket.chat_id == chat_id)).first()


async def test_a_ticket_from_a_commune_reaches_its_point_and_that_points_staff(
    db: Database, index_dir: Path, fakes: tuple[FakeTelegram, FakeZalo], tmp_path: Path
) -> None:
    tg, zalo = fakes
    register = PlaceRegister(db)
    register.import_csv(COMMUNES_CSV.read_bytes())
    register.import_csv(POINTS_CSV.read_bytes())
    points = {p.key: p.id for p in register.points()}
    staff, hasher = StaffStore(db), Passwords(FAST_HASHER)
    lan = staff.create("lan@tgpl.vn", hasher.hash(PASSWORD), "staff", "Lan (Tân Phú)")
    minh = staff.create("minh@tgpl.vn", hasher.hash(PASSWORD), "staff", "Minh (TP.HCM)")
    staff.create("an@tgpl.vn", hasher.hash(PASSWORD), "admin", "An")
    register.assign_staff(lan.id, points["vd-tgpl-dn-cn1"])
    register.assign_staff(minh.id, points["vd-tgpl-hcm"])
    settings = make_settings(db, index_dir, tg, zalo, session_secret=SecretStr(SECRET), faq_dir=tmp_path / "faq")

    async with running(settings, db, with_desk=True) as run:
        async def say(update_id: int, text: str) -> str:
            n = len(tg.sent(601))
            r = await run.client.post("/webhooks/telegram", json=private_message(update_id, text, user_id=601),
                                      headers=TG_HEADERS)
            assert r.status_code == 200
            assert await tg.wait_until(lambda: len(tg.sent(601)) == n + 1)
            return tg.sent_texts(601)[-1]

        # a citizen of Xã Tân Phú (typed without diacritics, with the old district) is sued
        asked = await say(1, SUED)
        assert "xã, phường" in asked
        assert "Xã Tân Phú, Tỉnh Đồng Nai" in await say(2, "xa tan phu huyen tan phu dong nai")
        routed = await say(3, "dung")
        assert BRANCH in routed and core_texts.CONSENT_QUESTION in routed
        actions = [b["callback_data"] for b in tg.sent(601)[-1]["reply_markup"]["inline_keyboard"][0]]
        assert actions == ["lb:consent_yes", "lb:consent_no"]
        ticket = ticket_of(db, "telegram", "601")
        assert ticket is not None
        assert (ticket.service_point_id, ticket.commune_code) == (points["vd-tgpl-dn-cn1"], TAN_PHU)

        # a Zalo citizen names a commune nobody knows: told so clearly, the case still reaches a person
        await run.client.post("/webhooks/zalo", json=text_event("zm-1", SUED, user_id="z-602", wrapped=True),
                              headers=ZALO_HEADERS)
        assert await zalo.wait_until(lambda: len(zalo.sent("z-602")) == 1)
        await run.client.post("/webhooks/zalo", json=text_event("zm-2", "xa hoa binh xanh", user_id="z-602",
                                                                wrapped=True), headers=ZALO_HEADERS)
        assert await zalo.wait_until(lambda: len(zalo.sent("z-602")) == 2)
        not_found = zalo.sent_texts("z-602")[-1]
        assert "chưa tìm thấy" in not_found and "xa hoa binh xanh" in not_found
        unknown = ticket_of(db, "zalo", "z-602")
        assert unknown is not None and unknown.service_point_id is None  # the central queue
        with db.session(readonly=True) as s:
            kept = s.scalars(sa.select(Message.text).where(Message.role == "user")).all()
        assert "xa hoa binh xanh" in kept  # what they wrote is in the transcript staff read

        async with desk_as(run, "lan@tgpl.vn") as desk:
            queue = (await desk.get("/staff/")).text
            assert f"#{ticket.id}" in queue and f"#{unknown.id}" not in queue  # her point's queue by default
            page = await desk.get(f"/staff/tickets/{ticket.id}")
            assert page.status_code == 200 and SUED in page.text
            assert "Xã Tân Phú, Tỉnh Đồng Nai" in page.text and BRANCH in page.text
        async with desk_as(run, "minh@tgpl.vn") as desk:
            assert f"#{ticket.id}" not in (await desk.get("/staff/")).text  # another point's case
            assert f"#{ticket.id}" in (await desk.get("/staff/", params={"point": "all"})).text
        async with desk_as(run, "an@tgpl.vn") as desk:
            queue = (await desk.get("/staff/")).text
            assert f"#{ticket.id}" in queue and f"#{unknown.id}" in queue  # admins see every queue
            central = (await desk.get("/staff/", params={"point": "central"})).text
            assert f"#{unknown.id}" in central and f"#{ticket.id}" not in central

            stats = await desk.get("/staff/stats")
            assert "Xã Tân Phú" in stats.text and "Tỉnh Đồng Nai" in stats.text
            csv_text = (await desk.get("/staff/stats.csv", params={"kind": "places"})).text
            assert f"75,Tỉnh Đồng Nai,{TAN_PHU},Xã Tân Phú," in csv_text

            # a malformed CSV uploaded in the desk: every bad line named, nothing written
            form = await desk.get("/staff/admin/places")
            before = register.export_csv()
            bad = ("ma_diem,loai,ten,dia_chi,dien_thoai,gio_lam_viec,ma_tinh,ten_tinh,ma_xa,ten_xa\n"
                   "vd-moi,to_hoa_giai,Tổ mới,Đ/c,0000,8h,75,Tỉnh Đồng Nai,26206,Xã Tân Phú\n"
                   "vd-sai,to_hoa_giai,Tổ sai,Đ/c,0000,8h,75,Tỉnh Đồng Nai,12345,Xã Ma\n")
            r = await desk.post("/staff/admin/places", data={"csrf_token": csrf_of(form.text)},
                                files={"file": ("diem.csv", bad.encode(), "text/csv")})
            assert r.status_code == 400 and "dòng 3" in r.text and "12345" in r.text
            assert register.export_csv() == before
            with db.session(readonly=True) as s:
                assert s.scalar(sa.select(sa.func.count()).select_from(ServicePoint)
                                .where(ServicePoint.key == "vd-moi")) == 0
            # the same CSV as the command line's, accepted again without changes
            r = await desk.post("/staff/admin/places", data={"csrf_token": csrf_of(form.text)},
                                files={"file": ("diem.csv", POINTS_CSV.read_bytes(), "text/csv")})
            assert r.status_code == 200 and "9 giữ nguyên" in r.text
            # staff get a point from the accounts page
            accounts = await desk.get("/staff/admin/staff")
            r = await desk.post(f"/staff/admin/staff/{minh.id}/point",
                                data={"csrf_token": csrf_of(accounts.text), "point": str(points["vd-tgpl-dn"])})
            assert r.status_code == 303
        assert register.point_of(minh.id) == points["vd-tgpl-dn"]
