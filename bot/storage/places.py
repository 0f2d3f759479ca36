"""The register of places: communes and service points from CSV (all or nothing), the PlaceDirectory port, staff points, place statistics."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from bot.core.models import Channel
from bot.core.places import fold_place
from bot.core.ports import Commune as CommuneView
from bot.core.ports import ServicePoint as PointView
from bot.storage import texts
from bot.storage.citizens import ensure_user
from bot.storage.db import Database
from bot.storage.schema import (
    Commune,
    Conversation,
    Message,
    ServiceArea,
    ServicePoint,
    StaffUser,
    Ticket,
    TicketEvent,
    User,
    utcnow,
)
from bot.storage.statuses import TicketStatus

COMMUNE_COLUMNS = ("ma_xa", "ten_xa", "ma_tinh", "ten_tinh", "ten_cu")
POINT_COLUMNS = ("ma_diem", "loai", "ten", "dia_chi", "dien_thoai", "gio_lam_viec", "ma_tinh", "ten_tinh",
                 "ma_xa", "ten_xa")
# the CSV's words for the kinds of point (the internal names are accepted too)
KINDS = {
    "trung_tam_tgpl": "legal_aid_centre",
    "chi_nhanh_tgpl": "legal_aid_branch",
    "cong_chuc_tu_phap": "justice_officer",
    "to_hoa_giai": "mediation_group",
}
KIND_WORD = {v: k for k, v in KINDS.items()}
_CODE = re.compile(r"[0-9A-Za-z_.-]{1,16}")
_KEY = re.compile(r"[0-9A-Za-z_.-]{1,64}")
MAX_BYTES = 5_000_000
_LINE = re.compile(r"dòng (\d+)")
_LIMITS = {"ten": 255, "dia_chi": 500, "dien_thoai": 64, "gio_lam_viec": 255, "ten_xa": 255, "ten_tinh": 255,
           "ten_cu": 2000}


class ImportProblems(ValueError):
    """The CSV has problems; nothing was written. `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        # in file order, whichever check found them
        problems = sorted(problems, key=lambda p: int(m.group(1)) if (m := _LINE.match(p)) else 0)
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    kind: str  # "communes" | "points"
    rows: int
    created: int
    updated: int
    unchanged: int
    deactivated: int = 0


@dataclass(frozen=True)
class PointRow:
    """A service point as the desk lists it."""

    id: int
    key: str
    kind: str
    name: str
    address: str
    phone: str
    hours: str
    province_code: str
    active: bool
    communes: int  # communes served by name
    whole_province: bool


@dataclass
class _Point:
    line: int
    key: str
    kind: str
    name: str
    address: str
    phone: str
    hours: str
    province_code: str
    communes: list[str | None] = field(default_factory=list)


def _read(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) of a CSV file; raises ImportProblems on an unreadable file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportProblems([texts.CSV_NOT_UTF8]) from None
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(texts.CSV_BROKEN.format(line=reader.line_num, value=exc))
            break
        if any(c.strip() for c in cells):
            rows.append((reader.line_num, [unicodedata.normalize("NFC", c).strip() for c in cells]))
    if problems:
        raise ImportProblems(problems)
    if not rows:
        raise ImportProblems([texts.CSV_EMPTY])
    header = [h.strip().lower() for h in rows[0][1]]
    return header, rows[1:]


def csv_kind(header: Sequence[str]) -> str | None:
    if set(POINT_COLUMNS) <= set(header):
        return "points"
    if set(COMMUNE_COLUMNS[:4]) <= set(header):
        return "communes"
    return None


def _records(header: list[str], rows: list[tuple[int, list[str]]],
             problems: list[str]) -> list[tuple[int, dict[str, str]]]:
    out = []
    for line, cells in rows:
        if len(cells) != len(header):
            problems.append(texts.CSV_FIELD_COUNT.format(line=line, value=len(cells), columns=len(header)))
            continue
        record = dict(zip(header, cells, strict=True))
        for column, limit in _LIMITS.items():
            if len(record.get(column, "")) > limit:
                problems.append(texts.CSV_TOO_LONG.format(line=line, column=column, value=limit))
        out.append((line, record))
    return out


def _code(record: dict[str, str], column: str, line: int, problems: list[str], *, required: bool = True,
          pattern: re.Pattern[str] = _CODE) -> str:
    value = record.get(column, "")
    if not value:
        if required:
            problems.append(texts.CSV_REQUIRED.format(line=line, column=column))
        return ""
    if not pattern.fullmatch(value):
        problems.append(texts.CSV_BAD_CODE.format(line=line, column=column, value=value[:40]))
        return ""
    return value


class PlaceRegister:
    """Imports and exports the register; every import is checked whole first and written in one transaction."""

    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------------ import

    def import_csv(self, data: bytes) -> ImportResult:
        """A communes list or a service-point list (told apart by the header); ImportProblems if any line is wrong."""
        if len(data) > MAX_BYTES:
            raise ImportProblems([texts.CSV_TOO_LONG.format(line=1, column="tệp", value=MAX_BYTES)])
        header, rows = _read(data)
        kind = csv_kind(header)
        if kind is None:
            raise ImportProblems([texts.CSV_UNKNOWN_HEADER.format(
                communes=",".join(COMMUNE_COLUMNS), points=",".join(POINT_COLUMNS))])
        if kind == "communes":
            return self._import_communes(header, rows)
        return self._import_points(header, rows)

    def _import_communes(self, header: list[str], rows: list[tuple[int, list[str]]]) -> ImportResult:
        problems: list[str] = []
        seen: dict[str, int] = {}
        parsed = []
        for line, r in _records(header, rows, problems):
            code = _code(r, "ma_xa", line, problems)
            province = _code(r, "ma_tinh", line, problems)
            for column in ("ten_xa", "ten_tinh"):
                if not r.get(column):
                    problems.append(texts.CSV_REQUIRED.format(line=line, column=column))
            if code in seen:
                problems.append(texts.CSV_DUPLICATE.format(line=line, value=seen[code]))
            seen.setdefault(code, line)
            aliases = ";".join(a.strip() for a in r.get("ten_cu", "").split(";") if a.strip())
            parsed.append((code, r.get("ten_xa", ""), province, r.get("ten_tinh", ""), aliases))
        if problems:
            raise ImportProblems(problems)
        now = self.clock()
        created = updated = 0
        with self.db.session() as s:
            existing = {c.code: c for c in s.scalars(sa.select(Commune))}
            for code, name, province, province_name, aliases in parsed:
                row = existing.get(code)
                values = {"name": name, "province_code": province, "province_name": province_name,
                          "aliases": aliases}
                if row is None:
                    s.add(Commune(code=code, updated_at=now, **values))
                    created += 1
                elif any(getattr(row, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(row, k, v)
                    row.updated_at = now
                    updated += 1
        return ImportResult("communes", len(parsed), created, updated, len(parsed) - created - updated)

    def _import_points(self, header: list[str], rows: list[tuple[int, list[str]]]) -> ImportResult:
        problems: list[str] = []
        with self.db.session(readonly=True) as s:
            communes = {c.code: (c.name, c.province_code) for c in s.scalars(sa.select(Commune))}
        points: dict[str, _Point] = {}
        pairs: dict[tuple[str, str | None], int] = {}
        kinds = ", ".join(KINDS)
        for line, r in _records(header, rows, problems):
            key = _code(r, "ma_diem", line, problems, pattern=_KEY)
            kind_word = r.get("loai", "")
            kind = KINDS.get(kind_word) or (kind_word if kind_word in KIND_WORD else "")
            if not kind:
                problems.append(texts.CSV_BAD_KIND.format(line=line, value=kind_word[:40], kinds=kinds))
            if not r.get("ten"):
                problems.append(texts.CSV_REQUIRED.format(line=line, column="ten"))
            province = _code(r, "ma_tinh", line, problems)
            commune = _code(r, "ma_xa", line, problems, required=False) or None
            if commune is not None:
                known = communes.get(commune)
                if known is None:
                    problems.append(texts.CSV_UNKNOWN_COMMUNE.format(line=line, value=commune))
                else:
                    if r.get("ten_xa") and fold_place(r["ten_xa"]) != fold_place(known[0]):
                        problems.append(texts.CSV_COMMUNE_NAME.format(line=line, column=commune, value=known[0]))
                    if province and known[1] != province:
                        problems.append(texts.CSV_COMMUNE_PROVINCE.format(line=line, column=commune, value=known[1]))
            if not key:
                continue
            point = _Point(line, key, kind, r.get("ten", ""), r.get("dia_chi", ""), r.get("dien_thoai", ""),
                           r.get("gio_lam_viec", ""), province)
            first = points.setdefault(key, point)
            if first is not point:
                for attr, column in (("kind", "loai"), ("name", "ten"), ("address", "dia_chi"),
                                     ("phone", "dien_thoai"), ("hours", "gio_lam_viec"), ("province_code", "ma_tinh")):
                    if getattr(first, attr) != getattr(point, attr):
                        problems.append(texts.CSV_POINT_DIFFERS.format(line=line, value=key, column=column))
                        break
            if (key, commune) in pairs:
                problems.append(texts.CSV_DUPLICATE.format(line=line, value=pairs[(key, commune)]))
            pairs.setdefault((key, commune), line)
            first.communes.append(commune)
        if problems:
            raise ImportProblems(problems)
        return self._write_points(list(points.values()), len(rows))

    def _write_points(self, points: list[_Point], rows: int) -> ImportResult:
        now = self.clock()
        created = updated = deactivated = 0
        with self.db.session() as s:
            existing = {p.key: p for p in s.scalars(sa.select(ServicePoint))}
            for p in points:
                values = {"kind": p.kind, "name": p.name, "address": p.address, "phone": p.phone,
                          "hours": p.hours, "province_code": p.province_code, "active": True}
                row = existing.pop(p.key, None)
                if row is None:
                    row = ServicePoint(key=p.key, updated_at=now, **values)
                    s.add(row)
                    s.flush()
                    created += 1
                    changed = True
                else:
                    changed = any(getattr(row, k) != v for k, v in values.items())
                    for k, v in values.items():
                        setattr(row, k, v)
                have = set(s.scalars(sa.select(ServiceArea.commune_code).where(ServiceArea.point_id == row.id)))
                want = set(p.communes)
                if have != want:
                    s.execute(sa.delete(ServiceArea).where(ServiceArea.point_id == row.id))
                    s.add_all(ServiceArea(point_id=row.id, commune_code=c) for c in sorted(want, key=str))
                    changed = True
                if changed and row.updated_at != now:
                    row.updated_at = now
                    updated += 1
            # points no longer listed stop receiving tickets (kept: tickets and staff refer to them)
            for row in existing.values():
                if row.active:
                    row.active = False
                    row.updated_at = now
                    deactivated += 1
        unchanged = len(points) - created - updated
        return ImportResult("points", rows, created, updated, unchanged, deactivated)

    # ------------------------------------------------------------------ export and listing

    def export_csv(self, kind: str = "points") -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        with self.db.session(readonly=True) as s:
            communes = {c.code: c for c in s.scalars(sa.select(Commune).order_by(Commune.code))}
            if kind == "communes":
                writer.writerow(COMMUNE_COLUMNS)
                for c in communes.values():
                    writer.writerow([c.code, c.name, c.province_code, c.province_name, c.aliases])
                return out.getvalue()
            provinces = {c.province_code: c.province_name for c in communes.values()}
            writer.writerow(POINT_COLUMNS)
            areas = s.execute(
                sa.select(ServicePoint, ServiceArea.commune_code)
                .join(ServiceArea, ServiceArea.point_id == ServicePoint.id)
                .where(ServicePoint.active.is_(True))
                .order_by(ServicePoint.key, ServiceArea.commune_code.nulls_first())
            )
            for p, code in areas:
                served = communes.get(code) if code else None
                writer.writerow([p.key, KIND_WORD.get(p.kind, p.kind), p.name, p.address, p.phone, p.hours,
                                 p.province_code, provinces.get(p.province_code, ""), code or "",
                                 served.name if served else ""])
        return out.getvalue()

    def points(self, *, include_inactive: bool = False) -> list[PointRow]:
        named = sa.func.count(ServiceArea.commune_code)
        whole = sa.func.sum(sa.case((ServiceArea.commune_code.is_(None), 1), else_=0))
        q = (
            sa.select(ServicePoint, named, whole)
            .outerjoin(ServiceArea, ServiceArea.point_id == ServicePoint.id)
            .group_by(ServicePoint.id)
            .order_by(ServicePoint.province_code, ServicePoint.kind, ServicePoint.name)
        )
        if not include_inactive:
            q = q.where(ServicePoint.active.is_(True))
        with self.db.session(readonly=True) as s:
            return [
                PointRow(p.id, p.key, p.kind, p.name, p.address, p.phone, p.hours, p.province_code, p.active,
                         int(n or 0), bool(w))
                for p, n, w in s.execute(q)
            ]

    def place_of(self, point_id: int | None, commune_code: str | None) -> tuple[str, str]:
        """(point name, "commune, province") of a ticket; "" where unknown."""
        with self.db.session(readonly=True) as s:
            point = s.get(ServicePoint, point_id) if point_id is not None else None
            commune = s.get(Commune, commune_code) if commune_code else None
            return (point.name if point else "",
                    f"{commune.name}, {commune.province_name}" if commune else (commune_code or ""))

    def commune_count(self) -> int:
        with self.db.session(readonly=True) as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(Commune)) or 0)

    # ------------------------------------------------------------------ staff

    def assign_staff(self, staff_id: int, point_id: int | None) -> None:
        with self.db.session() as s:
            if point_id is not None and s.get(ServicePoint, point_id) is None:
                raise LookupError(point_id)
            s.execute(sa.update(StaffUser).where(StaffUser.id == staff_id).values(service_point_id=point_id))

    def staff_points(self) -> dict[int, int | None]:
        with self.db.session(readonly=True) as s:
            return {i: p for i, p in s.execute(sa.select(StaffUser.id, StaffUser.service_point_id))}

    def point_of(self, staff_id: int) -> int | None:
        with self.db.session(readonly=True) as s:
            return s.scalar(sa.select(StaffUser.service_point_id).where(StaffUser.id == staff_id))


class SqlPlaceDirectory:
    """Implements bot.core.ports.PlaceDirectory over the register and the users table."""

    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: tuple[object, tuple[CommuneView, ...]] | None = None

    def communes(self) -> Sequence[CommuneView]:
        with self.db.session(readonly=True) as s:
            version = tuple(s.execute(sa.select(sa.func.count(), sa.func.max(Commune.updated_at))).one())
            with self._lock:
                if self._cache is not None and self._cache[0] == version:
                    return self._cache[1]
            rows = tuple(
                CommuneView(c.code, c.name, c.province_code, c.province_name,
                            tuple(a for a in (c.aliases or "").split(";") if a))
                for c in s.scalars(sa.select(Commune).order_by(Commune.code))
            )
        with self._lock:
            self._cache = (version, rows)
        return rows

    def points_for(self, commune_code: str) -> list[PointView]:
        with self.db.session(readonly=True) as s:
            province = s.scalar(sa.select(Commune.province_code).where(Commune.code == commune_code))
            if province is None:
                return []
            rows = s.execute(
                sa.select(ServicePoint, ServiceArea.commune_code)
                .join(ServiceArea, ServiceArea.point_id == ServicePoint.id)
                .where(
                    ServicePoint.active.is_(True),
                    sa.or_(
                        ServiceArea.commune_code == commune_code,
                        sa.and_(ServiceArea.commune_code.is_(None), ServicePoint.province_code == province),
                    ),
                )
                .order_by(ServicePoint.id)
            ).all()
        points = [PointView(p.id, p.kind, p.name, p.address, p.phone, p.hours, p.province_code,
                            whole_province=code is None) for p, code in rows]
        return sorted(points, key=lambda p: p.whole_province)

    def citizen_commune(self, channel: Channel, user_id: str) -> str | None:
        with self.db.session(readonly=True) as s:
            return s.scalar(sa.select(User.commune_code).where(User.channel == str(channel),
                                                               User.external_id == str(user_id)))

    def remember_commune(self, channel: Channel, user_id: str, commune_code: str | None) -> None:
        now = self.clock()
        with self.db.session() as s:
            uid = ensure_user(s, str(channel), str(user_id), now, touch=False)
            s.execute(sa.update(User).where(User.id == uid).values(
                commune_code=commune_code, commune_set_at=now if commune_code else None))

    def route_ticket(self, ticket_id: int, commune_code: str | None, point_id: int | None,
                     mediation_offered: bool = False) -> None:
        now = self.clock()
        with self.db.session() as s:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                return  # a terminal conversation's ticket, or deleted meanwhile
            if mediation_offered:
                ticket.mediation_offered = True
            if commune_code is None and point_id is None:
                return
            ticket.commune_code = commune_code
            ticket.province_code = s.scalar(sa.select(Commune.province_code).where(Commune.code == commune_code))
            moved = ticket.service_point_id != point_id
            ticket.service_point_id = point_id
            ticket.updated_at = now
            if moved:
                s.add(TicketEvent(ticket_id=ticket_id, actor="system", action="routed",
                                  detail={"point": point_id, "commune": commune_code}, created_at=now))


# ---------------------------------------------------------------- statistics by place


@dataclass(frozen=True)
class PlaceCount:
    province_code: str  # "" when unknown
    province: str
    commune_code: str  # "" for the province's tickets without a commune, or unknown
    commune: str
    questions: int  # citizens' messages from people living there (the commune they told us)
    tickets: int
    resolved: int
    mediation: int  # tickets with a mediation offer


def place_counts(db: Database, lo: dt.datetime, hi: dt.datetime) -> list[PlaceCount]:
    """Questions and tickets in [lo, hi) by province and commune, most active first; unknown place last."""
    with db.session(readonly=True) as s:
        communes = {c.code: c for c in s.scalars(sa.select(Commune))}
        questions = dict(
            s.execute(
                sa.select(User.commune_code, sa.func.count())
                .select_from(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(User, User.id == Conversation.user_id)
                .where(Message.role == "user", Message.created_at >= lo, Message.created_at < hi,
                       Conversation.channel != Channel.CLI.value)
                .group_by(User.commune_code)
            ).all()
        )
        tickets = s.execute(
            sa.select(
                Ticket.commune_code,
                sa.func.count(),
                sa.func.sum(sa.case((Ticket.status == TicketStatus.RESOLVED.value, 1), else_=0)),
                sa.func.sum(sa.case((Ticket.mediation_offered.is_(True), 1), else_=0)),
            )
            .where(Ticket.created_at >= lo, Ticket.created_at < hi)
            .group_by(Ticket.commune_code)
        ).all()
    by_code: dict[str | None, list[int]] = {code: [n, 0, 0, 0] for code, n in questions.items()}
    for code, n, resolved, mediation in tickets:
        counts = by_code.setdefault(code, [0, 0, 0, 0])
        counts[1:] = [int(n or 0), int(resolved or 0), int(mediation or 0)]
    out = []
    for code, (q, t, r, m) in by_code.items():
        known = communes.get(code) if code else None
        out.append(PlaceCount(known.province_code if known else "", known.province_name if known else "",
                              code or "", known.name if known else "", int(q or 0), t, r, m))
    return sorted(out, key=lambda p: (not p.commune_code, -(p.questions + p.tickets), p.province, p.commune))


def by_province(rows: Iterable[PlaceCount]) -> list[PlaceCount]:
    """The commune rows summed per province (unknown place last)."""
    sums: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for r in rows:
        names[r.province_code] = r.province
        acc = sums.setdefault(r.province_code, [0, 0, 0, 0])
        for i, v in enumerate((r.questions, r.tickets, r.resolved, r.mediation)):
            acc[i] += v
    out = [PlaceCount(code, names[code], "", "", *v) for code, v in sums.items()]
    return sorted(out, key=lambda p: (not p.province_code, -(p.questions + p.tickets), p.province))
