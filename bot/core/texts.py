"""Every Vietnamese sentence the assistant says, in one place (placeholders are filled by the service)."""

from __future__ import annotations

from bot.core.models import DocStatus

# Placeholders used below: {hotline}, {legal_aid_contact}, {retention_days}, {ticket_id},
# {built_at}, {crisis_line}, {topic}, {topics}.

BOT_NAME = "Trợ lý pháp luật"

DISCLAIMER = "ℹ️ Thông tin pháp luật để tham khảo, không phải tư vấn pháp lý cho trường hợp cụ thể."

INDEX_DATE = "Văn bản tra cứu được cập nhật đến ngày {built_at}."

GREETING = (
    "Xin chào! Mình là trợ lý tự động (không phải người) giúp tra cứu thông tin pháp luật Việt Nam.\n\n"
    "Mình làm được:\n"
    "• Trả lời câu hỏi pháp luật thường gặp, kèm trích dẫn điều, khoản và số văn bản.\n"
    "• Chuyển trường hợp phức tạp (tranh chấp, bị kiện, khiếu nại, tố cáo, bạo lực...) cho cán bộ "
    "trợ giúp pháp lý.\n\n"
    "Mình không làm được: tư vấn pháp lý cho vụ việc cụ thể, soạn đơn từ, đại diện bạn trước cơ quan nhà nước.\n"
    "Thông tin mình đưa ra chỉ để tham khảo, không phải tư vấn pháp lý.\n\n"
    "Dữ liệu: mình lưu nội dung cuộc trò chuyện và mã tài khoản của bạn trên kênh này trong {retention_days} "
    "ngày để trả lời và để cán bộ hỗ trợ khi bạn đồng ý; nếu bạn cho biết xã, phường nơi ở, mình nhớ để "
    "chuyển yêu cầu tới cán bộ gần bạn (đổi bằng /noio). Gõ /xoadulieu để xóa dữ liệu của bạn bất cứ lúc nào. "
    "Đừng gửi số CCCD, số điện thoại hay mật khẩu qua đây.\n\n"
    "Nếu đang gặp nguy hiểm, hãy gọi ngay 113 (công an), 115 (cấp cứu), 111 (bảo vệ trẻ em).\n\n"
    "Bạn cứ gõ câu hỏi, ví dụ: \"Nghỉ thai sản được mấy tháng?\""
)

HELP = (
    "Cách dùng:\n"
    "• Gõ câu hỏi pháp luật bằng lời của bạn (có dấu hay không dấu đều được).\n"
    "• /chude: các chủ đề mình trả lời được\n"
    "• /canbo: gặp cán bộ trợ giúp pháp lý\n"
    "• /thi: thi tìm hiểu pháp luật (trắc nghiệm ngắn)\n"
    "• /moi: bắt đầu câu hỏi mới\n"
    "• /noio: cho biết hoặc đổi xã, phường nơi bạn ở (để chuyển yêu cầu tới cán bộ gần bạn)\n"
    "• /dangky: đăng ký nhận bản tin pháp luật theo chủ đề (và xã, phường)\n"
    "• /huydangky: ngừng nhận bản tin (tất cả, hoặc một chủ đề: /huydangky 3)\n"
    "• /xoadulieu: xóa dữ liệu của bạn\n"
    "• /start: giới thiệu và chính sách dữ liệu\n"
    "Đường dây trợ giúp pháp lý: {hotline} ({legal_aid_contact})."
)

TOPICS_HEAD = "Mình có thể tra cứu các chủ đề sau:"
TOPICS_TAIL = "Bạn gõ câu hỏi cụ thể nhé, ví dụ: \"Làm thêm giờ tối đa bao nhiêu giờ một tháng?\""
# Shown by /chude; the FAQ's own topics are added when there are others.
DEFAULT_TOPICS = (
    "Lao động, tiền lương, nghỉ phép, thai sản",
    "Bảo hiểm xã hội, lương hưu, trợ cấp",
    "Hôn nhân và gia đình, ly hôn, nuôi con",
    "Thừa kế, di chúc, hợp đồng dân sự, đặt cọc",
    "Đất đai, nhà ở, thuê nhà",
    "Cư trú, căn cước, hộ tịch (khai sinh, kết hôn)",
    "Giao thông, xử phạt vi phạm hành chính",
    "Nghĩa vụ quân sự",
    "Khiếu nại, tố cáo, trợ giúp pháp lý",
    "Quyền lợi người tiêu dùng, trẻ em, người cao tuổi, người khuyết tật",
)

