"""A small pháp điển zip in the official shape (with its known quirks) and a real HTTP server serving it
with Range/If-Range, ETag and an optional connection dropped mid-body."""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.auxil.mini_index import ARTICLES

LAO_DONG = "0c3b1f6e-1111-4a2b-9c3d-000000000020"
AN_NINH = "0c3b1f6e-1111-4a2b-9c3d-000000000001"
DM_LAO_DONG = "5f0e2d1c-2222-4b3c-8d4e-000000020002"  # page present
DM_VIEC_LAM = "5f0e2d1c-2222-4b3c-8d4e-000000020003"  # listed, page absent (a known quirk)
DM_BIEN = "5f0e2d1c-2222-4b3c-8d4e-000000001005"  # page present, its tree node has the broken quote


def mapc(n: int) -> str:
    return f"20002000000000010{n:020d}"


# Bộ luật Lao động articles of mini_index, as the pháp điển codifies them in đề mục 20.2.
LABOUR = [(f"20.2.LQ.{number}", number, title, text) for number, title, text in ARTICLES]
NEW_ARTICLE = (
    "20.2.LQ.114",
    "114",
    "Ngày nghỉ hằng năm tăng theo thâm niên làm việc",
    "Cứ đủ 05 năm làm việc cho một người sử dụng lao động thì số ngày nghỉ hằng năm của người lao động "
    "theo quy định tại khoản 1 Điều 113 của Bộ luật này được tăng thêm tương ứng 01 ngày.",
)


def _article_html(code: str, number: str, title: str, text: str, n: int) -> str:
    lines = "".join(f"<p>{line}</p>\n" for line in text.split("\n"))
    return (
        f'<p class="pDieu"><a name="{mapc(n)}"></a>Điều {code}. {title}</p>\n'
        f'<p class="pGhiChu">(<a href="/vbpq/45-2019-QH14" target="_blank">Điều {number} Bộ luật số '
        "45/2019/QH14, có hiệu lực thi hành kể từ ngày 01/01/2021</a>)</p>\n"
        '<p class="pNoiDung"></p>\n'
        f"{lines}"
    )


def labour_page(articles: list[tuple[str, str, str, str]]) -> str:
    parts = [
        "<html><head><meta charset='utf-8'><title>Lao động</title></head><body>",
        '<p class="pChuong">Chương I</p>\n<p class="pChuong">NHỮNG QUY ĐỊNH CHUNG</p>\n',
    ]
    for n, art in enumerate(articles, start=1):
        parts.append(_article_html(*art, n))
        if art[1] == "113":
            parts.append(
                '<p class="pChiDan">Điều này có nội dung liên quan đến '
                '<a href="#" onclick="ViewNoiDungPhapDien(\'2000\')">Điều 2.2.LQ.41. '
                "Phạm vi được hưởng của người tham gia bảo hiểm y tế</a></p>\n"
            )
    # A table (fines by level), and a heading with no text (a table-of-contents stub): skipped.
    parts.append(
        f'<p class="pDieu"><a name="{mapc(90)}"></a>Điều 20.2.NĐ.1.3. Mức phạt tiền</p>\n'
        '<p class="pGhiChu">(Điều 3 Nghị định số 12/2022/NĐ-CP, có hiệu lực thi hành kể từ ngày '
        '17/01/2022)</p>\n<p class="pNoiDung"></p>\n<p>Mức phạt tiền đối với cá nhân như sau:</p>\n'
        "<table border='1'><tr><td>Số người lao động</td><td>Mức phạt</td></tr>"
        "<tr><td>Từ 01 đến 10</td><td>từ 2.000.000 đồng đến 5.000.000 đồng</td></tr></table>\n"
        '<p class="pChuong">Chương II</p>\n<p class="pChuong">ĐIỀU KHOẢN THI HÀNH</p>\n'
        f'<p class="pDieu"><a name="{mapc(91)}"></a>Điều 20.2.NĐ.1.40. Hiệu lực thi hành</p>\n'
        "</body></html>"
    )
    return "".join(parts)


SEA_PAGE = (
    '<p class="pDieu"><a name="14004000000000030000000000000000000010"></a>Điều 1.5.NĐ.3.10. Điều kiện '
    "đối với doanh nghiệp cung cấp dịch vụ thông báo hàng hải[6]</p>\n"
    '<p class="pGhiChu">(Điều 10 Nghị định số 58/2017/NĐ-CP, có hiệu lực thi hành kể từ ngày '
    '01/07/2017)</p>\n<p class="pNoiDung"></p>\n'
    "<p>Doanh nghiệp cung cấp dịch vụ thông báo hàng hải phải có đủ nhân lực và phương tiện bảo đảm "
    "cung cấp thông tin an toàn hàng hải kịp thời.</p>\n"
)


