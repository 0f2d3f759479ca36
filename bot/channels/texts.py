"""Vietnamese texts only the channel layer sends (the assistant's own texts live in bot/core/texts.py)."""

from __future__ import annotations

# Image, sticker, voice ...: the bot reads text only.
NOT_TEXT = "Mình chỉ đọc được tin nhắn chữ. Bạn vui lòng gõ câu hỏi pháp luật của mình nhé."

# Zalo has no inline buttons: the reply says what to type instead.
ZALO_HINTS = {
    "feedback": "Câu trả lời có hữu ích không? Gõ 👍 hoặc 👎 để góp ý.",
    "human": "Gõ /canbo để gặp cán bộ trợ giúp pháp lý.",
    "consent": "Gõ /dongy để đồng ý, hoặc /khong để từ chối.",
    "faq": "Gửi số của câu hỏi (1, 2 hoặc 3) để xem câu trả lời.",
    "choice": "Gõ chữ cái của đáp án bạn chọn (A, B, C hoặc D).",
}

# To the staff Telegram group (LAWBOT_STAFF_TELEGRAM_CHAT_ID) when an urgent ticket opens; no citizen data.
STAFF_URGENT = "🚨 Yêu cầu khẩn #{ticket_id} mới từ {channel}. Mở bàn làm việc để xử lý: {desk_url}"

# Telegram's command menu (the "/" button); the commands themselves are the core's.
TELEGRAM_COMMANDS = [
    ("start", "Giới thiệu và chính sách dữ liệu"),
    ("help", "Hướng dẫn sử dụng"),
    ("chude", "Các chủ đề có thể tra cứu"),
    ("canbo", "Gặp cán bộ trợ giúp pháp lý"),
    ("moi", "Bắt đầu câu hỏi mới"),
    ("noio", "Cho biết hoặc đổi xã, phường nơi ở"),
    ("dangky", "Đăng ký nhận bản tin pháp luật"),
    ("huydangky", "Ngừng nhận bản tin"),
    ("xoadulieu", "Xóa dữ liệu của tôi"),
]

# `lawbot chat` in a terminal (admins trying the bot).
CLI_INTRO = (
    "lawbot: gõ câu hỏi (/start, /help, /chude, /canbo, /moi, /noio, /dangky, /huydangky, /thi, /xoadulieu); "
    "/thoat hoặc Ctrl-D để thoát."
)
CLI_QUIT = ("/thoat", "/quit", "/exit")