SMALLTALK_HELLO = (
    "Xin chào! Mình là trợ lý tự động tra cứu thông tin pháp luật. Bạn cứ gõ câu hỏi, ví dụ: "
    "\"Nghỉ thai sản được mấy tháng?\" Gõ /start để xem mình làm được gì và lưu dữ liệu gì."
)
SMALLTALK_THANKS = "Không có gì ạ! Khi cần tra cứu thêm, bạn cứ nhắn câu hỏi nhé."

NEW_CONVERSATION = "Đã bắt đầu cuộc trò chuyện mới. Bạn gõ câu hỏi của mình nhé."

DATA_DELETED = (
    "Mình đã xóa các tin nhắn và thông tin cá nhân của bạn trên kênh này. Yêu cầu hỗ trợ đã gửi cán bộ "
    "(nếu có) được giữ lại ở dạng ẩn danh để theo dõi xử lý. Bạn có thể tiếp tục hỏi bất cứ lúc nào."
)

# --- escalation -------------------------------------------------------------------------------

ESCALATED = (
    "Trường hợp của bạn cần cán bộ trợ giúp pháp lý xem trực tiếp, nên mình đã chuyển câu hỏi cho cán bộ.\n"
    "Mã yêu cầu của bạn: #{ticket_id}.\n"
    "Tiếp theo: cán bộ của {legal_aid_contact} sẽ đọc nội dung trao đổi và trả lời bạn ngay trong cuộc "
    "trò chuyện này, thường trong giờ hành chính. Khi cần gấp, bạn gọi đường dây trợ giúp pháp lý {hotline}."
)
ESCALATED_AGAIN = (
    "Mình đã ghi thêm tin nhắn này vào yêu cầu #{ticket_id} đang chờ cán bộ xử lý. "
    "Cán bộ sẽ trả lời bạn trong cuộc trò chuyện này."
)
CONSENT_QUESTION = (
    "Bạn có đồng ý để cán bộ trợ giúp pháp lý đọc nội dung trao đổi và liên hệ lại với bạn qua kênh này không?"
)
CONSENT_YES = (
    "Cảm ơn bạn. Cán bộ sẽ liên hệ lại qua cuộc trò chuyện này (yêu cầu #{ticket_id}). "
    "Bạn có thể nhắn thêm thông tin, mình sẽ chuyển kèm."
)
CONSENT_NO = (
    "Mình đã ghi nhận: cán bộ sẽ không chủ động liên hệ bạn (yêu cầu #{ticket_id}). "
    "Khi cần, bạn gõ /canbo hoặc gọi {hotline} ({legal_aid_contact})."
)
NO_PENDING_CONSENT = "Hiện không có yêu cầu nào đang chờ bạn xác nhận. Bạn gõ câu hỏi, hoặc /canbo để gặp cán bộ."
HUMAN_REQUESTED = "Mình sẽ chuyển cuộc trò chuyện cho cán bộ trợ giúp pháp lý."
NEGATIVE_FEEDBACK_ESCALATE = (
    "Xin lỗi vì câu trả lời chưa giúp được bạn. Mình chuyển câu hỏi cho cán bộ trợ giúp pháp lý để xem kỹ hơn."
)
FEEDBACK_THANKS = "Cảm ơn bạn đã góp ý!"
FEEDBACK_SORRY = (
    "Cảm ơn bạn đã góp ý. Bạn thử hỏi lại cụ thể hơn (việc gì, ai, từ khi nào), hoặc bấm \"Gặp cán bộ\" / "
    "gõ /canbo để gặp cán bộ trợ giúp pháp lý."
)

