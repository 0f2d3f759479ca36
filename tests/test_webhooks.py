"""Webhooks: secret checks, size limit, validation, durable de-duplicated storage, 503 when storage is down."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.core.models import Channel
from bot.ingress.webhooks import webhook_routes
from bot.runtime.intake import Intake
from bot.runtime.metrics import Metrics
from bot.storage.db import Database
from bot.storage.inbox import Inbox
from tests.auxil.fake_telegram import private_message
from tests.auxil.fake_zalo import text_event

TG_SECRET = "tg_secret-123"
ZALO_SECRET = "zalo-secret-123456"
TG_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
ZALO_HEADERS = {"X-Bot-Api-Secret-Token": ZALO_SECRET}
MIB = 1_048_576


def build(inbox: Any, *, zalo: bool = True) -> tuple[Starlette, Metrics]:
    channels: dict[Channel, Any] = {
        Channel.TELEGRAM: TelegramChannel("1:tg", "http://127.0.0.1:9/bot", TG_SECRET)
    }
    if zalo:
        channels[Channel.ZALO] = ZaloChannel(
            ZaloClient("2:zalo", "http://127.0.0.1:9"), ZALO_SECRET
        )
    metrics = Metrics()
    parsers = {c: a.parse for c, a in channels.items()}
    intake = Intake(inbox, metrics, parsers)
    return Starlette(routes=webhook_routes(channels, intake, metrics, MIB)), metrics


@pytest.fixture
def inbox(db: Database) -> Inbox:
    return Inbox(db)


@pytest.fixture
async def client(inbox: Inbox) -> AsyncIterator[httpx.AsyncClient]:
    app, _ = build(inbox)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as c:
        yield c


async def test_telegram_update_is_stored_once(client: httpx.AsyncClient, inbox: Inbox) -> None:
    update = private_message(1001, "Thử việc tối đa bao lâu?", user_id=77)
    first = await client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
    again = await client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
    assert (first.status_code, first.json()["duplicate"]) == (200, False)
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    [item] = inbox.claim(10, "w")
    assert item.update_key == "1001" and item.chat_key == "77"
    assert item.payload == update


async def test_zalo_wrapped_and_flat_payloads_are_the_same_update(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    flat = await client.post(
        "/webhooks/zalo", json=text_event("m-1", "Xin chào"), headers=ZALO_HEADERS
    )
    wrapped = await client.post(
        "/webhooks/zalo", json=text_event("m-1", "Xin chào", wrapped=True), headers=ZALO_HEADERS
    )
    assert flat.status_code == wrapped.status_code == 200
    assert wrapped.json()["duplicate"] is True
    assert inbox.backlog() == 1


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/webhooks/telegram", {}, 401),
        ("/webhooks/telegram", {"X-Telegram-Bot-Api-Secret-Token": "tg_secret-12"}, 403),
        ("/webhooks/telegram", {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET + "x"}, 403),
        ("/webhooks/telegram", ZALO_HEADERS, 401),  # the other platform's header does not count
        ("/webhooks/zalo", {}, 401),
        ("/webhooks/zalo", {"X-Bot-Api-Secret-Token": "guess-guess-guess"}, 403),
        ("/webhooks/zalo", TG_HEADERS, 401),
    ],
)
async def test_forged_or_missing_secret_stores_nothing(
    client: httpx.AsyncClient, inbox: Inbox, path: str, headers: dict[str, str], status: int
) -> None:
    body = private_message(5, "x") if "telegram" in path else text_event("z5", "x")
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == status
    assert inbox.backlog() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "JSON"),
        (b"\xff\xfe\x00garbage", "JSON"),
        (b"[1, 2, 3]", "object"),
        (b'{"update_id": NaN}', "JSON"),
        (b'{"update_id": "1"}', "update_id"),
        (b'{"update_id": 1, "message": "hello"}', "message"),
        (b'{"update_id": 1, "message": {"chat": 3}}', "Telegram update"),
    ],
)
async def test_malformed_telegram_bodies_get_400_with_a_reason(
    client: httpx.AsyncClient, inbox: Inbox, content: bytes, message: str
) -> None:
    response = await client.post("/webhooks/telegram", content=content, headers=TG_HEADERS)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert inbox.backlog() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"event_name": "message.text.received"},
        {"event_name": 5, "message": {}},
        {
            "event_name": "message.text.received",
            "message": {"message_id": "m", "from": {"id": "u"}},
        },
        {
            "event_name": "message.text.received",
            "message": {"message_id": "m", "from": {"id": "u"}, "chat": {"id": "u"}, "text": 12},
        },
        {"ok": True, "result": "nope"},
    ],
)
async def test_malformed_zalo_bodies_get_400(
    client: httpx.AsyncClient, inbox: Inbox, body: Any
) -> None:
    response = await client.post("/webhooks/zalo", json=body, headers=ZALO_HEADERS)
    assert response.status_code == 400
    assert inbox.backlog() == 0


async def test_body_over_one_mib_is_refused_early(client: httpx.AsyncClient, inbox: Inbox) -> None:
    big = json.dumps(private_message(9, "a" * (MIB + 10))).encode()
    declared = await client.post("/webhooks/telegram", content=big, headers=TG_HEADERS)
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while streaming
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    streamed = await client.post("/webhooks/telegram", content=chunks(), headers=TG_HEADERS)
    assert streamed.status_code == 413
    assert inbox.backlog() == 0
    # without the secret the size check still comes first: nothing is read or stored either way
    unauth = await client.post("/webhooks/telegram", content=big)
    assert unauth.status_code == 413


async def test_unicode_edge_cases_are_stored_intact(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    text = "Nghỉ\u200b phép 👩‍👩‍👧 \u202eRTL\u202c tổ hợp: Nghi\u0309 \U0010ffff"
    response = await client.post(
        "/webhooks/telegram", json=private_message(31, text), headers=TG_HEADERS
    )
    assert response.status_code == 200
    [item] = inbox.claim(1, "w")
    assert item.payload["message"]["text"] == text


async def test_nul_character_does_not_break_the_webhook(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    response = await client.post(
        "/webhooks/telegram", json=private_message(32, "a\x00b"), headers=TG_HEADERS
    )
    # stored (and later answered), or refused as malformed; never a 5xx the platform retries forever
    assert response.status_code in (200, 400)


async def test_channel_without_token_is_404(inbox: Inbox) -> None:
    app, _ = build(inbox, zalo=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        response = await c.post("/webhooks/zalo", json=text_event("m", "x"), headers=ZALO_HEADERS)
    assert response.status_code == 404


async def test_database_down_answers_503_so_the_platform_retries() -> None:
    down = Database("postgresql+psycopg://lawbot@127.0.0.1:1/nothing")
    app, metrics = build(Inbox(down))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        response = await c.post(
            "/webhooks/telegram", json=private_message(1, "x"), headers=TG_HEADERS
        )
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert b'reason="unavailable"' in metrics.render()
    down.dispose()


# --- property test: whatever arrives, the answer is 200 or 400, never a server error ----------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
_telegramish = st.fixed_dictionaries(
    {"update_id": st.integers(min_value=0, max_value=2**40)},
    optional={"message": _json | st.fixed_dictionaries({"text": st.text(), "chat": _json})},
)


@pytest.fixture(scope="module")
def sqlite_inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'db.sqlite3'}")
    database.migrate()
    yield Inbox(database)
    database.dispose()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_json | _telegramish)
async def test_any_json_gets_200_or_400(sqlite_inbox: Inbox, body: Any) -> None:
    app, _ = build(sqlite_inbox)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        for path, headers in (("/webhooks/telegram", TG_HEADERS), ("/webhooks/zalo", ZALO_HEADERS)):
            response = await c.post(path, json=body, headers=headers)
            assert response.status_code in (200, 400), response.text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=300))
async def test_any_bytes_get_200_or_400(sqlite_inbox: Inbox, raw: bytes) -> None:
    app, _ = build(sqlite_inbox)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        response = await c.post("/webhooks/telegram", content=raw, headers=TG_HEADERS)
    assert response.status_code in (200, 400)
