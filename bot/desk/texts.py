"""Vietnamese texts of the staff desk that are built in Python (labels, notices, errors, alerts).

Page layout and most wording live in bot/desk/templates/; what Python code must choose between lives here.
"""

from __future__ import annotations

from bot.core.models import Category

STATUS = {"open": "Chờ nhận", "claimed": "Đang xử lý", "resolved": "Đã xong"}
URGENCY = {"urgent": "Khẩn cấp", "high": "Ưu tiên", "normal": "Thường"}
CHANNEL = {"telegram": "Telegram", "zalo": "Zalo", "cli": "Thử nghiệm"}
ROLE = {"staff": "Cán bộ", "admin": "Quản trị"}
REPLY_KIND = {
    "answer": "Trả lời",
    "clarify": "Hỏi lại",
    "escalated": "Chuyển cán bộ",
    "refused": "Từ chối",
    "info": "Thông tin",
    "staff": "Cán bộ trả lời",
}
DELIVERY = {
    "pending": "Đang chờ gửi",
    "sending": "Đang gửi",
    "sent": "Đã gửi",
    "failed": "Gửi thất bại",
}
# Ticket categories (bot.core.models.Category); a label the triage model gave otherwise is shown as it is.
CATEGORY: dict[str, str] = {
    Category.CRISIS: "Khủng hoảng tâm lý",
    Category.INJURY: "Có người bị thương",
    Category.VIOLENCE: "Bạo lực",
    Category.CHILD_ABDUCTION: "Tranh chấp, bắt giữ con",
    Category.ELDER_ABUSE: "Ngược đãi người cao tuổi",
    Category.ARREST: "Bị bắt, tạm giữ",
    Category.COURT: "Việc ở tòa án",
    Category.WORKPLACE_ACCIDENT: "Tai nạn lao động",
    Category.LABOUR_EXPLOITATION: "Bóc lột lao động",
    Category.FRAUD: "Lừa đảo",
    Category.DENUNCIATION: "Tố cáo",
    Category.COMPLAINT: "Khiếu nại",
    Category.DRAFTING: "Soạn thảo giấy tờ",
    Category.DISPUTE: "Tranh chấp",
    Category.HUMAN_REQUEST: "Muốn gặp cán bộ",
    Category.NEGATIVE_FEEDBACK: "Trả lời chưa hữu ích",
    Category.LOW_CONFIDENCE: "Trợ lý chưa chắc chắn",
}
ROLE_IN_CHAT = {"user": "Người dân", "bot": "Trợ lý", "staff": "Cán bộ"}
CONSENT = {True: "Đồng ý được liên hệ", False: "Không đồng ý liên hệ", None: "Chưa trả lời về liên hệ"}
QUIZ_STATUS = {"draft": "Bản nháp", "published": "Đang mở", "closed": "Đã kết thúc"}
FAQ_STATUS = {"pending": "Chờ duyệt", "approved": "Đã duyệt", "rejected": "Không duyệt"}
FAQ_REVIEW_STATE = {"unreviewed": "Chưa rà soát", "approved": "Đã duyệt", "retired": "Ngừng dùng"}

TICKET_EVENT = {
    "opened": "Mở yêu cầu",
    "routed": "Chuyển tới điểm phục vụ theo địa bàn",
    "consent": "Người dân trả lời về liên hệ",
    "claimed": "Nhận xử lý",
    "assigned": "Giao việc",
    "note": "Ghi chú nội bộ",
    "replied": "Trả lời người dân",
    "resolved": "Đánh dấu đã xong",
    "reopened": "Mở lại",
    "urgency": "Đổi mức khẩn",
    "faq_proposed": "Đề xuất thành FAQ",
    "anonymised": "Xoá dữ liệu theo yêu cầu",
}

AUDIT_ACTION = {
    "places_import": "Nhập danh sách địa bàn, điểm phục vụ",
    "staff_point": "Đổi điểm phục vụ của tài khoản",
    "login": "Đăng nhập",
    "logout": "Đăng xuất",
    "login_failed": "Đăng nhập sai",
    "login_refused_locked": "Đăng nhập khi đang bị khoá",
    "account_locked": "Tài khoản bị khoá tạm thời",
    "ticket_claim": "Nhận yêu cầu",
    "ticket_assign": "Giao yêu cầu",
    "ticket_reply": "Trả lời người dân",
    "ticket_note": "Ghi chú",
    "ticket_resolve": "Đóng yêu cầu",
    "ticket_reopen": "Mở lại yêu cầu",
    "ticket_urgency": "Đổi mức khẩn",
    "faq_propose": "Đề xuất FAQ",
    "faq_approve": "Duyệt FAQ",
    "faq_reject": "Không duyệt FAQ",
    "faq_review_approve": "Duyệt câu hỏi FAQ",
    "faq_review_edit": "Sửa và duyệt câu trả lời FAQ",
    "faq_review_retire": "Ngừng dùng câu hỏi FAQ",
    "faq_review_reopen": "Đưa câu hỏi FAQ về chưa rà soát",
    "staff_add": "Thêm tài khoản",
    "staff_update": "Sửa tài khoản",
    "staff_deactivate": "Khoá tài khoản",
    "staff_activate": "Mở lại tài khoản",
    "staff_password": "Đổi mật khẩu",
    "stats_export": "Xuất CSV thống kê",
    "quiz_create": "Tạo cuộc thi",
    "report_export": "Xuất báo cáo định kỳ",
    "quiz_published": "Mở cuộc thi",
    "quiz_closed": "Kết thúc cuộc thi",
    "bulletin_create": "Soạn bản tin",
    "bulletin_edit": "Sửa bản tin",
    "bulletin_send": "Gửi bản tin",
}

