"""The real ZaloClient against a local fake Zalo Bot API server (and httpx.MockTransport for edge cases).

The client makes one attempt per call (the outbox worker owns retries): each failure is typed, and a
timeout is told apart from a request that never left (its outcome is unknown)."""

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
    ZaloUnknownOutcome,
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
    async with ZaloClient(TOKEN, fake.base_url, timeout=1.0) as c:
        yield c


async def test_get_me_and_invalid_token(fake: FakeZalo, client: ZaloClient) -> None:
    assert (await client.get_me())["account_name"] == "lawbot.test"
    assert fake.base_url
    async with ZaloClient("999:wrong", fake.base_url) as bad:
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


async def test_text_over_the_limit_is_refused_locally(fake: FakeZalo, client: ZaloClient) -> None:
    # long replies are split by the renderer, so that each part's delivery is recorded
    with pytest.raises(ValueError):
        await client.send_message("zu-1", "x" * 2001)
    await client.send_message("zu-1", "x" * 2000)
    assert fake.sent_texts("zu-1") == ["x" * 2000]


async def test_empty_text_is_refused_locally(fake: FakeZalo, client: ZaloClient) -> None:
    with pytest.raises(ValueError):
        await client.send_message("zu-1", "   ")
    assert fake.calls_to("sendMessage", ok_only=False) == []


async def test_5xx_and_429_are_typed_and_not_retried_inside_the_call(
    fake: FakeZalo, client: ZaloClient
) -> None:
    fake.fail_next(1, 502, methods={"sendMessage"})
    with pytest.raises(ZaloServerError):
        await client.send_message("zu-2", "Xin chào")
    fake.rate_limit_next(1, retry_after=7, methods={"sendMessage"})
    with pytest.raises(ZaloRateLimited) as limited:
        await client.send_message("zu-2", "Xin chào")
    assert limited.value.retry_after == 7
    assert len(fake.calls_to("sendMessage", ok_only=False)) == 2
    assert fake.sent_texts("zu-2") == []
    await client.send_message("zu-2", "Xin chào")
    assert fake.sent_texts("zu-2") == ["Xin chào"]


async def test_a_timeout_is_an_unknown_outcome_and_is_not_retried(
    fake: FakeZalo, client: ZaloClient
) -> None:
    fake.hang_next(1, seconds=1.5, methods={"sendMessage"})
    with pytest.raises(ZaloUnknownOutcome):
        await client.send_message("zu-3", "Xin chào")
    assert len(fake.calls_to("sendMessage", ok_only=False)) <= 1  # the hung call, if logged yet
    assert fake.sent_texts("zu-3") == []


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


async def test_connection_refused_is_a_network_error_not_an_unknown_outcome() -> None:
    async with ZaloClient("1:x", "http://127.0.0.1:9") as c:
        with pytest.raises(ZaloNetworkError) as refused:
            await c.get_me()
    assert not isinstance(refused.value, ZaloUnknownOutcome)  # nothing left: safe to retry


async def test_token_never_appears_in_logs_or_errors(
    fake: FakeZalo, client: ZaloClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    errors: list[str] = []
    fake.fail_next(1, 500)
    fake.hang_next(1, seconds=1.5)
    for _ in range(2):
        try:
            await client.send_message("zu-6", "Xin chào")
        except (ZaloServerError, ZaloUnknownOutcome) as exc:
            errors.append(str(exc))
    assert "sendMessage" in caplog.text  # calls are logged ...
    assert TOKEN not in caplog.text  # ... by method name only
    assert TOKEN not in repr(client)
    assert len(errors) == 2 and not any(TOKEN in e for e in errors)
