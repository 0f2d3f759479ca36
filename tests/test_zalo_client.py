"""The real ZaloClient against a local fake Zalo Bot API server (and httpx.MockTransport for edge cases)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.channels.zalo.client import (
    ZaloBadRequest,
    ZaloClient,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
)
from tests.auxil.fake_zalo import TOKEN, FakeZalo, text_event


@pytest.fixture(scope="module")
def server() -> Iterator[FakeZalo]:
    fake = FakeZalo()
    with fake.running():
        yield fake


@pytest.fixture
def fake(server: FakeZalo) -> FakeZalo:
    server.up()
    server.calls.clear()
    server.webhook = {}
    return server


@pytest.fixture
async def client(fake: FakeZalo) -> AsyncIterator[ZaloClient]:
    assert fake.base_url
    async with ZaloClient(TOKEN, fake.base_url, timeout=1.0, backoff_base=0.01) as c:
        yield c


async def test_get_me_and_invalid_token(fake: FakeZalo, client: ZaloClient) -> None:
    assert (await client.get_me())["account_name"] == "lawbot.test"
    assert fake.base_url
    async with ZaloClient("999:wrong", fake.base_url, backoff_base=0.01) as bad:
        with pytest.raises(ZaloUnauthorized):
            await bad.get_me()


def test_malformed_token_is_refused_before_any_request() -> None:
    with pytest.raises(ZaloUnauthorized):
        ZaloClient("abc/../def")


async def test_get_updates_returns_one_update_per_call_and_nothing_on_408(
    fake: FakeZalo, client: ZaloClient
) -> None:
    fake.push_update(text_event("m1", "Xin chào"))
    fake.push_update(text_event("m2", "Câu hỏi"))
    first = await client.get_updates(timeout=1)
    second = await client.get_updates(timeout=1)
    assert [u["message"]["message_id"] for u in first + second] == ["m1", "m2"]
    assert await client.get_updates(timeout=1) == []  # the fake answered 408


async def test_webhook_methods(fake: FakeZalo, client: ZaloClient) -> None:
    await client.set_webhook("https://bot.example.org/webhooks/zalo", "s3cret-s3cret")
    assert fake.webhook["secret_token"] == "s3cret-s3cret"
    assert (await client.get_webhook_info())["url"] == "https://bot.example.org/webhooks/zalo"
    await client.delete_webhook()
    assert (await client.get_webhook_info())["url"] == ""
    with pytest.raises(ValueError):
        await client.set_webhook("http://insecure.example.org/x", "s3cret-s3cret")


async def test_long_text_goes_out_in_parts_cut_before_articles(
    fake: FakeZalo, client: ZaloClient
) -> None:
    article = "Điều {n}. Thời giờ làm việc\n" + ("Người lao động được nghỉ. " * 50)
    text = "\n".join(article.format(n=n) for n in (105, 106, 107))  # ~3 x 1,290 characters
    await client.send_message("zu-1", text)
    parts = fake.sent_texts("zu-1")
    assert len(parts) == 3
    assert all(1 <= len(p) <= 2000 for p in parts)
    assert [p.split(".")[0] for p in parts] == ["Điều 105", "Điều 106", "Điều 107"]


async def test_empty_text_is_refused_locally(fake: FakeZalo, client: ZaloClient) -> None:
    with pytest.raises(ValueError):
        await client.send_message("zu-1", "   ")
    assert fake.calls_to("sendMessage", ok_only=False) == []


async def test_5xx_and_429_are_retried_then_succeed(fake: FakeZalo, client: ZaloClient) -> None:
    fake.fail_next(2, 502, methods={"sendMessage"})
    fake.rate_limit_next(1, retry_after=0.05, methods={"sendMessage"})
    await client.send_message("zu-2", "Xin chào")
    attempts = fake.calls_to("sendMessage", ok_only=False)
    assert len(attempts) == 4
    assert fake.sent_texts("zu-2") == ["Xin chào"]


async def test_timeouts_are_retried(fake: FakeZalo, client: ZaloClient) -> None:
    fake.hang_next(1, seconds=1.5, methods={"sendMessage"})
    await client.send_message("zu-3", "Xin chào")
    assert fake.sent_texts("zu-3") == ["Xin chào"]


async def test_gives_up_after_max_retries_with_typed_errors(
    fake: FakeZalo, client: ZaloClient
) -> None:
    fake.fail_next(10, 503, methods={"sendMessage"})
    with pytest.raises(ZaloServerError):
        await client.send_message("zu-4", "Xin chào", max_retries=2)
    assert len(fake.calls_to("sendMessage", ok_only=False)) == 3
    fake.up()
    fake.rate_limit_next(5, retry_after=0.01, methods={"sendMessage"})
    with pytest.raises(ZaloRateLimited):
        await client.send_message("zu-4", "Xin chào", max_retries=1)


async def test_client_errors_are_not_retried(fake: FakeZalo, client: ZaloClient) -> None:
    with pytest.raises(ZaloBadRequest):
        await client.call("sendMessage", {"chat_id": "zu-5", "text": "x" * 2001})
    assert len(fake.calls_to("sendMessage", ok_only=False)) == 1


async def test_ok_false_in_a_200_answer_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": False, "error_code": 401, "description": "expired"})

    async with ZaloClient("1:x", transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(ZaloUnauthorized, match="expired"):
            await c.get_me()


async def test_connection_refused_is_a_network_error() -> None:
    async with ZaloClient("1:x", "http://127.0.0.1:9", max_retries=1, backoff_base=0.01) as c:
        with pytest.raises(ZaloNetworkError):
            await c.get_me()


async def test_token_never_appears_in_logs_or_errors(
    fake: FakeZalo, client: ZaloClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    fake.fail_next(1, 500)
    fake.hang_next(1, seconds=1.5)
    await client.send_message("zu-6", "Xin chào")
    errors: list[str] = []
    fake.fail_next(10, 500)
    try:
        await client.get_me()
    except ZaloServerError as exc:
        errors.append(str(exc))
    assert "retry" in caplog.text  # the retries were logged ...
    assert TOKEN not in caplog.text  # ... by method name only
    assert TOKEN not in repr(client)
    assert errors and TOKEN not in errors[0]
