"""The official pháp điển zip (BoPhapDienDienTu.zip) -> article records, what was skipped and why, and
the folder of JSONL files (one per chủ đề) the loaders read."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from retrieval.normalize import nfc
from retrieval.phapdien_js import read_js_arrays
from retrieval.phapdien_page import page_articles

INFO_FILE = "index.json"  # edition metadata beside the JSONL files (the loaders ignore it)
_PAGE_RE = re.compile(r"(?:^|/)demuc/([^/]+)\.html?$", re.IGNORECASE)


class PhapdienFormatError(ValueError):
    """A zip that is not the pháp điển (no jsonData.js, no đề mục page) or cannot be read."""


@dataclass
class Edition:
    """What one zip gave: records in page order, and a report of everything left out."""

    records: list[dict[str, Any]] = field(default_factory=list)
    n_chu_de: int = 0
    n_de_muc: int = 0
    pages_read: int = 0
    missing_pages: list[str] = field(default_factory=list)  # "20.3 Title (N articles listed)"
    skipped: list[str] = field(default_factory=list)  # "<where>: <why>"
    repaired: list[str] = field(default_factory=list)
    edition_date: str | None = None  # newest file date inside the zip (ISO), the data's date
    sha256: str = ""

    def summary(self, limit: int = 30) -> str:
        lines = [
            f"Pháp điển: {len(self.records)} articles from {self.pages_read} đề mục pages "
            f"({self.n_chu_de} chủ đề, {self.n_de_muc} đề mục listed)"
            + (f"; files dated up to {self.edition_date}" if self.edition_date else "")
        ]
        if self.missing_pages:
            lines.append(f"Đề mục without a page in the zip: {len(self.missing_pages)}")
            lines += [f"  {m}" for m in self.missing_pages[:limit]]
        if self.repaired:
            lines.append(f"Read despite broken JSON in jsonData.js: {len(self.repaired)}")
            lines += [f"  {r}" for r in self.repaired[:limit]]
        if self.skipped:
            reasons = Counter(s.rsplit(": ", 1)[-1] if ": " in s else s for s in self.skipped)
            common = ", ".join(f"{n} {why}" for why, n in reasons.most_common(5) if len(why) < 60)
            lines.append(f"Skipped {len(self.skipped)}" + (f" ({common})" if common else "") + ":")
            lines += [f"  {s}" for s in self.skipped[:limit]]
            if len(self.skipped) > limit:
                lines.append(f"  ... and {len(self.skipped) - limit} more")
        else:
            lines.append("Skipped nothing")
        return "\n".join(lines)


def parse_zip(path: Path | str, *, progress: bool = False) -> Edition:
    """Read the pháp điển zip in place (no extraction): jsonData.js for chủ đề / đề mục names and the
    article list, each demuc/<uuid>.html for the articles. Raises PhapdienFormatError when it is not one."""
    from tqdm import tqdm

    path = Path(path)
    edition = Edition(sha256=_sha256(path))
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PhapdienFormatError(f"{path} is not a readable zip ({exc})") from exc
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        # The top folder (BoPhapDienDienTu/ in known copies) is not relied on: members are found by name.
        js = [i for i in infos if PurePosixPath(i.filename).name.lower() == "jsondata.js"]
        pages = {m.group(1).lower(): i for i in infos if (m := _PAGE_RE.search(i.filename))}
        if not js:
            raise PhapdienFormatError(f"{path} holds no jsonData.js: not the pháp điển zip")
        if not pages:
            raise PhapdienFormatError(
                f"{path} holds no demuc/<id>.html page: not the pháp điển zip"
            )
        dates = [dt.datetime(*i.date_time) for i in infos if i.date_time[0] > 1980]
        edition.edition_date = max(dates).date().isoformat() if dates else None

        arrays = read_js_arrays(_decode(_read(zf, js[0].filename), js[0].filename))
        edition.repaired += [
            f"jsonData.js {name} node {n}: {why}" for name, n, why in arrays.repaired
        ]
        edition.skipped += [
            f"jsonData.js {name} node {n}: {why}" for name, n, why in arrays.skipped
        ]
        chu_de = {
            str(c.get("Value", "")).lower(): nfc(str(c.get("Text", "")))
            for c in arrays.arrays.get("jdChuDe", [])
        }
        de_muc = arrays.arrays.get("jdDeMuc", [])
        edition.n_chu_de, edition.n_de_muc = len(chu_de), len(de_muc)
        listed = _listed_articles(arrays.arrays.get("jdAllTree", []))

        order = [str(d.get("Value", "")).lower() for d in de_muc]
        order += sorted(set(pages) - set(order))  # pages jsonData.js does not list: read them too
        titles = {str(d.get("Value", "")).lower(): d for d in de_muc}
        best: dict[str, int] = {}  # id -> row in records (duplicates keep the longest text)
        for uuid in tqdm(order, desc="parse đề mục pages", unit="page", disable=not progress):
            info = titles.get(uuid, {})
            name = nfc(str(info.get("Text", "")))
            if uuid not in pages:
                n = len(listed.get(uuid, ()))
                edition.missing_pages.append(
                    f"{name or uuid} ({n} articles listed in jsonData.js; page demuc/{uuid}.html absent)"
                )
                continue
            member = pages[uuid].filename
            try:
                html = _decode(_read(zf, member), member)
            except PhapdienFormatError as exc:
                edition.skipped.append(f"{member}: {exc}")
                continue
            edition.pages_read += 1
            if uuid not in titles:
                edition.skipped.append(
                    f"{member}: not listed in jsonData.js (đề mục title unknown; articles kept)"
                )
            result = page_articles(
                html,
                chu_de_title=chu_de.get(str(info.get("ChuDe", "")).lower(), ""),
                de_muc_title=name,
            )
            edition.skipped += [f"{member} {where}: {why}" for where, why in result.skipped]
            absent = [t for mapc, t in listed.get(uuid, {}).items() if mapc not in result.anchors]
            edition.skipped += [
                f"{member} {t}: listed in jsonData.js, absent from its page" for t in absent
            ]
            for rec in result.records:
                row = best.get(rec["id"])
                if row is None:
                    best[rec["id"]] = len(edition.records)
                    edition.records.append(rec)
                    continue
                kept = edition.records[row]
                longer = rec if len(rec["text"]) > len(kept["text"]) else kept
                edition.records[row] = longer
                edition.skipped.append(f"{member} {rec['id']}: appears twice; kept the longer text")
    return edition


def _listed_articles(tree: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """đề mục uuid -> {MAPC: heading} of the article nodes (TEN "Điều ...") of jdAllTree."""
    out: dict[str, dict[str, str]] = {}
    for node in tree:
        title = str(node.get("TEN", ""))
        if title.startswith("Điều") and node.get("MAPC"):
            out.setdefault(str(node.get("DeMucID", "")).lower(), {})[str(node["MAPC"])] = title[:80]
    return out


def _read(zf: zipfile.ZipFile, member: str) -> bytes:
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a CRC error means a damaged download
        raise PhapdienFormatError(f"damaged in the zip ({exc}); download it again") from exc


def _decode(raw: bytes, member: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PhapdienFormatError(f"not UTF-8 text (line {line}, byte {exc.start})") from exc


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise PhapdienFormatError(f"{path} cannot be read ({exc})") from exc
    return h.hexdigest()


# ---- the folder the loaders read ----------------------------------------------------------------


def count_records(folder: Path) -> int:
    """Articles (non-blank lines) in the JSONL files of a pháp điển folder; 0 when there is none."""
    if not folder.is_dir():
        return 0
    n = 0
    for f in folder.glob("*.jsonl"):
        with f.open("rb") as fh:
            n += sum(1 for line in fh if line.strip())
    return n


def write_edition(
    edition: Edition, folder: Path, source: str, echo: Callable[[str], None] = print
) -> None:
    """Replace `folder` by the edition: articles_chude_XX.jsonl (one per chủ đề) and index.json.

    Written beside it first and swapped in with two renames, so a reader (or a crash) sees the old
    edition or the new one, never half of each.
    """
    folder = Path(folder)
    stage = folder.with_name(f".{folder.name}.new-{os.getpid()}")
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        by_chu_de: dict[int, list[dict[str, Any]]] = {}
        for rec in edition.records:
            by_chu_de.setdefault(rec["chu_de"], []).append(rec)
        files = []
        for number, recs in sorted(by_chu_de.items()):
            name = f"articles_chude_{number:02d}.jsonl"
            with (stage / name).open("w", encoding="utf-8") as fh:
                for rec in recs:
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            de_muc = sorted({(r["de_muc"], r["de_muc_title"]) for r in recs}, key=_code_key)
            files.append(
                {
                    "file": name,
                    "chu_de": number,
                    "chu_de_title": recs[0]["chu_de_title"],
                    "n_articles": len(recs),
                    "de_muc": [list(d) for d in de_muc],
                }
            )
        info = {
            "source": source,
            "sha256": edition.sha256,
            "edition_date": edition.edition_date,
            "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "n_articles": len(edition.records),
            "n_chu_de": len(files),
            "n_de_muc": sum(len(f["de_muc"]) for f in files),
            "missing_pages": len(edition.missing_pages),
            "skipped": len(edition.skipped),
            "files": files,
        }
        (stage / INFO_FILE).write_text(
            json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        if folder.exists():
            os.rename(folder, old)
        os.rename(stage, folder)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if old.exists() and not folder.exists():
            os.rename(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)
    echo(f"Wrote {len(edition.records)} articles to {folder} ({len(files)} files)")


def _code_key(item: tuple[str, str]) -> tuple[int, ...]:
    return tuple(int(p) for p in item[0].split(".") if p.isdigit())
