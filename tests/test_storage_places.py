"""The register of places on SQLite and PostgreSQL: CSV import all-or-nothing with line errors, idempotent
re-import, export round trip, the PlaceDirectory port, the commune erased with the citizen, counts by place."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from bot.core.models import Channel
from bot.core.ports import TicketDraft
from bot.storage.db import Database
from bot.storage.erase import erase_user
from bot.storage.places import (
    ImportProblems,
    PlaceRegister,
    SqlPlaceDirectory,
    by_province,
    place_counts,
)
from bot.storage.schema import Commune, ServiceArea, ServicePoint, Ticket, User
from bot.storage.tickets import CENTRAL, SqlTicketStore
from tests.auxil.places import COMMUNES_CSV, POINTS_CSV, TAN_PHU

HEADER = "ma_diem,loai,ten,dia_chi,dien_thoai,gio_lam_viec,ma_tinh,ten_tinh,ma_xa,ten_xa\n"


def loaded(db: Database) -> PlaceRegister:
    reg = PlaceRegister(db)
    reg.import_csv(COMMUNES_CSV.read_bytes())
    reg.import_csv(POINTS_CSV.read_bytes())
    return reg


def counts(db: Database) -> tuple[int, int, int]:
    with db.session(readonly=True) as s:
        return tuple(s.scalar(sa.select(sa.func.count()).select_from(t)) or 0  # type: ignore[return-value]
                     for t in (Commune, ServicePoint, ServiceArea))


def test_sample_register_imports_and_reimports_without_change(db: Database) -> None:
    reg = PlaceRegister(db)
    first = reg.import_csv(COMMUNES_CSV.read_bytes())
    assert (first.kind, first.created) == ("communes", 12)
    points = reg.import_csv(POINTS_CSV.read_bytes())
    assert (points.kind, points.rows, points.created) == ("points", 10, 9)
    before = (counts(db), reg.export_csv(), reg.export_csv("communes"))
    again = reg.import_csv(POINTS_CSV.read_bytes())
    assert (again.created, again.updated, again.unchanged, again.deactivated) == (0, 0, 9, 0)
    assert reg.import_csv(COMMUNES_CSV.read_bytes()).unchanged == 12
    assert (counts(db), reg.export_csv(), reg.export_csv("communes")) == before
    # the export is the import format: reading it back changes nothing
    assert reg.import_csv(before[1].encode()).unchanged == 9
    assert reg.import_csv(before[2].encode()).unchanged == 12


def test_malformed_csv_reports_every_bad_line_and_writes_nothing(db: Database) -> None:
    reg = loaded(db)
    before = (counts(db), reg.export_csv())
    bad = (
        HEADER
        + "vd-new,chi_nhanh_tgpl,Điểm mới,Đ/c,0000,8h-17h,75,Tỉnh Đồng Nai,26206,Xã Tân Phú\n"  # fine alone
        + "vd-x,van_phong_luat,Tên,Đ/c,0000,8h-17h,75,Tỉnh Đồng Nai,26206,Xã Tân Phú\n"  # kind
        + "vd-y,to_hoa_giai,Tổ,Đ/c,0000,8h-17h,75,Tỉnh Đồng Nai,99999,Xã Không Có\n"  # commune
        + "vd-z,to_hoa_giai,Tổ,Đ/c,0000\n"  # columns
        + "vd-w,to_hoa_giai,Tổ,Đ/c,0000,8h-17h,75,Tỉnh Đồng Nai,26206,Xã Phú Lâm\n"  # name vs code
    )
    with pytest.raises(ImportProblems) as caught:
        reg.import_csv(bad.encode())
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == ["dòng 3", "dòng 4", "dòng 5", "dòng 6"]
    assert "van_phong_luat" in problems[0] and "99999" in problems[1] and "Xã Tân Phú" in problems[3]
    assert (counts(db), reg.export_csv()) == before  # the good line was not written either


@pytest.mark.parametrize("data", [b"\xff\xfe garbage", b"", b"a,b,c\n1,2,3\n", b'ma_xa,ten_xa,ma_tinh,ten_tinh\n"1,2\n'])
def test_unreadable_files_are_refused(db: Database, data: bytes) -> None:
    with pytest.raises(ImportProblems) as caught:
        PlaceRegister(db).import_csv(data)
    assert caught.value.problems
    assert counts(db) == (0, 0, 0)


def test_a_point_left_out_of_the_csv_stops_receiving_tickets(db: Database) -> None:
    reg = loaded(db)
    directory = SqlPlaceDirectory(db)
    assert any(p.kind == "mediation_group" for p in directory.points_for(TAN_PHU))
    kept = [line for line in POINTS_CSV.read_text(encoding="utf-8").splitlines() if "vd-hg-tanphu" not in line]
    result = reg.import_csv(("\n".join(kept) + "\n").encode())
    assert result.deactivated == 1
    assert not any(p.kind == "mediation_group" for p in directory.points_for(TAN_PHU))


def test_directory_orders_points_remembers_and_routes(db: Database) -> None:
    loaded(db)
    directory = SqlPlaceDirectory(db)
    assert len(directory.communes()) == 12 and directory.communes() is directory.communes()  # cached
    points = directory.points_for(TAN_PHU)
    assert [p.whole_province for p in points] == sorted(p.whole_province for p in points)
    assert points[-1].name.startswith("Trung tâm") and points[-1].whole_province
    assert directory.citizen_commune(Channel.ZALO, "z1") is None
    directory.remember_commune(Channel.ZALO, "z1", TAN_PHU)
    assert directory.citizen_commune(Channel.ZALO, "z1") == TAN_PHU

    tickets = SqlTicketStore(db)
    draft = TicketDraft(Channel.ZALO, "z1", "z1", "court", "normal", "hỏi", [], [], None)
    # two requests of the chat (the same message twice would be one request, see test_storage_tickets.py)
    routed = tickets.open_ticket(draft)
    central = tickets.open_ticket(TicketDraft(Channel.ZALO, "z1", "z1", "court", "normal", "hỏi thêm", [], [], None))
    branch = next(p for p in points if p.kind == "legal_aid_branch")
    directory.route_ticket(routed, TAN_PHU, branch.id, mediation_offered=True)
    assert [t.id for t in tickets.list_queue(point=branch.id)] == [routed]
    assert [t.id for t in tickets.list_queue(point=CENTRAL)] == [central]
    with db.session(readonly=True) as s:
        t = s.get(Ticket, routed)
        assert t is not None and (t.commune_code, t.province_code, t.mediation_offered) == (TAN_PHU, "75", True)

    now = dt.datetime.now(dt.UTC)
    rows = place_counts(db, now - dt.timedelta(days=1), now + dt.timedelta(days=1))
    tan_phu = next(r for r in rows if r.commune_code == TAN_PHU)
    assert (tan_phu.tickets, tan_phu.mediation, tan_phu.province) == (1, 1, "Tỉnh Đồng Nai")
    assert rows[-1].commune_code == "" and rows[-1].tickets == 1  # the unknown place, last
    assert [p.province for p in by_province(rows)] == ["Tỉnh Đồng Nai", ""]

    erase_user(db, "zalo", "z1", now=now)  # /xoadulieu: the commune goes with the person
    with db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(User).where(User.commune_code.is_not(None))) == 0
    assert directory.citizen_commune(Channel.ZALO, "z1") is None


def test_staff_belong_to_a_point(db: Database) -> None:
    from bot.storage.staff import StaffStore

    reg = loaded(db)
    staff = StaffStore(db).create("lan@tgpl.vn", "x", "staff", None)
    point = reg.points()[0]
    reg.assign_staff(staff.id, point.id)
    assert reg.point_of(staff.id) == point.id and reg.staff_points()[staff.id] == point.id
    with pytest.raises(LookupError):
        reg.assign_staff(staff.id, 10_000)
    reg.assign_staff(staff.id, None)
    assert reg.point_of(staff.id) is None