LEGAL_AID_HINT = (
    "Lưu ý: theo Điều 7 Luật Trợ giúp pháp lý số 11/2017/QH14, một số người được trợ giúp pháp lý miễn phí "
    "(ví dụ: người thuộc hộ nghèo, trẻ em, người dân tộc thiểu số ở vùng đặc biệt khó khăn; người cao tuổi, "
    "người khuyết tật, nạn nhân bạo lực gia đình, nạn nhân mua bán người có khó khăn về tài chính...). "
    "Bạn có thể thuộc diện này, cán bộ sẽ hướng dẫn giấy tờ cần có."
)

# What the citizen should know while waiting, per escalation category (shown under the ticket number).
CATEGORY_ADVICE = {
    "court": "Trong lúc chờ: giữ giấy triệu tập và mọi giấy tờ, chứng cứ liên quan; vẫn đến tòa đúng hẹn.",
    "complaint": "Trong lúc chờ: giữ bản sao đơn đã gửi, quyết định bị khiếu nại và giấy tờ liên quan.",
    "denunciation": "Trong lúc chờ: giữ lại chứng cứ (tin nhắn, ghi âm, giấy tờ). Người tố cáo được pháp luật bảo vệ bí mật thông tin.",
    "fraud": "Trong lúc chờ: giữ lại hợp đồng, biên lai, tin nhắn; có thể trình báo công an nơi gần nhất.",
    "workplace_accident": "Trong lúc chờ: giữ giấy tờ khám chữa bệnh, tên người làm chứng và mọi giấy tờ với chủ sử dụng lao động.",
    "elder_abuse": "Nếu người cao tuổi đang bị đe dọa hoặc bị đánh, hãy gọi 113 hoặc báo công an xã, phường.",
    "child_abduction": "Trong lúc chờ: giữ giấy khai sinh của con, giấy tờ kết hôn/ly hôn và tin nhắn liên lạc.",
    "injury": "Nếu an toàn: ghi lại biển số xe, thời gian, địa điểm, tên người làm chứng; giữ nguyên hiện trường cho công an.",
    "violence": "Khi an toàn, giữ lại bằng chứng (ảnh vết thương, giấy khám, tin nhắn đe dọa) và báo công an xã, phường.",
    "arrest": "Người bị bắt, bị tạm giữ có quyền nhờ luật sư hoặc người bào chữa; hãy ghi lại nơi đang giữ người.",
}

# --- urgent ---------------------------------------------------------------------------------

EMERGENCY_LINES = {
    "113": "📞 Gọi ngay 113 (Công an) nếu bạn hoặc người khác đang bị đe dọa, bị đánh hay có người gây án.",
    "115": "📞 Gọi ngay 115 (Cấp cứu) nếu có người bị thương, bất tỉnh hoặc nguy hiểm đến tính mạng.",
    "111": "📞 Gọi 111 (Tổng đài quốc gia bảo vệ trẻ em, miễn phí, 24/7) khi trẻ em bị xâm hại hoặc gặp nguy hiểm.",
}
SAFETY_FIRST = "Hãy đến nơi an toàn và báo người thân hoặc hàng xóm ở gần."

CRISIS = (
    "Mình rất tiếc khi biết bạn đang phải chịu đựng nhiều như vậy. Bạn không phải một mình vượt qua chuyện này.\n"
    "📞 Nếu bạn đang có ý định làm hại bản thân, hãy gọi ngay 115 (cấp cứu) hoặc nhờ một người ở gần "
    "ở bên bạn lúc này.\n"
    "📞 Bạn có thể nói chuyện với {crisis_line}.\n"
    "Mình cũng đã nhờ cán bộ trợ giúp pháp lý liên hệ để cùng bạn tìm cách gỡ dần những khó khăn đang gặp "
    "(mã yêu cầu #{ticket_id})."
)

# --- answers --------------------------------------------------------------------------------

