"""Vietnamese texts of knowledge-base checks shown to staff (the desk shows them as they are)."""

# the topic of the FAQ file staff-approved answers are written to
FAQ_FILE_TOPIC = "Cán bộ trợ giúp pháp lý giải đáp"

FAQ_CHECK = {
    "personal": "Còn số điện thoại hoặc số CCCD của người dân: hãy xoá thông tin cá nhân trước khi duyệt.",
    "questions": "Cần từ 2 đến 5 cách hỏi (mỗi dòng một câu).",
    "answer": "Câu trả lời cần từ 20 đến 1.000 ký tự.",
    "citations": "Cần ít nhất một điều luật làm căn cứ.",
    "unknown_article": "Không tìm thấy điều luật: {ids}",
    "unknown_document": "Văn bản chưa có trong danh mục văn bản: {docs}",
    "numbers": "Các con số sau không có trong điều luật được trích dẫn: {numbers}",
}
