"""Message normalisation: encoding repair, markup removal, teencode, legal terms, question extraction."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import lexicon
from bot.core.pii import holds_mask, mask_pii
from retrieval.normalize import has_diacritics, nfc, strip_diacritics

# ---------------------------------------------------------------------------------------------
# Unicode and diacritics


def cue_form(text: str) -> str:
    """Rule-matching form: no diacritics, lower case, single spaces, punctuation kept as spaces
    except '?' (a question mark is a useful cue)."""
    text = strip_diacritics(nfc(text)).lower()
    text = re.sub(r"[^\w?%/]+", " ", text)
    return f" {text.strip()} "


def accent_ratio(text: str) -> float:
    """Share of letter-words carrying a Vietnamese diacritic (0 for text typed without accents)."""
    words = re.findall(r"[^\W\d_]+", text)
    if not words:
        return 0.0
    return sum(1 for w in words if has_diacritics(w)) / len(words)


# ---------------------------------------------------------------------------------------------
# Mojibake: UTF-8 bytes decoded as cp1252 / latin-1 ("TÃ´i muá»‘n" -> "Tôi muốn")

_MOJIBAKE = re.compile(r"Ã[\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc\u2013-\u2122]|á»|áº|Ä‘|Æ°|Æ¡")
# cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined; a decoder turned them into U+FFFD.
_HOLE_BYTES = (0x8F, 0x81, 0x8D, 0x90, 0x9D)
_COMMON_WORDS = (
    """tôi bạn em anh chị mình ông bà bố mẹ ba má con cháu vợ chồng người được không có là và
    của cho với về hỏi muốn làm thì mà này đó đây nào gì sao thế như bao nhiêu lâu mấy năm tháng
    ngày giờ tuổi đã đang sẽ rồi còn nữa cũng vẫn phải nên cần xin giúp luật điều khoản quy định
    thủ tục đơn ly hôn kết hôn phương hợp đồng lao động công ty việc nghỉ lương bảo hiểm xã hội
    đất đai nhà sổ đỏ giấy tờ chứng nhận quyền sử dụng thừa kế di chúc tài sản nợ tiền trả nộp
    thuế phí phạt xe máy ô tô bằng lái căn cước cư trú tạm trú thường trú khai sinh tử hộ khẩu
    tòa án kiện khiếu nại tố cáo công an xã phường huyện tỉnh ủy ban nhân dân cơ quan nhà nước
    trẻ em học sinh trường thai sản sinh đẻ ốm đau bệnh viện khám chữa trợ cấp hưu trí mất chết
    sống ở đi đến từ trong ngoài trên dưới sau trước khi nếu vì do bị bắt buộc đúng sai mới cũ
    một hai ba bốn năm sáu bảy tám chín mười trăm nghìn triệu tỷ đồng hết hạn thời hiệu lực
    người lao động sử dụng thử việc chấm dứt đơn phương việc làm thất nghiệp tai nạn nghề nghiệp
    giữ hộ chiếu môi giới xuất khẩu đền bù bồi thường thiệt hại quyết định thu hồi giải quyết
    ai cái các những mọi tất cả riêng chung mua bán thuê cho vay cầm cố thế chấp đặt cọc
    hướng dẫn tư vấn cán bộ trợ giúp pháp lý miễn phí nghèo khó khăn"""
)
_COMMON_SYLLABLES = frozenset(_COMMON_WORDS.split())


def _hole_score(data: bytearray, pos: int) -> int:
    """How plausible the word around byte `pos` looks after decoding (common syllable = 2)."""
    start = pos
    while start > 0 and data[start - 1] not in b" \t\n.,;:!?":
        start -= 1
    end = pos
    while end < len(data) and data[end] not in b" \t\n.,;:!?":
        end += 1
    word = bytes(data[start:end]).decode("utf-8", errors="replace")
    if "\ufffd" in word:
        return -1
    if word.lower() in _COMMON_SYLLABLES:
        return 2
    return 1 if word == word.lower() or word == word.capitalize() else 0


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as cp1252/latin-1; returns the text unchanged when unsure."""
    if not _MOJIBAKE.search(text):
        return text
    data = bytearray()
    holes = []
    for ch in text:
        if ch == "\ufffd":
            holes.append(len(data))
            data.append(_HOLE_BYTES[0])
            continue
        try:
            data += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) < 256:
                data.append(ord(ch))
            else:
                return text  # a character that cannot come from this mistake: not mojibake
    for pos in holes:
        best, best_score = _HOLE_BYTES[0], -2
        for byte in _HOLE_BYTES:
            data[pos] = byte
            score = _hole_score(data, pos)
            if score > best_score:
                best, best_score = byte, score
        data[pos] = best
    try:
        return nfc(data.decode("utf-8"))
    except UnicodeDecodeError:
        return text