ANSWER_LEAD = "Theo {label}:"
ANSWER_ALSO = "Xem thêm {label}:"
FAQ_SOURCES = "Căn cứ:"
# A follow-up the previous answer already covers: the part that answers it first, then the answer again.
FOLLOWUP_FOCUS = "Với điều bạn hỏi thêm: {sentence}"
LOW_CONFIDENCE = (
    "Mình chưa chắc đã tìm đúng quy định cho câu hỏi này. Các điều sau có thể liên quan:"
)
LOW_CONFIDENCE_TAIL = (
    "Bạn có thể hỏi lại cụ thể hơn, hoặc bấm \"Gặp cán bộ\" / gõ /canbo để cán bộ trợ giúp pháp lý xem giúp."
)
OUT_OF_SCOPE_HEALTH = (
    "Mình chỉ hỗ trợ thông tin pháp luật nên không tư vấn được về sức khỏe, thuốc men. "
    "Nếu đang nguy hiểm (khó thở, co giật, bất tỉnh, sốt cao không hạ...), hãy gọi ngay cấp cứu 115 "
    "hoặc đến cơ sở y tế gần nhất."
)
FAQ_SUGGESTIONS_HEAD = "Có phải bạn muốn hỏi một trong các câu sau? Bấm hoặc gửi số của câu đó:"
SUGGESTION_GONE = (
    "Câu hỏi đó không còn trong danh sách. Bạn hãy gửi lại câu hỏi của mình, hoặc gõ /canbo để gặp cán bộ."
)
ATTACHED_TO_TICKET = (
    "Mình đã chuyển tin nhắn này tới cán bộ đang xử lý yêu cầu #{ticket_id}; cán bộ sẽ trả lời bạn tại đây. "
    "Nếu muốn hỏi một câu khác, hãy gõ /moi rồi gửi câu hỏi."
)
# A question on the law while a ticket is open: it reaches staff, and the vetted answer follows this line.
ATTACHED_AND_ANSWERED = (
    "Mình đã chuyển tin nhắn này tới cán bộ đang xử lý yêu cầu #{ticket_id}; cán bộ sẽ trả lời bạn tại đây. "
    "Trong lúc chờ, đây là quy định chung về điều bạn hỏi:"
)
NOTHING_FOUND = (
    "Mình chưa tìm thấy quy định phù hợp với câu hỏi này. Bạn thử diễn đạt lại (việc gì, ai, ở đâu), "
    "hoặc gõ /canbo để gặp cán bộ trợ giúp pháp lý."
)
TRUNCATED_INPUT = "Tin nhắn của bạn khá dài nên mình chỉ đọc phần đầu. Lần sau bạn gửi câu hỏi ngắn gọn hơn giúp mình nhé."
INJECTION_NOTE = (
    "Mình chỉ trả lời câu hỏi pháp luật dựa trên văn bản pháp luật, không làm theo yêu cầu thay đổi cách hoạt động "
    "và không khẳng định điều mà văn bản pháp luật không quy định."
)

STATUS_WORDS = {
    DocStatus.IN_FORCE: "còn hiệu lực",
    DocStatus.PARTLY_EXPIRED: "hết hiệu lực một phần",
    DocStatus.EXPIRED: "hết hiệu lực",
    DocStatus.NOT_YET_IN_FORCE: "chưa có hiệu lực",
    DocStatus.SUSPENDED: "đang bị tạm ngưng thi hành",
    DocStatus.UNKNOWN: "chưa rõ tình trạng hiệu lực",
}
STATUS_NOTE = "Lưu ý: văn bản số {doc_number} {status}."
REPLACED_BY_NOTE = "Lưu ý: văn bản số {doc_number} {status}; được thay thế bởi {replaced_by}."
NOT_YET_NOTE = "Lưu ý: văn bản số {doc_number} chưa có hiệu lực (có hiệu lực từ {effective_from})."

# --- clarifying -------------------------------------------------------------------------------

