"""The sample register (knowledge_base/places) as a PlaceDirectory in memory, and helpers to load it into a database."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from bot.core.models import Channel
from bot.core.ports import Commune, ServicePoint

PLACES = Path(__file__).resolve().parents[2] / "knowledge_base" / "places"
COMMUNES_CSV = PLACES / "communes.csv"
POINTS_CSV = PLACES / "diem_phuc_vu.csv"
KINDS = {"trung_tam_tgpl": "legal_aid_centre", "chi_nhanh_tgpl": "legal_aid_branch",
         "cong_chuc_tu_phap": "justice_officer", "to_hoa_giai": "mediation_group"}
TAN_PHU = "26206"  # Xã Tân Phú, Tỉnh Đồng Nai in the sample


class MemoryPlaces:
    """The PlaceDirectory port over the sample CSVs; records the routes it was asked to make."""

    def __init__(self) -> None:
        with COMMUNES_CSV.open(encoding="utf-8") as f:
            self._communes = tuple(
                Commune(r["ma_xa"], r["ten_xa"], r["ma_tinh"], r["ten_tinh"],
                        tuple(a for a in r["ten_cu"].split(";") if a))
                for r in csv.DictReader(f)
            )
        self.areas: list[tuple[ServicePoint, str | None]] = []
        ids: dict[str, int] = {}
        with POINTS_CSV.open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                pid = ids.setdefault(r["ma_diem"], len(ids) + 1)
                point = ServicePoint(pid, KINDS[r["loai"]], r["ten"], r["dia_chi"], r["dien_thoai"],
                                     r["gio_lam_viec"], r["ma_tinh"])
                self.areas.append((point, r["ma_xa"] or None))
        self.citizens: dict[tuple[str, str], str] = {}
        self.routes: dict[int, tuple[str | None, int | None, bool]] = {}

    def communes(self) -> Sequence[Commune]:
        return self._communes

    def points_for(self, commune_code: str) -> list[ServicePoint]:
        province = next((c.province_code for c in self._communes if c.code == commune_code), None)
        named = [p for p, c in self.areas if c == commune_code]
        whole = [ServicePoint(p.id, p.kind, p.name, p.address, p.phone, p.hours, p.province_code, True)
                 for p, c in self.areas if c is None and p.province_code == province]
        return named + whole

    def point_id(self, name_part: str) -> int:
        return next(p.id for p, _ in self.areas if name_part in p.name)

    def citizen_commune(self, channel: Channel, user_id: str) -> str | None:
        return self.citizens.get((str(channel), user_id))

    def remember_commune(self, channel: Channel, user_id: str, commune_code: str | None) -> None:
        if commune_code is None:
            self.citizens.pop((str(channel), user_id), None)
        else:
            self.citizens[(str(channel), user_id)] = commune_code

    def route_ticket(self, ticket_id: int, commune_code: str | None, point_id: int | None,
                     mediation_offered: bool = False) -> None:
        old = self.routes.get(ticket_id)
        if commune_code is None and point_id is None and old is not None:
            commune_code, point_id = old[0], old[1]
        self.routes[ticket_id] = (commune_code, point_id, mediation_offered or bool(old and old[2]))