# ---------------------------------------------------------------------------------------------
# Markup and links


@dataclass(frozen=True)
class Stripped:
    text: str
    had_html: bool = False
    had_url: bool = False
    had_script: bool = False


_SCRIPT = re.compile(r"<\s*(script|style|iframe|object)\b.*?(<\s*/\s*\1\s*>|$)", re.I | re.S)
_TAG = re.compile(r"</?\s*[a-zA-Z][^<>]{0,500}>")
_MD_IMAGE = re.compile(r"!\[[^\]]{0,200}\]\([^)]{0,2000}\)")
_MD_LINK = re.compile(r"\[([^\]]{0,200})\]\([^)]{0,2000}\)")
_URL = re.compile(
    r"(?:(?:https?|ftp)://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|vn|info|xyz|top|site|online|example|io|me|link|click)(?:/\S*)?\b",
    re.I,
)
_JS_URL = re.compile(r"javascript\s*:", re.I)


def strip_markup(text: str) -> Stripped:
    """Remove scripts, HTML tags, markdown images/links and URLs (they are never matched or echoed)."""
    had_script = bool(_SCRIPT.search(text)) or bool(_JS_URL.search(text))
    out = _SCRIPT.sub(" ", text)
    had_html = had_script or bool(_TAG.search(out))
    out = _TAG.sub(" ", out)
    had_url = bool(_MD_IMAGE.search(out) or _URL.search(out))
    out = _MD_IMAGE.sub(" ", out)
    out = _MD_LINK.sub(r"\1", out)
    out = _URL.sub(" ", out)
    out = _JS_URL.sub(" ", out)
    out = out.replace("<", " ").replace(">", " ")
    out = re.sub(r"[ \t]+", " ", out)
    out = re.sub(r"\s*\n\s*", "\n", out).strip()
    return Stripped(out, had_html=had_html, had_url=had_url, had_script=had_script)


# ---------------------------------------------------------------------------------------------
# Teencode, abbreviations, dialect