def json_data_js(articles: list[tuple[str, str, str, str]]) -> bytes:
    chu_de = [
        {"Value": AN_NINH, "Text": "An ninh quốc gia", "STT": "1"},
        {"Value": LAO_DONG, "Text": "Lao động", "STT": "20"},
    ]
    de_muc = [
        {"Value": DM_BIEN, "Text": "Biển Việt Nam", "ChuDe": AN_NINH, "STT": "5"},
        {"Value": DM_LAO_DONG, "Text": "Lao động", "ChuDe": LAO_DONG, "STT": "2"},
        {"Value": DM_VIEC_LAM, "Text": "Việc làm", "ChuDe": LAO_DONG, "STT": "3"},
    ]
    tree = [
        {
            "TEN": "Chương I NHỮNG QUY ĐỊNH CHUNG",
            "MAPC": "2000200000000001",
            "ChiMuc": "I",
            "ChuDeID": LAO_DONG,
            "DeMucID": DM_LAO_DONG,
        }
    ]
    tree += [
        {
            "TEN": f"Điều {code}. {title}",
            "MAPC": mapc(n),
            "ChiMuc": number,
            "ChuDeID": LAO_DONG,
            "DeMucID": DM_LAO_DONG,
        }
        for n, (code, number, title, _) in enumerate(articles, start=1)
    ]
    tree.append(
        {
            "TEN": "Điều 20.2.LQ.200. Điều có trong cây nhưng không có trên trang",
            "MAPC": mapc(99),
            "ChiMuc": "200",
            "ChuDeID": LAO_DONG,
            "DeMucID": DM_LAO_DONG,
        }
    )
    tree += [
        {
            "TEN": f"Điều 20.3.LQ.{i}. Việc làm {i}",
            "MAPC": f"2000300{i}",
            "ChiMuc": str(i),
            "ChuDeID": LAO_DONG,
            "DeMucID": DM_VIEC_LAM,
        }
        for i in (1, 2)
    ]
    body = ",".join(json.dumps(node, ensure_ascii=False) for node in tree)
    # The known quirk: a TEN ending in a footnote mark lacks its closing quote (not valid JSON).
    broken = (
        '{"TEN":"Điều 1.5.NĐ.3.10. Điều kiện đối với doanh nghiệp cung cấp dịch vụ thông báo '
        'hàng hải[6],"MAPC":"14004000000000030000000000000000000010","ChiMuc":"10",'
        f'"ChuDeID":"{AN_NINH}","DeMucID":"{DM_BIEN}"}}'
    )
    text = (
        f"var jdChuDe = {json.dumps(chu_de, ensure_ascii=False)};\n"
        f"var jdDeMuc = {json.dumps(de_muc, ensure_ascii=False)};\n"
        f"var jdAllTree = [{body},{broken}];\n"
    )
    return b"\xef\xbb\xbf" + text.encode("utf-8")  # UTF-8 with BOM, as published


def make_zip(path: Path, *, edition: int = 1, top: str = "BoPhapDienDienTu/") -> Path:
    """Edition 1: the labour articles; edition 2 amends Điều 113 and adds Điều 114 (a newer pháp điển)."""
    articles = list(LABOUR)
    if edition >= 2:
        code, number, title, text = articles[3]
        articles[3] = (
            code,
            number,
            title,
            text.replace("12 ngày làm việc", "12 ngày làm việc (sửa đổi)"),
        )
        articles.insert(4, NEW_ARTICLE)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}jsonData.js", json_data_js(articles))
        zf.writestr(f"{top}demuc/{DM_LAO_DONG}.html", labour_page(articles))
        zf.writestr(f"{top}demuc/{DM_BIEN}.html", f"<html><body>{SEA_PAGE}</body></html>")
        zf.writestr(f"{top}BoPhapDien.html", "<html><body>Bộ pháp điển</body></html>")
    return path


@dataclass
class ZipServer:
    """Serves files by path. `drop_first_at`: the first full GET sends that many bytes, then hangs up;
    `busy`: how many requests after it are answered 503 (the site is overloaded)."""

    files: dict[str, bytes] = field(default_factory=dict)
    drop_first_at: int | None = None
    busy: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def etag(self, name: str) -> str:
        return '"' + hashlib.sha256(self.files[name]).hexdigest()[:16] + '"'


def _handler(state: ZipServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append({"path": self.path, **{k: v for k, v in self.headers.items()}})
            body = state.files.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = state.etag(self.path)
            if state.busy and state.drop_first_at is None:
                state.busy -= 1
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            rng = self.headers.get("Range", "")
            start = 0
            if rng.startswith("bytes=") and self.headers.get("If-Range", etag) == etag:
                start = int(rng[6:].split("-")[0])
            if start:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            if state.drop_first_at is not None and not start:
                cut, state.drop_first_at = state.drop_first_at, None
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True  # the site "drops connections": hang up mid-body
                return
            self.wfile.write(body[start:])

    return Handler


@contextmanager
def zip_server(
    files: dict[str, bytes], drop_first_at: int | None = None, busy: int = 0
) -> Iterator[ZipServer]:
    """A real socket server on 127.0.0.1 in a thread; yields its state (url, requests seen)."""
    state = ZipServer(dict(files), drop_first_at, busy)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