CLARIFY_TOPIC = "Bạn muốn hỏi cụ thể điều gì về {topic}? Ví dụ: {examples}"
CLARIFY_GENERIC = (
    "Bạn muốn hỏi cụ thể điều gì? Bạn kể ngắn gọn việc gì đang xảy ra và bạn muốn biết gì, "
    "ví dụ: \"Công ty chậm trả lương 2 tháng thì làm sao?\""
)
CLARIFY_EXAMPLES = {
    "đất đai": "\"làm sổ đỏ lần đầu cần giấy tờ gì?\", \"đất hết thời hạn sử dụng thì sao?\"",
    "bảo hiểm": "\"rút bảo hiểm xã hội một lần được không?\", \"nghỉ thai sản được bao lâu?\"",
    "lao động": "\"thử việc tối đa bao lâu?\", \"công ty chậm lương thì sao?\"",
    "hôn nhân gia đình": "\"ly hôn đơn phương thế nào?\", \"ai được nuôi con sau ly hôn?\"",
    "thừa kế": "\"không có di chúc thì chia thừa kế thế nào?\", \"di chúc miệng có giá trị không?\"",
    "giao thông": "\"vượt đèn đỏ phạt bao nhiêu?\", \"bằng lái bị trừ hết điểm thì sao?\"",
    "cư trú, căn cước": "\"tạm trú có thời hạn bao lâu?\", \"làm căn cước có mất phí không?\"",
    "nghĩa vụ quân sự": "\"mấy tuổi thì hết phải đi nghĩa vụ?\", \"sinh viên có phải đi nghĩa vụ không?\"",
    "thuế": "\"sang tên nhà đất phải nộp những khoản gì?\"",
    "khiếu nại, tố cáo": "\"khiếu nại bao lâu thì được giải quyết?\", \"tố cáo giấu tên có được không?\"",
}

# --- refusals and bad input -------------------------------------------------------------------

OUT_OF_SCOPE = (
    "Cảm ơn bạn đã nhắn! Mình là trợ lý tự động chỉ hỗ trợ tra cứu thông tin pháp luật Việt Nam "
    "(lao động, bảo hiểm, hôn nhân gia đình, thừa kế, đất đai, cư trú, giao thông...), nên mình không giúp được "
    "việc này. Nếu bạn có câu hỏi về pháp luật, cứ gõ để mình tra cứu nhé. Gõ /chude để xem các chủ đề."
)
ABOUT_BOT = (
    "Mình là trợ lý tự động tra cứu thông tin pháp luật, do đơn vị trợ giúp pháp lý vận hành; mình không phải "
    "người và chỉ trả lời dựa trên văn bản pháp luật. Bạn có câu hỏi pháp luật nào không? Gõ /start để xem "
    "mình làm được gì và mình lưu dữ liệu gì."
)
POLITICAL = (
    "Mình là trợ lý tự động tra cứu pháp luật nên không đưa ra ý kiến hay nhận xét về chính trị. "
    "Nếu bạn có câu hỏi về quy định pháp luật (ví dụ quyền khiếu nại, tố cáo, góp ý), mình sẵn sàng tra cứu."
)
EMPTY = "Mình chưa nhận được nội dung. Bạn gõ câu hỏi pháp luật của mình nhé, ví dụ: \"Thử việc tối đa bao lâu?\""
NOT_UNDERSTOOD = (
    "Mình chưa hiểu tin nhắn này. Bạn gõ câu hỏi pháp luật bằng tiếng Việt giúp mình nhé "
    "(có dấu hay không dấu đều được), hoặc gõ /help để xem hướng dẫn."
)
TOO_LONG = (
    "Tin nhắn quá dài nên mình chưa đọc được hết. Bạn tóm tắt câu hỏi trong vài câu (việc gì, ai, bạn muốn biết gì) giúp mình nhé."
)
SPAM = (
    "Tin nhắn này có dấu hiệu quảng cáo dịch vụ nên mình không phản hồi nội dung đó. Lưu ý: làm giấy tờ "
    "\"không cần hồ sơ\", \"bao đậu\" thường là lừa đảo hoặc trái pháp luật. Nếu bạn có câu hỏi pháp luật, hãy gõ câu hỏi."
)
PHISHING = (
    "⚠️ Tin nhắn này có đường link và lời mời nhận tiền hoặc đăng nhập: đây là dấu hiệu lừa đảo. Đừng bấm vào link, "
    "đừng nhập tài khoản VNeID, mật khẩu hay mã OTP. Cơ quan nhà nước không gửi link nhận tiền qua tin nhắn. "
    "Nếu đã lỡ cung cấp thông tin, hãy báo công an nơi gần nhất. Mình không mở các đường link được gửi đến."
)
INJECTION = (
    INJECTION_NOTE + " Nếu bạn muốn biết quy định về một vấn đề, hãy hỏi trực tiếp, ví dụ: "
    "\"Vượt đèn đỏ bị phạt bao nhiêu?\""
)
HTML_ONLY = "Mình chỉ đọc được chữ thường, không đọc mã HTML hay đường link. Bạn gõ câu hỏi bằng lời giúp mình nhé."
# what replaces a personal number or address in stored and logged text (bot/core/pii.py)
PHONE_MASK = "[số điện thoại]"
ID_MASK = "[số giấy tờ]"
EMAIL_MASK = "[email]"
BANK_MASK = "[số tài khoản]"
PII_WARNING = "Để bảo vệ bạn, đừng gửi số điện thoại, số CCCD hay mật khẩu qua đây; mình đã che các số đó."
ERROR = (
    "Xin lỗi, mình gặp trục trặc khi xử lý tin nhắn này. Bạn thử gửi lại sau ít phút, hoặc gõ /canbo "
    "để gặp cán bộ, hoặc gọi {hotline}."
)