# Token (lower case, as typed) -> replacement. Only whole tokens are replaced.
_TEENCODE: dict[str, str] = {
    "ko": "không", "k": "không", "kg": "không", "khong": "không", "hong": "không", "hông": "không",
    "hok": "không", "hem": "không", "kh": "không", "khg": "không", "kô": "không", "hum": "không",
    "dc": "được", "đc": "được", "dk": "được", "đk": "được", "duoc": "được", "dk.": "được",
    "bn": "bao nhiêu", "bnh": "bao nhiêu", "nhiu": "nhiêu", "nhìu": "nhiều",
    "e": "em", "a": "anh", "c": "chị", "ch": "chị", "mk": "mình", "mik": "mình", "mh": "mình",
    "vs": "với", "j": "gì", "gi": "gì", "ji": "gì", "ntn": "như thế nào", "sao z": "sao vậy",
    "v": "vậy", "z": "vậy", "zậy": "vậy", "dzậy": "vậy", "dậy": "vậy", "zay": "vậy",
    "r": "rồi", "rùi": "rồi", "ròi": "rồi", "mn": "mọi người", "mng": "mọi người", "mọi ng": "mọi người",
    "ng": "người", "ngta": "người ta", "nta": "người ta",
    "cty": "công ty",
    "bhxh": "bảo hiểm xã hội", "bhyt": "bảo hiểm y tế", "bhtn": "bảo hiểm thất nghiệp",
    "cccd": "căn cước công dân", "cmnd": "chứng minh nhân dân", "cmt": "chứng minh nhân dân",
    "gplx": "giấy phép lái xe", "tnld": "tai nạn lao động", "tnlđ": "tai nạn lao động",
    "hđ": "hợp đồng", "hđlđ": "hợp đồng lao động", "hdld": "hợp đồng lao động",
    "lđ": "lao động", "nlđ": "người lao động", "nld": "người lao động", "nsdlđ": "người sử dụng lao động",
    "sđ": "sổ đỏ", "gcn": "giấy chứng nhận", "qsdđ": "quyền sử dụng đất",
    "qsdd": "quyền sử dụng đất", "gcnqsdđ": "giấy chứng nhận quyền sử dụng đất",
    "nvqs": "nghĩa vụ quân sự", "nvcđ": "nghĩa vụ công an", "csgt": "cảnh sát giao thông",
    "ubnd": "ủy ban nhân dân", "hđnd": "hội đồng nhân dân", "tand": "tòa án nhân dân",
    "vksnd": "viện kiểm sát nhân dân", "xkld": "xuất khẩu lao động", "xklđ": "xuất khẩu lao động",
    "tmđt": "thương mại điện tử", "tmdt": "thương mại điện tử", "tgpl": "trợ giúp pháp lý",
    "gđ": "gia đình", "qđ": "quyết định", "nđ": "nghị định",
    "hc": "học", "đh": "đại học", "dh": "đại học", "cđ": "cao đẳng", "thpt": "trung học phổ thông",
    "ck": "chồng", "vk": "vợ", "vc": "vợ chồng", "bme": "bố mẹ", "bm": "bố mẹ", "ny": "người yêu",
    "cx": "cũng", "cg": "cũng", "nma": "nhưng mà", "nhma": "nhưng mà", "nhg": "nhưng",
    "bít": "biết", "bik": "biết", "bjk": "biết", "lm": "làm", "ns": "nói", "đag": "đang", "dag": "đang",
    "trc": "trước", "thik": "thích", "iu": "yêu", "wá": "quá", "wa": "quá", "ak": "à", "ạk": "ạ",
    "tr": "triệu", "củ": "triệu", "tỉ": "tỷ", "đ": "đồng", "vnđ": "đồng", "vnd": "đồng",
    "sdt": "số điện thoại", "sđt": "số điện thoại", "dt": "điện thoại", "đt": "điện thoại",
    "tui": "tôi", "tao": "tôi", "t": "tôi", "ổng": "ông ấy", "bả": "bà ấy", "ảnh": "anh ấy",
    "bển": "bên đó", "răng": "sao", "rứa": "vậy", "mô": "nào", "ni": "này", "nớ": "đó", "chi": "gì",
    "hổng": "không", "hỏng": "không", "khum": "không", "hăm": "không",
}
# Only when the message has no diacritics (otherwise they are ordinary words).
_TEENCODE_FOLDED_ONLY: dict[str, str] = {"gi": "gì", "ma": "mà", "ko": "không"}
# Tokens that are also ordinary words in accented text ("chỉ", "ảnh", "mô", "ni", "chi", "răng", "t").
_DIALECT_CONTEXT = {"răng", "rứa", "mô", "ni", "nớ", "chi", "ảnh", "chỉ", "t", "tao", "a", "c", "e"}

_NUM_UNIT = re.compile(r"(\d+(?:[.,]\d+)?)\s?(tr|triệu|trieu|củ|cu|k|ty|tỷ|tỉ|ti)\b", re.I)
_UNIT_WORD = {"tr": "triệu", "trieu": "triệu", "triệu": "triệu", "củ": "triệu", "cu": "triệu",
              "k": "nghìn", "ty": "tỷ", "tỷ": "tỷ", "tỉ": "tỷ", "ti": "tỷ"}
_WORD = re.compile(r"[^\W_]+")
# "nghĩ" (think) typed for "nghỉ" (rest/leave) next to words of leave and work.
_NGHI_TYPO = re.compile(r"\bnghĩ(?=\s+(?:việc|phép|thai|hưu|lễ|tết|ốm|làm|mấy|bao|ngang|không lương|hằng năm|hàng năm)\b)|(?<=\bcho )nghĩ\b|(?<=\bđược )nghĩ\b|(?<=\bxin )nghĩ\b", re.I)

# "nhập khẩu" (import) said for "nhập hộ khẩu" (registering residence) when someone is registered into
# a household: "nhập khẩu cho con", "nhập khẩu vào nhà chồng". Goods are imported "vào Việt Nam", never
# "cho con" or "vào nhà".
_NHAP_KHAU = re.compile(r"\b(nhập|nhap) (khẩu|khau)(?=\s+(?:cho|vào|vao|về|ve)\s+(?:con|vợ|vo|chồng|chong|cháu|chau|bé|be|mẹ|me|"
                        r"bố|bo|ba|má|ma|em|nhà|nha|hộ|ho)\b)", re.I)


