"""Download one large file to disk: streamed, resumable (HTTP Range on a .part file), retried with backoff."""

from __future__ import annotations

import json
import os
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# Statuses worth another try: the server is busy or timed out, not "this file does not exist".
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class DownloadError(RuntimeError):
    """A download that failed for good (after its retries) or gave a file that is not a zip."""


@dataclass
class Downloaded:
    path: Path
    size: int
    resumed_from: int  # bytes already on disk when this run started (0: a fresh download)
    attempts: int  # requests made (1 when nothing went wrong)
    unchanged: bool = False  # the server said the copy we have is current (304)


def download(
    url: str,
    dest: Path,
    *,
    retries: int = 6,
    backoff: float = 2.0,
    max_backoff: float = 60.0,
    timeout: float = 60.0,
    progress: bool = True,
    echo: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> Downloaded:
    """Fetch `url` into `dest`, writing `dest`.part first and renaming it once complete and verified.

    A `.part` left by an interrupted run is resumed with a Range request (If-Range guards against a
    file that changed on the server meanwhile: the server then sends it whole and we start over).
    Connection drops, timeouts and 5xx/429 answers are retried up to `retries` times in a row
    (a retry that brought new bytes resets the count), waiting backoff, 2*backoff, ... seconds.
    When `dest` exists from an earlier run, a conditional request lets the server answer 304.
    The result must open as a zip (the pháp điển is one); otherwise DownloadError and no `dest`.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    meta_path = dest.with_name(dest.name + ".json")
    part_meta = dest.with_name(dest.name + ".part.json")
    previous = _read_json(meta_path) if dest.is_file() else {}
    if not part_meta.is_file():
        part.unlink(
            missing_ok=True
        )  # a .part without its response headers cannot be resumed safely
    resumed_from = part.stat().st_size if part.is_file() else 0
    failures = 0
    attempts = 0
    with httpx.Client(
        follow_redirects=True, timeout=httpx.Timeout(timeout, connect=30.0)
    ) as client:
        while True:
            attempts += 1
            have = part.stat().st_size if part.is_file() else 0
            validators = _read_json(part_meta)
            headers = {"Accept-Encoding": "identity"}  # byte offsets must be file offsets
            if have:
                headers["Range"] = f"bytes={have}-"
                if validators.get("validator"):
                    headers["If-Range"] = validators["validator"]
            elif not have and previous.get("url") == url:
                if previous.get("etag"):
                    headers["If-None-Match"] = previous["etag"]
                elif previous.get("last_modified"):
                    headers["If-Modified-Since"] = previous["last_modified"]
            try:
                outcome = _fetch_once(client, url, part, part_meta, have, headers, progress)
            except _Retryable as exc:
                grew = (part.stat().st_size if part.is_file() else 0) > have
                failures = 0 if grew else failures + 1
                if failures > retries:
                    raise DownloadError(
                        f"download of {url} failed {failures} times in a row ({exc}); run the same "
                        f"command again to resume from {part} ({_size(part)} kept)"
                    ) from None
                wait = min(max_backoff, backoff * 2 ** max(0, failures - 1))
                echo(
                    f"Download interrupted ({exc}); retrying in {wait:.0f} s from byte {_size(part)}"
                )
                sleep(wait)
                continue
            if outcome == "unchanged":
                echo(f"{url} has not changed since the last download: using {dest}")
                return Downloaded(dest, dest.stat().st_size, 0, attempts, unchanged=True)
            break
    try:
        verify_zip(part)
    except DownloadError as exc:
        # Resuming a file that is complete but wrong would only give it back: start afresh next time.
        part.unlink(missing_ok=True)
        part_meta.unlink(missing_ok=True)
        raise DownloadError(
            f"{exc}; deleted it: check the address (--from) and run again"
        ) from None
    meta = _read_json(part_meta)
    os.replace(part, dest)
    meta_path.write_text(json.dumps({**meta, "url": url}, ensure_ascii=False), encoding="utf-8")
    part_meta.unlink(missing_ok=True)
    return Downloaded(dest, dest.stat().st_size, resumed_from, attempts)


class _Retryable(Exception):
    """A failure another request may get past (dropped connection, timeout, 5xx)."""


def _fetch_once(
    client: httpx.Client,
    url: str,
    part: Path,
    part_meta: Path,
    have: int,
    headers: dict[str, str],
    progress: bool,
) -> str:
    """One request; appends to `part`. Returns 'complete' or 'unchanged'; raises _Retryable."""
    from tqdm import tqdm

    try:
        with client.stream("GET", url, headers=headers) as resp:
            if resp.status_code == 304:
                return "unchanged"
            if resp.status_code == 416 and have:
                # Range past the end: the .part already holds the whole file (or a longer, stale one).
                total = _total_from_content_range(resp.headers.get("Content-Range", ""))
                if total == have:
                    return "complete"
                part.unlink(missing_ok=True)
                raise _Retryable("the partial file does not match the server's; starting over")
            if resp.status_code in RETRY_STATUSES:
                raise _Retryable(f"server answered {resp.status_code}")
            if resp.status_code not in (200, 206):
                raise DownloadError(
                    f"{url}: server answered {resp.status_code} {resp.reason_phrase}"
                )
            if resp.status_code == 200 or not have:
                # A whole file (the server ignores Range, or the file changed): start from zero.
                have = 0
                _write_json(part_meta, _validators(resp))
                mode = "wb"
            else:
                mode = "ab"
            length = resp.headers.get("Content-Length")
            total = have + int(length) if length and length.isdigit() else None
            with (
                part.open(mode) as fh,
                tqdm(
                    total=total,
                    initial=have,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=part.name.removesuffix(".part"),
                    disable=not progress,
                ) as bar,
            ):
                for chunk in resp.iter_bytes():  # as received: a drop keeps every byte that came
                    fh.write(chunk)
                    bar.update(len(chunk))
            size = part.stat().st_size
            if total is not None and size != total:
                raise _Retryable(f"connection closed at {size} of {total} bytes")
            return "complete"
    except httpx.TransportError as exc:  # connect/read errors, timeouts, a peer closing mid-body
        raise _Retryable(
            f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        ) from exc


def verify_zip(path: Path) -> None:
    """Raise DownloadError unless `path` opens as a zip (its central directory is at the end, so a
    cut-short or HTML error page fails here); the members' CRCs are checked as they are read."""
    try:
        with zipfile.ZipFile(path) as zf:
            if not zf.namelist():
                raise DownloadError(f"{path} is an empty zip")
    except (zipfile.BadZipFile, OSError) as exc:
        raise DownloadError(f"{path} is not a readable zip ({exc})") from exc


def _validators(resp: httpx.Response) -> dict[str, Any]:
    etag = resp.headers.get("ETag")
    modified = resp.headers.get("Last-Modified")
    # A weak ETag cannot be used in If-Range; Last-Modified can.
    validator = etag if etag and not etag.startswith("W/") else modified
    return {"etag": etag, "last_modified": modified, "validator": validator}


def _total_from_content_range(value: str) -> int | None:
    m = re.search(r"/(\d+)\s*$", value)
    return int(m.group(1)) if m else None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _size(path: Path) -> str:
    n = float(path.stat().st_size) if path.is_file() else 0.0
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