PROTECTED_USER = (
    "Xin chào! Trợ lý tự động này chưa đọc được tin nhắn của bạn qua kênh này.\n"
    "Nếu bạn cần giúp đỡ, hãy gọi Tổng đài quốc gia bảo vệ trẻ em 111 (miễn phí, 24/7) "
    "hoặc đường dây trợ giúp pháp lý {hotline} ({legal_aid_contact}).\n"
    "Nếu bạn đang gặp nguy hiểm, hãy gọi ngay Công an: 113."
)

# --- places: the citizen's commune, routing, mediation (bot/core/places.py) ----------------------
# Placeholders: {commune}, {province}, {ticket_id}, {name}, {address}, {phone}, {hours}, {options}.

PLACE_ASK = (
    "Để chuyển yêu cầu #{ticket_id} tới cán bộ gần bạn, bạn đang ở xã, phường (hoặc đặc khu) nào, "
    "thuộc tỉnh, thành phố nào? Gõ có dấu hay không dấu đều được, ví dụ: \"xã Tân Phú, Đồng Nai\" "
    "hoặc \"phuong 3 vinh long\". Nếu không muốn cho biết, gõ \"bỏ qua\": cán bộ ở trung tâm vẫn xử lý yêu cầu."
)
PLACE_ASK_COMMAND = (
    "Bạn đang ở xã, phường (hoặc đặc khu) nào, thuộc tỉnh, thành phố nào? Gõ có dấu hay không dấu đều được, "
    "ví dụ: \"xã Tân Phú, Đồng Nai\". Gõ \"bỏ qua\" để giữ nguyên."
)
PLACE_CURRENT = "Nơi ở mình đang ghi nhận cho bạn: {commune}, {province}."
PLACE_CONFIRM = "Có phải bạn ở {commune}, {province}? Trả lời \"có\" hoặc \"không\"."
PLACE_CHOOSE = "Mình thấy có mấy nơi trùng tên. Bạn ở nơi nào? Gửi số của nơi đó:\n{options}\nHoặc gõ lại tên xã, phường kèm tỉnh, thành phố."
PLACE_NOT_FOUND = (
    "Mình chưa tìm thấy xã, phường nào khớp với \"{text}\" trong danh sách đơn vị hành chính mới (từ 01/7/2025 "
    "chỉ còn tỉnh và xã, phường, đặc khu; không còn huyện, quận). Bạn gõ lại tên xã, phường kèm tên tỉnh, "
    "thành phố giúp mình, hoặc gõ \"bỏ qua\". Tin nhắn của bạn vẫn được lưu trong cuộc trò chuyện cho cán bộ xem."
)
PLACE_NOT_FOUND_FINAL = (
    "Mình vẫn chưa tìm thấy xã, phường đó nên đã để yêu cầu #{ticket_id} ở bộ phận tiếp nhận chung; cán bộ "
    "vẫn xem đầy đủ nội dung bạn đã gửi. Khi cần, bạn gõ /noio để cho biết lại nơi ở."
)
PLACE_SKIPPED = "Được ạ, mình không ghi nhận nơi ở. Yêu cầu #{ticket_id} do bộ phận tiếp nhận chung xử lý."
PLACE_KEPT = "Mình giữ nguyên thông tin nơi ở như trước."
PLACE_SAVED = "Mình đã ghi nhận nơi ở: {commune}, {province}. Khi cần đổi, bạn gõ /noio."
PLACE_FORGOTTEN = "Mình đã xóa thông tin nơi ở của bạn."
PLACE_UNAVAILABLE = "Hiện chưa có danh sách điểm trợ giúp theo địa bàn. Bạn gõ /canbo để gặp cán bộ hoặc gọi {hotline}."
PLACE_ROUTED = "Yêu cầu #{ticket_id} đã được chuyển tới: {point}."
PLACE_ROUTED_CENTRAL = "Yêu cầu #{ticket_id} do bộ phận tiếp nhận chung xử lý (chưa có điểm trợ giúp đăng ký cho xã, phường của bạn)."
PLACE_NEAR_YOU = "Nơi hỗ trợ pháp lý gần bạn: {point}."
POINT_CONTACT = "{name}, {address}; điện thoại {phone}; {hours}"
# Offered with a dispute between neighbours or within a family; checked against Luật Hòa giải ở cơ sở
# số 35/2013/QH13: khoản 1 Điều 16 (a party asks), khoản 1 Điều 4 (voluntary), điểm c khoản 1 Điều 3.
MEDIATION_OFFER = (
    "Với mâu thuẫn, tranh chấp giữa hàng xóm hay trong gia đình, bạn cũng có thể nhờ tổ hòa giải ở thôn, tổ dân phố "
    "giúp các bên tự thỏa thuận: theo khoản 1 Điều 16 Luật Hòa giải ở cơ sở số 35/2013/QH13, hòa giải được tiến hành "
    "khi một bên hoặc các bên yêu cầu, và việc hòa giải là tự nguyện, không bắt buộc (khoản 1 Điều 4). Hòa giải ở cơ sở "
    "không áp dụng cho vi phạm phải xử lý hình sự hoặc xử phạt hành chính (điểm c khoản 1 Điều 3)."
)
MEDIATION_CONTACT = "Tổ hòa giải gần bạn: {point}."
MEDIATION_ASK_PLACE = "Khi bạn cho biết xã, phường, mình gửi kèm liên hệ tổ hòa giải ở đó."