def _unit(m: re.Match[str]) -> str:
    return f"{m.group(1)} {_UNIT_WORD.get(m.group(2).lower(), m.group(2))}"


def expand_teencode(text: str) -> str:
    """Chat abbreviations and dialect words to standard Vietnamese ('ko dc' -> 'không được')."""
    text = _NUM_UNIT.sub(_unit, text)
    text = _NGHI_TYPO.sub("nghỉ", text)
    text = _NHAP_KHAU.sub(lambda m: "nhập hộ khẩu" if m.group(1).lower() == "nhập" else "nhap ho khau", text)
    plain = accent_ratio(text) < 0.15
    words = list(_WORD.finditer(text))
    out: list[str] = []
    last = 0
    for i, m in enumerate(words):
        low = m.group(0).lower()
        rep = _TEENCODE.get(low)
        if rep is None and plain:
            rep = _TEENCODE_FOLDED_ONLY.get(low)
        if rep is not None and low in _DIALECT_CONTEXT:
            prev = words[i - 1].group(0).lower() if i > 0 else ""
            nxt = words[i + 1].group(0).lower() if i + 1 < len(words) else ""
            if text[m.end() : m.end() + 2].strip()[:1] in {"?", ".", "!", ","}:
                nxt = "?"
            rep = _dialect(low, prev, nxt, rep)
        out.append(text[last : m.start()])
        out.append(rep if rep is not None else m.group(0))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def _dialect(low: str, prev: str, nxt: str, rep: str) -> str | None:
    """Dialect/pronoun shortcuts only where they cannot be the ordinary word."""
    if low in {"a", "c", "e"}:
        # "điểm a", "khoản a": a point label, not "anh"
        return None if prev in {"điểm", "diem", "mục", "muc"} else rep
    if low == "rứa":
        return rep
    if low in {"răng", "mô", "nớ"}:
        return rep if prev in {"phạt", "làm", "thì", "xe", "là", "bị", "chỗ", "đi", "như", "mần", "rứa", "răng", "tính", "nói"} or nxt in {"", "?", "hả", "ạ", "rứa", "răng"} else None
    if low == "ni":
        return rep if prev in {"năm", "tháng", "bữa", "hôm", "chỗ", "việc", "cái", "người"} else None
    if low == "chi":
        return rep if prev in {"làm", "cái", "là", "có", "giấy", "tiền"} or nxt in {"", "?"} else None
    if low in {"ảnh", "chỉ"}:
        return rep if nxt in {"nói", "bảo", "bắt", "kêu", "đòi", "không", "ko", "có", "đã", "đang", "muốn"} and prev in {"", ",", "mà", "thì", "nhưng", "là"} else None
    if low in {"t", "tao"}:
        return rep if nxt not in {"", "?"} and not prev[:1].isdigit() else None
    return rep


# ---------------------------------------------------------------------------------------------
# Everyday words -> legal terms (appended to the retrieval query, never shown)

# The law's own term for everyday words ("sổ đỏ" -> "giấy chứng nhận quyền sử dụng đất", "đuổi việc" ->
# "đơn phương chấm dứt hợp đồng lao động"): data with a source per entry, in bot/core/legal_terms.yaml.
# Meaning beyond these is matched by the FAQ's sentence vectors, not by phrases.
_DIVORCE_SPLIT = "chia tài sản khi ly hôn"
_INHERITANCE = "thừa kế theo pháp luật hàng thừa kế chia di sản"
_DEATH = re.compile(r"\b(mat|chet|qua doi|tu tran|di chuc|thua ke|di san)\b")


def legal_terms(text: str) -> list[str]:
    """Legal wording for the everyday expressions found in `text` (in order, without repeats)."""
    folded = cue_form(text)
    out: list[str] = []
    for entry in lexicon.legal_terms():
        if entry.match.search(folded) and entry.term not in out \
                and (entry.unless is None or entry.unless.search(folded) is None):
            out.append(entry.term)
    if _DIVORCE_SPLIT in out and _INHERITANCE in out and not _DEATH.search(folded):
        out.remove(_INHERITANCE)  # "ly hôn thì chia nhà thế nào": the spouses' property, nobody died
    return out


