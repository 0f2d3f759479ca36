"""A real index (BM25, no embedder) over a handful of Bộ luật Lao động 2019 articles, built in seconds."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.build import build_index

DOC = {
    "doc_number": "45/2019/QH14",
    "doc_title": "Bộ luật Lao động",
    "doc_type": "Bộ luật",
    "issued_date": "2019-11-20",
    "effective_date": "2021-01-01",
}

ARTICLES = [
    (
        "25",
        "Thời gian thử việc",
        "Thời gian thử việc do hai bên thỏa thuận căn cứ vào tính chất và mức độ phức tạp của công việc "
        "nhưng chỉ được thử việc một lần đối với một công việc và bảo đảm điều kiện sau đây:\n"
        "1. Không quá 180 ngày đối với công việc của người quản lý doanh nghiệp theo quy định của Luật Doanh "
        "nghiệp, Luật Quản lý, sử dụng vốn nhà nước đầu tư vào sản xuất, kinh doanh tại doanh nghiệp;\n"
        "2. Không quá 60 ngày đối với công việc có chức danh nghề nghiệp cần trình độ chuyên môn, kỹ thuật "
        "từ cao đẳng trở lên;\n"
        "3. Không quá 30 ngày đối với công việc có chức danh nghề nghiệp cần trình độ chuyên môn, kỹ thuật "
        "trung cấp, công nhân kỹ thuật, nhân viên nghiệp vụ;\n"
        "4. Không quá 06 ngày làm việc đối với công việc khác.",
    ),
    (
        "35",
        "Quyền đơn phương chấm dứt hợp đồng lao động của người lao động",
        "1. Người lao động có quyền đơn phương chấm dứt hợp đồng lao động nhưng phải báo trước cho người sử "
        "dụng lao động như sau:\n"
        "a) Ít nhất 45 ngày nếu làm việc theo hợp đồng lao động không xác định thời hạn;\n"
        "b) Ít nhất 30 ngày nếu làm việc theo hợp đồng lao động xác định thời hạn có thời hạn từ 12 tháng "
        "đến 36 tháng;\n"
        "c) Ít nhất 03 ngày làm việc nếu làm việc theo hợp đồng lao động xác định thời hạn có thời hạn dưới "
        "12 tháng.",
    ),
    (
        "107",
        "Làm thêm giờ",
        "1. Thời gian làm thêm giờ là khoảng thời gian làm việc ngoài thời giờ làm việc bình thường theo quy "
        "định của pháp luật, thỏa ước lao động tập thể hoặc nội quy lao động.\n"
        "2. Người sử dụng lao động được sử dụng người lao động làm thêm giờ khi đáp ứng đầy đủ các yêu cầu "
        "sau đây:\na) Phải được sự đồng ý của người lao động;\n"
        "b) Bảo đảm số giờ làm thêm của người lao động không quá 50% số giờ làm việc bình thường trong 01 "
        "ngày; không quá 40 giờ trong 01 tháng;\n"
        "c) Bảo đảm số giờ làm thêm của người lao động không quá 200 giờ trong 01 năm.",
    ),
    (
        "113",
        "Nghỉ hằng năm",
        "1. Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động thì được nghỉ hằng năm, hưởng "
        "nguyên lương theo hợp đồng lao động như sau:\n"
        "a) 12 ngày làm việc đối với người làm công việc trong điều kiện bình thường;\n"
        "b) 14 ngày làm việc đối với người lao động chưa thành niên, lao động là người khuyết tật, người làm "
        "nghề, công việc nặng nhọc, độc hại, nguy hiểm;\n"
        "c) 16 ngày làm việc đối với người làm nghề, công việc đặc biệt nặng nhọc, độc hại, nguy hiểm.\n"
        "2. Người lao động làm việc chưa đủ 12 tháng cho một người sử dụng lao động thì số ngày nghỉ hằng "
        "năm theo tỷ lệ tương ứng với số tháng làm việc.",
    ),
    (
        "139",
        "Nghỉ thai sản",
        "1. Lao động nữ được nghỉ thai sản trước và sau khi sinh con là 06 tháng; thời gian nghỉ trước khi "
        "sinh tối đa không quá 02 tháng.\nTrường hợp lao động nữ sinh đôi trở lên thì tính từ con thứ 02 trở "
        "đi, cứ mỗi con, người mẹ được nghỉ thêm 01 tháng.\n"
        "2. Trong thời gian nghỉ thai sản, lao động nữ được hưởng chế độ thai sản theo quy định của pháp luật "
        "về bảo hiểm xã hội.",
    ),
]


def write_corpus(path: Path, articles: list[tuple[str, str, str]] | None = None) -> Path:
    """The articles as a laws_extra JSONL file (the format `lawbot index build` reads)."""
    with path.open("w", encoding="utf-8") as fh:
        for number, title, text in articles or ARTICLES:
            record = {**DOC, "article": number, "article_title": title, "text": text}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def build_mini_index(index_dir: Path, articles: list[tuple[str, str, str]] | None = None) -> str:
    """Build into `index_dir/builds/<id>` and point CURRENT at it; returns the build id."""
    index_dir.mkdir(parents=True, exist_ok=True)
    source = write_corpus(index_dir.parent / f"{index_dir.name}-corpus.jsonl", articles)
    build = build_index([source], index_dir, embedder=None, progress=False, echo=lambda _: None)
    return build.name
