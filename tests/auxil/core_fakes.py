"""A small in-memory Retriever over a handful of real articles (the index is a port: fakes allowed)."""

from __future__ import annotations

from dataclasses import replace

from bot.core.clauses import terms
from bot.core.models import DocStatus, Passage

LABOUR = dict(
    doc_number="45/2019/QH14",
    doc_title="Bộ luật Lao động",
    doc_type="Bộ luật",
    status=DocStatus.IN_FORCE,
)
FAMILY = dict(
    doc_number="52/2014/QH13",
    doc_title="Hôn nhân và gia đình",
    doc_type="Luật",
    status=DocStatus.IN_FORCE,
)

ARTICLES = [
    Passage(
        article_id="20.2.LQ.139",
        article="139",
        title="Nghỉ thai sản",
        score=0.0,
        **LABOUR,
        text=(
            "1. Lao động nữ được nghỉ thai sản trước và sau khi sinh con là 06 tháng; thời gian nghỉ trước khi sinh "
            "không quá 02 tháng.\n\nTrường hợp lao động nữ sinh đôi trở lên thì tính từ con thứ 02 trở đi, cứ mỗi con, "
            "người mẹ được nghỉ thêm 01 tháng.\n\n2. Trong thời gian nghỉ thai sản, lao động nữ được hưởng chế độ thai "
            "sản theo quy định của pháp luật về bảo hiểm xã hội.\n\n3. Hết thời gian nghỉ thai sản theo quy định tại "
            "khoản 1 Điều này, nếu có nhu cầu, lao động nữ có thể nghỉ thêm một thời gian không hưởng lương sau khi "
            "thỏa thuận với người sử dụng lao động."
        ),
    ),
    Passage(
        article_id="20.2.LQ.113",
        article="113",
        title="Nghỉ hằng năm",
        score=0.0,
        **LABOUR,
        text=(
            "1. Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động thì được nghỉ hằng năm, hưởng "
            "nguyên lương theo hợp đồng lao động như sau:\n\na) 12 ngày làm việc đối với người làm công việc trong "
            "điều kiện bình thường;\n\nb) 14 ngày làm việc đối với người lao động chưa thành niên, lao động là người "
            "khuyết tật, người làm nghề, công việc nặng nhọc, độc hại, nguy hiểm;\n\nc) 16 ngày làm việc đối với người "
            "làm nghề, công việc đặc biệt nặng nhọc, độc hại, nguy hiểm.\n\n2. Người lao động làm việc chưa đủ 12 "
            "tháng cho một người sử dụng lao động thì số ngày nghỉ hằng năm theo tỷ lệ tương ứng với số tháng làm việc."
        ),
    ),
    Passage(
        article_id="20.2.LQ.25",
        article="25",
        title="Thời gian thử việc",
        score=0.0,
        **LABOUR,
        text=(
            "Thời gian thử việc do hai bên thỏa thuận căn cứ vào tính chất và mức độ phức tạp của công việc nhưng "
            "chỉ được thử việc một lần đối với một công việc và bảo đảm điều kiện sau đây:\n\n1. Không quá 180 ngày "
            "đối với công việc của người quản lý doanh nghiệp;\n\n2. Không quá 60 ngày đối với công việc có chức danh "
            "nghề nghiệp cần trình độ chuyên môn, kỹ thuật từ cao đẳng trở lên;\n\n3. Không quá 30 ngày đối với công "
            "việc có chức danh nghề nghiệp cần trình độ chuyên môn, kỹ thuật trung cấp;\n\n4. Không quá 06 ngày làm "
            "việc đối với công việc khác."
        ),
    ),
    Passage(
        article_id="8.4.LQ.5",
        article="5",
        title="Bảo vệ chế độ hôn nhân và gia đình",
        score=0.0,
        **FAMILY,
        text=(
            "1. Quan hệ hôn nhân và gia đình được xác lập, thực hiện theo quy định của Luật này được tôn trọng và "
            "được pháp luật bảo vệ.\n\n2. Cấm các hành vi sau đây:\n\na) Kết hôn giả tạo, ly hôn giả tạo;\n\nb) Tảo "
            "hôn, cưỡng ép kết hôn, lừa dối kết hôn, cản trở kết hôn;\n\nd) Kết hôn hoặc chung sống như vợ chồng "
            "giữa những người cùng dòng máu về trực hệ; giữa những người có họ trong phạm vi ba đời;"
        ),
    ),
    Passage(
        article_id="26/2023/QH15::38",
        article="38",
        title="Lệ phí cấp thẻ căn cước",
        score=0.0,
        doc_number="26/2023/QH15",
        doc_title="Luật Căn cước",
        doc_type="Luật",
        status=DocStatus.NOT_YET_IN_FORCE,
        effective_from="01/07/2024",
        text="1. Công dân không phải nộp lệ phí khi cấp thẻ căn cước lần đầu.\n\n2. Công dân phải nộp lệ phí khi cấp đổi, cấp lại thẻ căn cước.",
    ),
    Passage(
        article_id="1.1.LQ.9",
        article="9",
        title="Thời hạn hưởng trợ cấp cũ",
        score=0.0,
        doc_number="58/2014/QH13",
        doc_title="Bảo hiểm xã hội",
        doc_type="Luật",
        status=DocStatus.EXPIRED,
        replaced_by="41/2024/QH15",
        text="1. Người lao động nghỉ việc được hưởng trợ cấp một lần theo quy định của Luật này.",
    ),
]


class FakeRetriever:
    """Retriever port: ranks the articles above by shared folded words; scores like BM25 (unbounded)."""

    def __init__(
        self, articles: list[Passage] | None = None, built_at: str = "2025-11-20T08:00:00+00:00"
    ) -> None:
        self.articles = list(ARTICLES if articles is None else articles)
        self._built_at = built_at
        self.queries: list[str] = []

    def search(self, query: str, k: int = 10) -> list[Passage]:
        self.queries.append(query)
        q_uni, q_bi = terms(query)
        scored = []
        for p in self.articles:
            uni, bi = terms(p.title + " " + p.text)
            s = len(uni & q_uni) + 2 * len(bi & q_bi)
            if s > 0:
                scored.append(replace(p, score=float(s)))
        scored.sort(key=lambda p: p.score, reverse=True)
        return scored[:k]

    def get(self, article_id: str) -> Passage | None:
        return next((p for p in self.articles if p.article_id == article_id), None)

    def get_cited(self, article_id: str, doc_number: str, article: str) -> Passage | None:
        return self.get(article_id) or self.get(f"{doc_number}::{article}")

    @property
    def built_at(self) -> str:
        return self._built_at