# ---------------------------------------------------------------------------------------------
# The legal question inside a story

_SENT_SPLIT = re.compile(r"(?<=[.?!;\n])\s+|(?<=\?)")
_QUESTION_CUES = re.compile(
    r"\?|\b(co duoc|duoc khong|duoc ko|co phai|phai khong|bao nhieu|bao lau|bao gio|may (ngay|thang|nam|tuoi|tieng|gio|lan|dong|phan tram)|"
    r"the nao|nhu the nao|ntn|ra sao|lam sao|lam gi|phai lam|the sao|thi sao|co dung|dung khong|dung ko|dung luat|"
    r"hay khong|co sao|o dau|khi nao|luc nao|ai (se|phai|duoc)|cho ai|nho ai|co mat|co bi|co can|can gi|giay to gi|"
    r"khong a|ko a|k a|khong vay|ko vay|khong z|ko z|hong|hem|chua|khong\s*$|ko\s*$|k\s*$|nhi|ha)\b"
)


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENT_SPLIT.split(text) if p and p.strip()]
    out: list[str] = []
    for p in parts:
        # long comma-joined chat lines: a clause is a sentence
        if len(p) > 220 and p.count(",") >= 2:
            out.extend(s.strip() for s in p.split(",") if s.strip())
        else:
            out.append(p)
    return out


def is_question(sentence: str) -> bool:
    return bool(_QUESTION_CUES.search(cue_form(sentence)))


def extract_question(text: str, max_chars: int = 260) -> str:
    """The sentences that ask something (plus the one before a very short question) from a long story."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    sents = sentences(text)
    keep: list[int] = []
    for i, s in enumerate(sents):
        if is_question(s):
            if i > 0 and len(s.split()) <= 8 and i - 1 not in keep:
                keep.append(i - 1)  # "Vậy có được không?" refers to the sentence before
            keep.append(i)
    if not keep:
        keep = [len(sents) - 1]
    return " ".join(sents[i] for i in sorted(set(keep)))


# ---------------------------------------------------------------------------------------------
# Whole pipeline


@dataclass(frozen=True)
class Cleaned:
    """A message ready for the core: `text` for rules and display logic, `query` for retrieval."""

    original_len: int
    text: str  # repaired, markup removed, PII masked, NFC, teencode expanded
    query: str  # legal question + legal terms, for the retriever
    had_html: bool
    had_url: bool
    had_pii: bool
    plain: bool  # typed without diacritics
    truncated: bool


# A sum of money in a citizen's story ("nợ 50 triệu", "lương 7tr") is a fact of their case, not a
# search term: left in the query it pulls up budget and fee articles that happen to quote the figure.
_AMOUNT = re.compile(
    r"(?<![\w.,])\d+(?:[.,]\d+)*\s*(?:triệu|trieu|tr|nghìn|nghin|ngàn|ngan|k|tỷ|tỉ|ty|ti|củ|cu)(?!\w)"
    r"(?:\s*(?:đồng|dong|đ|vnđ|vnd)(?!\w))?",
    re.IGNORECASE,
)


def clean_message(raw: str, max_chars: int = 2000) -> Cleaned:
    """Normalise a citizen message; processes at most `max_chars` characters of it."""
    raw = raw or ""
    original_len = len(raw)
    truncated = original_len > max_chars
    text = nfc(repair_mojibake(raw[: max_chars * 2]))
    # masked before the markup goes (an e-mail's domain would be stripped as a link, leaving
    # "lan.nguyen@") and after (removed tags may join the halves of a number)
    premasked = mask_pii(text)
    stripped = strip_markup(premasked)
    text = stripped.text
    if len(text) > max_chars:
        truncated = True
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > max_chars // 2 else max_chars]
    masked = mask_pii(text)
    # masked at intake already, or just now
    had_pii = holds_mask(masked)
    plain = accent_ratio(masked) < 0.15
    expanded = expand_teencode(masked)
    question = extract_question(expanded)
    terms = legal_terms(expanded)
    query = " ".join([_AMOUNT.sub(" ", question), *terms]).strip()
    if plain:
        # A question typed without accents is matched on folded terms only; keep the whole query folded.
        query = strip_diacritics(query)
    return Cleaned(original_len, expanded, query, stripped.had_html, stripped.had_url, had_pii, plain, truncated)
