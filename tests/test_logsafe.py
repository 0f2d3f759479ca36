"""Logs never contain a phone number, a CCCD number, an e-mail address or a bot token, whoever logs them."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.core.texts import BANK_MASK, EMAIL_MASK, ID_MASK, PHONE_MASK
from bot.runtime.logsafe import PiiFilter, mask_pii, setup_logging

TOKEN = "7123456789:AAHk3xQ_9v-ZpLm2NbCdEfGhIjKlMnOpQrS"
SECRETS = [
    "0912345678",
    "0912 345 678",
    "091.234.5678",
    "+84912345678",
    "+84 912 345 678",
    "(+84) 912-345-678",
    "001099012345",
    "001 099 012 345",
    "001-099-012-345",
    "(+84)912345678",
    "84912345678",
    "0912  345678",
    "(091) 234 5678",
    "０９１２３４５６７８",
    "024 3825 1234",
    TOKEN,
]


@pytest.fixture
def masked_logging() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    setup_logging("DEBUG", secrets=["zalo-secret-value-123"])
    yield
    logging.setLogRecordFactory(factory)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("secret", SECRETS)
def test_mask_pii_hides_each_form(secret: str) -> None:
    masked = mask_pii(f"Liên hệ: {secret}, cảm ơn")
    assert secret not in masked
    digits = "".join(ch for ch in secret if ch.isdigit())
    assert digits[-6:] not in "".join(ch for ch in masked if ch.isdigit())
    assert masked.startswith("Liên hệ: [") and masked.endswith("], cảm ơn")


def test_mask_pii_keeps_ordinary_numbers() -> None:
    text = "Điều 113 khoản 1, phạt 5.000.000 đồng, thiệt hại 100.000.000.000 đồng, năm 2019, update 123456789"
    assert mask_pii(text) == text


def test_logs_and_storage_mask_alike() -> None:
    """One masker: what the database would never hold, the logs never hold either."""
    from bot.core.pii import mask_pii as storage_mask

    text = "Chị Lan lan.nguyen@gmail.com, (+84)912345678, CCCD 001-203-004-567, STK 0123456789, Điều 113"
    assert mask_pii(text) == storage_mask(text)
    assert mask_pii(text) == f"Chị Lan {EMAIL_MASK}, {PHONE_MASK}, CCCD {ID_MASK}, STK {BANK_MASK}, Điều 113"


def test_every_log_record_is_masked(masked_logging: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("bot.some.module")
    log.info("citizen %s wrote: %s", "u1", "gọi tôi 0912 345 678 hoặc CCCD 001099012345")
    log.warning("POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN)
    logging.getLogger("telegram.ext").error("token %s", "zalo-secret-value-123")
    try:
        raise ValueError(f"bad chat for +84 912 345 678 via bot{TOKEN}")
    except ValueError:
        log.exception("delivery failed")
    text = caplog.text
    for secret in [*SECRETS, "zalo-secret-value-123"]:
        assert secret not in text
    assert PHONE_MASK in text and ID_MASK in text and "[token]" in text and "[secret]" in text
    assert "delivery failed" in text and "ValueError" in text  # the message itself survives


def test_http_client_loggers_are_quiet(masked_logging: None) -> None:
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING


def test_filter_masks_records_made_elsewhere() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "phone %s", ("0987654321",), None)
    assert PiiFilter().filter(record) is True
    assert record.getMessage() == f"phone {PHONE_MASK}"