# --- buttons ----------------------------------------------------------------------------------

BUTTON_UP = "👍"
BUTTON_DOWN = "👎"
BUTTON_HUMAN = "Gặp cán bộ"
BUTTON_CONSENT_YES = "Đồng ý"
BUTTON_CONSENT_NO = "Không"

# Synthetic user-turn text stored for button presses (there is no typed text).
BUTTON_TURN = {
    "up": "👍",
    "down": "👎",
    "human": "[Gặp cán bộ]",
    "consent_yes": "[Đồng ý]",
    "consent_no": "[Không đồng ý]",
    "faq1": "1",
    "faq2": "2",
    "faq3": "3",
    "choice1": "A",
    "choice2": "B",
    "choice3": "C",
    "choice4": "D",
}


# ---------------------------------------------------------------- quizzes (/thi)
QUIZ_NONE = "Hiện chưa có cuộc thi tìm hiểu pháp luật nào đang mở. Bạn quay lại sau nhé!"
QUIZ_LIST_HEAD = "Các cuộc thi tìm hiểu pháp luật đang mở:"
QUIZ_LIST_TAIL = "Gõ /thi kèm số thứ tự để bắt đầu, ví dụ: /thi 1"
QUIZ_UNKNOWN = "Không có cuộc thi số {number}. Gõ /thi để xem danh sách."
QUIZ_INTRO = "📝 {title} ({count} câu). Chọn đáp án bằng nút bấm hoặc gõ A, B, C, D."
QUIZ_QUESTION = "Câu {number}/{count}: {text}"
QUIZ_RIGHT = "✅ Đúng rồi!"
QUIZ_WRONG = "❌ Chưa đúng. Đáp án đúng: {letter}. {option}"
QUIZ_BASIS = "Căn cứ: {citation}."
QUIZ_DONE = "🏁 Bạn trả lời đúng {score}/{count} câu. Cảm ơn bạn đã tham gia! Gõ /thi để xem các cuộc thi khác."
QUIZ_CLOSED = "Cuộc thi này đã kết thúc. Gõ /thi để xem các cuộc thi đang mở."
QUIZ_STALE_BUTTON = "Nút bạn bấm thuộc một câu hỏi trước (đã trả lời). Câu hỏi đang chờ bạn trả lời là:"
# --- bulletins: /dangky, /huydangky (bot/core/subscriptions.py) -------------------------------