# Short notices after an action (the query string carries only the key, never free text).
NOTICE = {
    "claimed": "Bạn đã nhận xử lý yêu cầu này.",
    "claim_taken": "Yêu cầu này đã có cán bộ khác nhận.",
    "assigned": "Đã giao yêu cầu.",
    "replied": "Đã xếp câu trả lời vào hàng gửi; trạng thái gửi hiện trong hội thoại.",
    "noted": "Đã lưu ghi chú nội bộ.",
    "resolved": "Đã đánh dấu yêu cầu là xong.",
    "reopened": "Đã mở lại yêu cầu.",
    "urgency": "Đã đổi mức khẩn.",
    "faq_proposed": "Đã gửi đề xuất FAQ; quản trị viên sẽ duyệt.",
    "faq_approved": "Đã duyệt: câu hỏi đã được thêm vào FAQ và đang hoạt động.",
    "faq_approved_no_reload": "Đã duyệt và ghi vào tệp FAQ, nhưng chưa nạp lại được chỉ mục FAQ; hãy kiểm tra nhật ký.",
    "faq_rejected": "Đã từ chối đề xuất.",
    "faq_decided": "Đề xuất này đã được quản trị viên khác xử lý.",
    "faq_review_approve": "Đã duyệt câu hỏi; trợ lý dùng câu trả lời này trong vài giây tới.",
    "faq_review_edit": "Đã lưu câu trả lời đã sửa và duyệt; trợ lý dùng bản sửa trong vài giây tới.",
    "faq_review_retire": "Đã ngừng dùng câu hỏi này: trợ lý không trả lời bằng nó nữa.",
    "faq_review_reopen": "Đã đưa câu hỏi về danh sách chưa rà soát.",
    "staff_added": "Đã thêm tài khoản.",
    "staff_updated": "Đã cập nhật tài khoản.",
    "staff_point": "Đã đổi điểm phục vụ của tài khoản.",
    "logged_out": "Bạn đã đăng xuất.",
    "quiz_created": "Đã tạo cuộc thi (bản nháp). Thêm câu hỏi rồi bấm Mở cuộc thi.",
    "quiz_question_added": "Đã thêm câu hỏi.",
    "quiz_question_deleted": "Đã xoá câu hỏi.",
    "quiz_published": "Đã mở cuộc thi: người dân gõ /thi để tham gia.",
    "quiz_closed": "Đã kết thúc cuộc thi; kết quả vẫn được giữ.",
    "bulletin_saved": "Đã lưu bản nháp. Xem lại bản tin như người dân sẽ nhận, rồi bấm Gửi.",
    "bulletin_queued": "Đã xếp bản tin vào hàng gửi; số liệu gửi cập nhật bên dưới.",
    "bulletin_already": "Bản tin này đã được xếp gửi trước đó; không ai nhận hai lần.",
}

ERROR = {
    "empty_reply": "Câu trả lời đang trống.",
    "too_long": "Nội dung quá dài.",
    "empty_note": "Ghi chú đang trống.",
    "unreachable": "Không thể nhắn cho người dân này (đã xoá dữ liệu hoặc không đồng ý được liên hệ).",
    "bad_assignee": "Người được giao không hợp lệ.",
    "bad_urgency": "Mức khẩn không hợp lệ.",
    "faq_incomplete": "Cần có câu hỏi và câu trả lời.",
    "bad_email": "Email không hợp lệ.",
    "weak_password": "Mật khẩu cần ít nhất 12 ký tự và không quá lặp lại.",
    "staff_exists": "Email này đã có tài khoản.",
    "self_change": "Bạn không thể tự khoá hoặc tự hạ quyền tài khoản của mình.",
    "quiz_title": "Cuộc thi cần có tên.",
    "bad_period": "Kỳ báo cáo không hợp lệ: chọn một tháng (ví dụ 2026-11) hoặc một quý (ví dụ 2026-Q4).",
    "quiz_incomplete": "Câu hỏi cần có nội dung, ít nhất hai phương án và phần giải thích.",
    "quiz_correct": "Hãy chọn đáp án đúng trong các phương án đã nhập.",
    "quiz_clause": "Số khoản chỉ gồm chữ số.",
    "quiz_article": "Không tìm thấy điều luật này trong chỉ mục: mỗi đáp án phải có căn cứ tra được.",
    "quiz_article_expired": "Văn bản của điều luật này đã hết hiệu lực: hãy chọn căn cứ đang có hiệu lực.",
    "quiz_article_suspended": "Điều luật này đang bị tạm ngưng thi hành: hãy chọn căn cứ đang được áp dụng.",
    "quiz_not_draft": "Chỉ sửa được cuộc thi khi còn là bản nháp.",
    "quiz_full": "Cuộc thi đã đủ số câu hỏi tối đa.",
    "quiz_cannot_publish": "Chỉ mở được bản nháp có ít nhất một câu hỏi.",
    "bulletin_sent_already": "Bản tin đã gửi thì không sửa được; hãy soạn bản tin mới.",
}

