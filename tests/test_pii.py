"""The one PII masker: every written form of a phone, CCCD/CMND, e-mail or labelled bank number is
masked; legal references, amounts, dates and years are left exactly as the citizen wrote them."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.pii import has_pii, holds_mask, mask_payload, mask_pii
from bot.core.texts import BANK_MASK, EMAIL_MASK, ID_MASK, PHONE_MASK

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# words around the number: no digit, so any digit left in the output came from the number
CONTEXT = st.sampled_from(
    ["Số của tôi là", "gọi giúp em", "liên hệ:", "Chị ơi,", "", "SĐT", "nhắn vào", "(", "tôi ở Hà Nội"]
)
AFTER = st.sampled_from(["", ".", " nhé", ", cảm ơn", "?", " ạ", ")", " để được tư vấn"])
SEPARATORS = st.sampled_from([" ", "  ", ".", "-", " - ", "\u00a0", "\u200b", "－", "．"])


def digits_of(text: str) -> str:
    return "".join(str(int(ch)) for ch in text if ch.isdigit())


def assert_no_six_digit_run_survives(secret: str, masked: str) -> None:
    secret_digits, left = digits_of(secret), digits_of(masked)
    runs = {secret_digits[i : i + 6] for i in range(len(secret_digits) - 5)}
    assert not [r for r in runs if r in left], (secret, masked)


@st.composite
def grouped(draw: st.DrawFn, digits: str) -> str:
    """The digits cut into groups of 2-5 joined by one kind of separator (or none)."""
    if draw(st.booleans()):
        return digits
    sep = draw(SEPARATORS)
    groups, rest = [], digits
    while rest:
        size = draw(st.integers(2, 5))
        groups.append(rest[:size])
        rest = rest[size:]
    return sep.join(groups)


@st.composite
def phones(draw: st.DrawFn) -> str:
    """A Vietnamese phone number as people write it: mobile or landline, with or without a country
    prefix, grouped, bracketed, in full-width digits."""
    kind = draw(st.sampled_from(["mobile", "landline"]))
    if kind == "mobile":
        national = draw(st.sampled_from("35789")) + draw(st.text("0123456789", min_size=8, max_size=8))
    else:  # 024 3825 1234: area code 2x then 8 digits
        national = "2" + draw(st.text("0123456789", min_size=9, max_size=9))
    prefix = draw(st.sampled_from(["0", "+84", "+84 ", "84", "0084 ", "(+84)", "(+84) ", "+84 (0)", "+84 0", "(0"]))
    if prefix == "(0":  # "(091) 234 5678": the first group in brackets
        first = 2 if kind == "mobile" else 3
        number = f"(0{national[:first]}) " + draw(grouped(national[first:]))
    else:
        number = prefix + draw(grouped(national))
    if draw(st.booleans()):
        number = number.translate(FULL_WIDTH)
    return number


@st.composite
def cccds(draw: st.DrawFn) -> str:
    """A 12-digit CCCD (province code 001-096, century/sex digit, birth year, 6 digits), with or
    without a label, plain or grouped 3-3-3-3, 4-4-4 or 6-6."""
    digits = (
        f"{draw(st.integers(1, 96)):03d}{draw(st.integers(0, 3))}{draw(st.integers(0, 99)):02d}"
        + draw(st.text("0123456789", min_size=6, max_size=6))
    )
    size = draw(st.sampled_from([12, 3, 4, 6]))
    sep = draw(SEPARATORS)
    number = sep.join(digits[i : i + size] for i in range(0, 12, size))
    if draw(st.booleans()):
        number = number.translate(FULL_WIDTH)
    return draw(st.sampled_from(["", "CCCD ", "CCCD: ", "số căn cước công dân ", "cccd số "])) + number


@st.composite
def cmnds(draw: st.DrawFn) -> str:
    """A 9-digit CMND: only masked with its label (9 digits alone are often an update id)."""
    digits = draw(st.text("0123456789", min_size=9, max_size=9))
    number = digits if draw(st.booleans()) else draw(SEPARATORS).join([digits[:3], digits[3:6], digits[6:]])
    return draw(st.sampled_from(["CMND ", "số CMND: ", "chứng minh nhân dân số ", "CMT "])) + number


LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(LOCAL) + "".join(draw(st.lists(st.tuples(st.sampled_from("._+-"), LOCAL).map("".join), max_size=2)))
    domain = draw(st.sampled_from(["gmail.com", "yahoo.com.vn", "tgpl.gov.vn", "hcmus.edu.vn", "outlook.com", "x.io"]))
    return f"{local}@{domain}"


@st.composite
def bank_accounts(draw: st.DrawFn) -> str:
    digits = draw(st.text("0123456789", min_size=6, max_size=19))
    label = draw(st.sampled_from(["STK", "stk:", "số tài khoản", "Số TK", "tk ngân hàng", "tài khoản ngân hàng Vietcombank", "so tai khoan"]))
    gap = draw(st.sampled_from([" ", ": ", " là ", " của em là ", " Agribank "]))
    return label + gap + draw(grouped(digits))


@settings(max_examples=400, deadline=None)
@given(before=CONTEXT, number=phones(), after=AFTER)
def test_every_phone_format_is_masked(before: str, number: str, after: str) -> None:
    masked = mask_pii(f"{before} {number}{after}")
    assert_no_six_digit_run_survives(number, masked)
    assert PHONE_MASK in masked or ID_MASK in masked


@settings(max_examples=300, deadline=None)
@given(before=CONTEXT, number=cccds(), after=AFTER)
def test_every_cccd_format_is_one_id_mask(before: str, number: str, after: str) -> None:
    masked = mask_pii(f"{before} {number}{after}")
    assert_no_six_digit_run_survives(number, masked)
    assert masked.count(ID_MASK) == 1 and PHONE_MASK not in masked, masked


@settings(max_examples=200, deadline=None)
@given(number=cmnds(), after=AFTER)
def test_labelled_cmnd_is_masked(number: str, after: str) -> None:
    masked = mask_pii(f"Tôi mất {number}{after}")
    assert_no_six_digit_run_survives(number, masked)
    assert ID_MASK in masked


@settings(max_examples=300, deadline=None)
@given(before=CONTEXT, address=emails(), after=AFTER)
def test_every_email_is_masked_whole(before: str, address: str, after: str) -> None:
    masked = mask_pii(f"{before} {address}{after}")
    assert "@" not in masked and address.split("@")[1] not in masked
    assert EMAIL_MASK in masked
    assert_no_six_digit_run_survives(address, masked)


@settings(max_examples=300, deadline=None)
@given(account=bank_accounts(), after=AFTER)
def test_labelled_bank_account_is_masked(account: str, after: str) -> None:
    masked = mask_pii(f"Em bị lừa chuyển tiền, {account}{after}")
    assert_no_six_digit_run_survives(account, masked)
    assert BANK_MASK in masked


@st.composite
def legal_and_amounts(draw: st.DrawFn) -> str:
    """Numbers a legal question is full of and that must reach the retriever untouched."""
    n = draw(st.integers(1, 999))
    year = draw(st.integers(1945, 2035))
    million = draw(st.integers(1, 999))
    day, month = draw(st.integers(1, 28)), draw(st.integers(1, 12))
    return draw(
        st.sampled_from(
            [
                f"Điều {n}",
                f"khoản {draw(st.integers(1, 20))} Điều {n}",
                f"điểm a khoản 2 Điều {n} Bộ luật Dân sự {year}",
                f"Nghị định {n}/{year}/NĐ-CP",
                f"Nghị định số {n:03d}/{year}/NĐ-CP",
                f"Thông tư {draw(st.integers(1, 99)):02d}/{year}/TT-BCA",
                f"Luật số {draw(st.integers(1, 99))}/{year}/QH{draw(st.integers(10, 15))}",
                f"năm {year}",
                f"{million}.000.000 đồng",
                f"{million}.{draw(st.integers(0, 999)):03d}.000.000 đồng",
                f"{million}.000.000.000 đồng",
                f"{million}000000000 đồng",
                f"{million} triệu",
                f"{million}tr",
                f"{million}.000đ",
                f"{million},5 tỷ",
                f"ngày {day:02d}/{month:02d}/{year}",
                f"ngày {day:02d}.{month:02d}.{year} lúc {draw(st.integers(0, 23))} giờ",
                f"ngày {day:02d}-{month:02d}-{year}",
                f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}",
                f"0,{draw(st.integers(1, 99))} miligam",
                f"{draw(st.integers(1, 80))} tuổi",
                f"phạt từ {million}.000.000 đến {million + 1}.000.000 đồng",
                f"gọi {draw(st.sampled_from(['113', '114', '115', '111', '1900 1234']))}",
            ]
        )
    )


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(legal_and_amounts(), min_size=1, max_size=4))
def test_legal_references_amounts_and_dates_survive(parts: list[str]) -> None:
    text = "Theo " + ", ".join(parts) + " thì tôi bị phạt bao nhiêu?"
    assert mask_pii(text) == text
    assert not has_pii(text)


@settings(max_examples=200, deadline=None)
@given(ref=legal_and_amounts(), number=st.one_of(phones(), cccds(), emails()))
def test_personal_number_next_to_a_legal_reference(ref: str, number: str) -> None:
    masked = mask_pii(f"{ref}, liên hệ {number} giúp tôi")
    assert masked.startswith(f"{ref}, liên hệ ") and masked.endswith("] giúp tôi")
    assert_no_six_digit_run_survives(number, masked)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_masking_is_idempotent_and_never_crashes(text: str) -> None:
    once = mask_pii(text)
    assert mask_pii(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the forms that leaked before (issue 13)
        ("(+84)912345678", PHONE_MASK),
        ("84912345678", PHONE_MASK),
        ("0912  345678", PHONE_MASK),
        ("(091) 234 5678", PHONE_MASK),
        ("０９１２３４５６７８", PHONE_MASK),
        ("024 3825 1234", PHONE_MASK),
        ("+84 (0) 912-345-678", PHONE_MASK),
        ("001-203-004-567", ID_MASK),
        ("lan.nguyen@gmail.com", EMAIL_MASK),
        ("STK: 0123 4567 8901", f"STK: {BANK_MASK}"),
    ],
)
def test_forms_that_leaked_before_are_masked_whole(text: str, expected: str) -> None:
    assert mask_pii(f"Liên hệ {text}, cảm ơn") == f"Liên hệ {expected}, cảm ơn"


@pytest.mark.parametrize("after", [" k được", " ko", " tr", " trước 5 giờ", " đi", " dc", " tí nữa", " tý nữa"])
def test_chat_words_after_a_number_do_not_pass_for_money(after: str) -> None:
    assert mask_pii(f"gọi 0912345678{after}") == f"gọi {PHONE_MASK}{after}"


def test_money_in_an_account_sentence_stays() -> None:
    text = "Tài khoản ngân hàng của tôi bị trừ 5.000.000 đồng, số tài khoản bị khóa 3 ngày"
    assert mask_pii(text) == text


def test_text_without_personal_data_is_returned_unchanged_even_when_not_nfc() -> None:
    decomposed = "Tie\u0302\u0300n lu\u031bo\u031bng 5 trie\u0323u"  # NFD, as some keyboards send
    assert mask_pii(decomposed) is decomposed
    assert "[" in mask_pii(decomposed + " 0912345678")


def test_already_masked_text_is_recognised() -> None:
    assert holds_mask(mask_pii("gọi 0912345678"))
    assert not holds_mask("gọi tôi nhé")


def test_payload_text_is_masked_and_ids_kept() -> None:
    update = {
        "update_id": 912345678,
        "message": {
            "message_id": "0912345678",
            "from": {"id": "0912345678", "first_name": "Lan 0912345678", "username": "lan@x.vn"},
            "chat": {"id": 987654321},
            "date": "0912345678",
            "text": "CCCD 001203004567, email lan.nguyen@gmail.com",
            "entities": [{"type": "phone_number", "offset": 0, "length": 10}],
            "contact": {"phone_number": "+84912345678", "user_id": 5},
        },
    }
    masked = mask_payload(update)
    message = masked["message"]
    assert message["text"] == f"CCCD {ID_MASK}, email {EMAIL_MASK}"
    assert message["from"] == {"id": "0912345678", "first_name": f"Lan {PHONE_MASK}", "username": EMAIL_MASK}
    assert message["contact"] == {"phone_number": PHONE_MASK, "user_id": 5}
    assert masked["update_id"] == 912345678 and message["message_id"] == "0912345678"
    assert message["chat"] == {"id": 987654321} and message["entities"] == update["message"]["entities"]
    assert update["message"]["text"].startswith("CCCD 0012")  # the caller's copy is not changed


def test_deeply_nested_payload_is_copied_without_recursion_error() -> None:
    deep: dict[str, object] = {"text": "0912345678"}
    for _ in range(5000):
        deep = {"a": [deep]}
    masked = mask_payload(deep)
    for _ in range(5000):
        masked = masked["a"][0]
    assert masked == {"text": PHONE_MASK}


def test_long_hostile_input_is_masked_quickly() -> None:
    hostile = ["a" * 200_000, "0" * 200_000, "1." * 100_000, "0912 " * 40_000, "stk " * 50_000]
    started = time.perf_counter()
    for text in hostile:
        mask_pii(text)
    assert time.perf_counter() - started < 5


def test_clean_message_masks_email_before_links_and_numbers_split_by_tags() -> None:
    from bot.core.clean import clean_message

    cleaned = clean_message("Em là lan.nguyen@gmail.com, gọi 0912<b>345678</b>, xem http://x.vn nhé")
    assert "lan.nguyen" not in cleaned.text and EMAIL_MASK in cleaned.text
    assert "345678" not in cleaned.text and PHONE_MASK in cleaned.text


@pytest.mark.parametrize("masked_at_intake", [False, True])
def test_citizen_is_still_warned_when_the_number_was_masked_at_intake(masked_at_intake: bool) -> None:
    from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
    from bot.core import texts
    from bot.core.config import AssistantConfig
    from bot.core.faq_match import FaqMatcher
    from bot.core.models import Channel, IncomingMessage
    from bot.core.service import Assistant
    from bot.core.writer import ExtractiveWriter
    from tests.auxil.core_fakes import FakeRetriever

    retriever = FakeRetriever()
    conversations = InMemoryConversationStore()
    assistant = Assistant(
        retriever, FaqMatcher([]), ExtractiveWriter(built_at=lambda: retriever.built_at),
        conversations, InMemoryTicketStore(), AssistantConfig(),
    )
    text = "Số em 0912 345 678, công ty cho nghỉ thai sản mấy tháng?"
    reply = assistant.handle(
        IncomingMessage(Channel.TELEGRAM, "u1", "u1", mask_pii(text) if masked_at_intake else text, "1"), 2000
    )
    assert texts.PII_WARNING in reply.text
    [question, _answer] = conversations.load(Channel.TELEGRAM, "u1", "u1").turns
    assert question.text == f"Số em {PHONE_MASK}, công ty cho nghỉ thai sản mấy tháng?"