# The menu's first line also tells the next message is a reply to it: keep it unique.
SUBSCRIBE_MENU_HEAD = "📬 Đăng ký nhận bản tin pháp luật"
SUBSCRIBE_MENU_HOW = (
    "Cán bộ trợ giúp pháp lý gửi bản tin ngắn khi có quy định mới về chủ đề bạn chọn. Gửi số các chủ đề "
    "(ví dụ: 3 12, hoặc \"tất cả\"); muốn nhận cả tin riêng của xã, phường mình thì gửi thêm tên hoặc mã "
    "xã sau các số (ví dụ: 3 12 xã Tân Phú)."
)
SUBSCRIBED = "✅ Đã đăng ký nhận bản tin."
SUBSCRIBED_TOPICS = "Bạn đang nhận tin về: {topics}."
SUBSCRIBED_COMMUNE = "Xã, phường của bạn: {commune}."
UNSUBSCRIBE_HOW = "Gõ /huydangky để ngừng nhận mọi bản tin, hoặc /huydangky kèm số chủ đề (ví dụ: /huydangky 3) để bỏ một chủ đề."
SUBSCRIBE_DATA_NOTE = (
    "Mình lưu mã tài khoản của bạn trên kênh này, các chủ đề và xã bạn chọn chỉ để gửi bản tin; "
    "/xoadulieu xóa cả những thông tin này."
)
SUBSCRIBE_BAD_NUMBER = "Không có chủ đề số {numbers}. Bạn gửi số từ 1 đến {count}, ví dụ: 3 12. Gõ /dangky để xem danh sách."
SUBSCRIBE_NEEDS_TOPIC = (
    "Bạn chọn ít nhất một chủ đề (số từ 1 đến {count}) cùng với xã, phường, ví dụ: /dangky 3 xã Tân Phú. "
    "Gõ /dangky để xem danh sách."
)
SUBSCRIBE_UNAVAILABLE = "Hiện chưa có bản tin để đăng ký nhận. Bạn cứ gõ câu hỏi pháp luật của mình nhé."
UNSUBSCRIBED_ALL = "Đã hủy đăng ký: bạn sẽ không nhận bản tin nữa. Gõ /dangky nếu muốn đăng ký lại."
UNSUBSCRIBED_TOPICS = "Đã bỏ chủ đề: {topics}."
UNSUBSCRIBE_NOTHING = "Bạn chưa đăng ký nhận bản tin nào. Gõ /dangky để xem các chủ đề và đăng ký."

# A bulletin as subscribers read it (the footer is in every one).
BULLETIN_HEAD = "📢 {title}"
BULLETIN_BASIS = "Căn cứ: {basis}."
BULLETIN_FOOTER = (
    "Bạn nhận tin này vì đã đăng ký nhận bản tin pháp luật. Gõ /huydangky để ngừng nhận tin."
)