# one message for a wrong password, an unknown e-mail and too many attempts (no account enumeration)
LOGIN_FAILED = (
    "Email hoặc mật khẩu không đúng, hoặc đã nhập sai quá nhiều lần. "
    "Vui lòng kiểm tra lại, hoặc thử lại sau ít phút."
)

HTTP_ERROR = {
    400: ("Yêu cầu không hợp lệ", "Dữ liệu gửi lên không đúng. Vui lòng thử lại."),
    401: ("Cần đăng nhập", "Vui lòng đăng nhập để tiếp tục."),
    403: ("Không có quyền", "Bạn không có quyền mở trang này."),
    404: ("Không tìm thấy", "Trang hoặc nội dung bạn tìm không tồn tại."),
    405: ("Không hỗ trợ", "Thao tác này không được hỗ trợ."),
    413: ("Nội dung quá lớn", "Dữ liệu gửi lên quá lớn."),
}
CSRF_ERROR = (
    "Phiên làm việc đã hết hạn",
    "Biểu mẫu đã cũ hoặc không hợp lệ. Vui lòng tải lại trang rồi thao tác lại.",
)

# Message to the staff Telegram group about a new urgent ticket: no citizen text leaves the desk.
STAFF_ALERT = "🚨 Yêu cầu KHẨN #{ticket_id} ({category}, qua {channel}) đang chờ cán bộ tiếp nhận."
STAFF_ALERT_LINK = "Mở bàn làm việc: {url}"

FAQ_REVIEW_UNKNOWN = "Không có câu hỏi {entry_id} trong thư mục FAQ (có thể vừa bị đổi mã hoặc xoá)."

# Validation messages shown when an admin approves a FAQ proposal.

# --- places (routes_places.py, queue and statistics by place) ------------------------------------
POINT_KIND = {
    "legal_aid_centre": "Trung tâm trợ giúp pháp lý",
    "legal_aid_branch": "Chi nhánh trợ giúp pháp lý",
    "justice_officer": "Công chức tư pháp xã, phường",
    "mediation_group": "Tổ hòa giải",
}
UNKNOWN_PLACE = "Chưa rõ địa bàn"
PLACES_NO_FILE = "Chưa chọn tệp CSV."
PLACES_IMPORT_FAILED = "Tệp có {n} lỗi nên chưa nhập gì. Sửa các dòng dưới đây rồi nhập lại:"
PLACES_IMPORTED = "Đã nhập {kind}: {rows} dòng, {created} mới, {updated} thay đổi, {unchanged} giữ nguyên{deactivated}."
PLACES_KIND = {"communes": "danh sách xã, phường", "points": "danh sách điểm phục vụ"}
PLACES_DEACTIVATED = ", {n} điểm không còn trong danh sách (ngừng nhận yêu cầu)"
# --- bulletins (bot/desk/routes_bulletins.py) ------------------------------------------------------

DELIVERY_STATE = {"queued": "Đang chờ gửi", "sent": "Đã gửi", "failed": "Gửi thất bại", "cancelled": "Đã rút (người dân hủy đăng ký)"}
BULLETIN_STATUS = {"draft": "Bản nháp", "queued": "Đã xếp gửi"}
BULLETIN_PROBLEM = {
    "title": "Cần tiêu đề (tối đa {max} ký tự).",
    "body": "Cần nội dung bản tin.",
    "topics": "Chọn ít nhất một chủ đề.",
    "unknown_topic": "Chủ đề không có trong FAQ: {topics}.",
    "channels": "Chọn ít nhất một kênh gửi.",
    "commune": "Tên hoặc mã xã, phường tối đa {max} ký tự.",
    "citation": "Không tìm thấy điều {article_id} trong chỉ mục: căn cứ phải là một điều có trong chỉ mục (xem mã ở trang điều luật).",
    "not_current": "Điều {article_id} đã hết hiệu lực hoặc đang bị tạm ngưng thi hành: hãy chọn căn cứ đang được áp dụng.",
    "clause": "Khoản phải là số (ví dụ 1).",
    "personal": "Bản tin có số điện thoại, số giấy tờ hoặc email: bản tin gửi cho nhiều người, không được chứa thông tin cá nhân.",
}
# Shown (and the send refused, nothing queued) when a bulletin does not fit in one message of a channel.
BULLETIN_TOO_LONG = (
    "Bản tin dài {length} ký tự, quá giới hạn {limit} ký tự của một tin nhắn {channel} (tính cả tiêu đề, "
    "căn cứ và dòng hướng dẫn hủy đăng ký). Hãy rút gọn {over} ký tự hoặc bỏ kênh {channel}. Chưa gửi cho ai."
)
