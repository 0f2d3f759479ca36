"""Authentic but odd webhook bodies (issue 13): a 400 or an accepted update, never a 5xx the platform
would redeliver for hours; group chats are ignored and not stored; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.payload import MAX_DEPTH
from bot.channels.zalo import parse as zalo_parse
from bot.core.models import Channel
from bot.runtime.intake import Intake
from bot.runtime.metrics import Metrics
from bot.storage.db import Database
from bot.storage.inbox import Inbox
from tests.auxil.fake_telegram import callback_query, private_message
from tests.auxil.fake_zalo import text_event
from tests.test_webhooks import TG_HEADERS, ZALO_HEADERS, build

TG, ZALO = ("/webhooks/telegram", TG_HEADERS), ("/webhooks/zalo", ZALO_HEADERS)


@pytest.fixture
def inbox(db: Database) -> Inbox:
    return Inbox(db)


@pytest.fixture
async def client(inbox: Inbox) -> AsyncIterator[httpx.AsyncClient]:
    app, _ = build(inbox)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as c:
        yield c


def _raw(update: dict[str, Any]) -> bytes:
    """JSON as a platform may spell it: non-ASCII escaped (so lone surrogates survive), and
    float('inf') written as the number 1e400, which Python's parser reads as infinity."""
    return json.dumps(update, allow_nan=True).replace("Infinity", "1e400").encode()


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 5000])
@pytest.mark.parametrize(("path", "headers"), [TG, ZALO])
async def test_deeply_nested_json_is_refused_with_400(
    client: httpx.AsyncClient, inbox: Inbox, path: str, headers: dict[str, str], depth: int
) -> None:
    # 5,000 deep raised RecursionError (500); 500 deep parses but would crash a later step
    body = b'{"update_id": 5, "event_name": "x", "message": ' + _nested(depth) + b"}"
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 400
    assert "nested deeper" in response.json()["error"]
    assert inbox.backlog() == 0


async def test_ordinary_nesting_of_a_reply_is_accepted(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    quoted = private_message(60, "câu trước")["message"]
    update = private_message(61, "Nghỉ phép năm?", user_id=61, reply_to_message=quoted)
    response = await client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
    assert response.status_code == 200
    assert inbox.backlog() == 1


async def test_telegram_message_without_chat_is_refused(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    update = private_message(70, "Xin chào")
    del update["message"]["chat"]  # raised AttributeError (500) before
    response = await client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
    assert (response.status_code, response.json()["error"]) == (
        400,
        "'message.chat' must be an object",
    )
    assert inbox.backlog() == 0


def _button_without_chat() -> dict[str, Any]:
    update = callback_query(71, "lb:more")
    del update["callback_query"]["message"]["chat"]
    return update


def _with(update: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    target = update
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return update


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        (_button_without_chat(), "callback_query.message.chat"),
        (_with(private_message(72, "x"), ("message", "text"), 12), "message.text"),
        (_with(private_message(73, "x"), ("message", "chat", "id"), 10**200), "message.chat.id"),
        (_with(private_message(74, "x"), ("message", "chat", "type"), None), "message.chat.type"),
        (_with(private_message(75, "x"), ("message", "from", "id"), "7"), "message.from.id"),
        (_with(private_message(76, "x"), ("message", "date"), 10**30), "Telegram update"),
        (
            _with(private_message(77, "x"), ("message", "entities"), [{"offset": float("inf")}]),
            "range",
        ),
    ],
)
async def test_telegram_updates_missing_or_mistyped_fields_get_400(
    client: httpx.AsyncClient, inbox: Inbox, update: dict[str, Any], reason: str
) -> None:
    response = await client.post("/webhooks/telegram", content=_raw(update), headers=TG_HEADERS)
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"]
    assert inbox.backlog() == 0


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        (_with(text_event("z-81", "x"), ("message", "from", "id"), "u" * 300), "message.from.id"),
        (_with(text_event("z-82", "x"), ("message", "chat", "id"), "a\x00b"), "message.chat.id"),
        (text_event("z" * 200, "x"), "message.message_id"),
    ],
)
async def test_zalo_updates_that_cannot_be_stored_get_400(
    client: httpx.AsyncClient, inbox: Inbox, update: dict[str, Any], reason: str
) -> None:
    response = await client.post("/webhooks/zalo", content=_raw(update), headers=ZALO_HEADERS)
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"]
    assert inbox.backlog() == 0


async def test_zalo_date_of_1e400_is_refused_not_retried_forever(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    update = text_event("z-80", "Xin chào")
    update["message"]["date"] = float("inf")  # sent as 1e400: PostgreSQL refused it, 503 forever
    response = await client.post("/webhooks/zalo", content=_raw(update), headers=ZALO_HEADERS)
    assert (response.status_code, response.json()["error"]) == (
        400,
        "a number in the body is out of range (not finite)",
    )
    assert inbox.backlog() == 0


@pytest.mark.parametrize(("path", "headers"), [TG, ZALO])
async def test_lone_surrogate_is_replaced_and_the_question_kept(
    client: httpx.AsyncClient,
    inbox: Inbox,
    path: str,
    headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = "Nghỉ phép \ud800năm được mấy ngày?"
    update = (
        private_message(90, text, user_id=90) if "telegram" in path else text_event("z-90", text)
    )
    with caplog.at_level(logging.INFO, logger="bot.ingress.webhooks"):
        response = await client.post(path, content=_raw(update), headers=headers)
    assert (response.status_code, response.json()["duplicate"]) == (200, False)
    [item] = inbox.claim(1, "w")
    stored = item.payload.get("message", item.payload.get("result", {}).get("message"))["text"]
    assert stored == "Nghỉ phép \ufffdnăm được mấy ngày?"
    assert "invalid Unicode" in caplog.text
    assert "Nghỉ phép" not in caplog.text  # why it was repaired is logged, never the text


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
async def test_telegram_group_messages_are_acknowledged_not_stored(
    client: httpx.AsyncClient, inbox: Inbox, chat_type: str
) -> None:
    update = private_message(100, "Tôi tên Lan, số 0912 345 678", chat_type=chat_type)
    response = await client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
    assert response.status_code == 200 and response.json()["ignored"]
    assert inbox.backlog() == 0  # a group member's message is kept nowhere


async def test_buttons_pressed_in_a_group_are_ignored(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    update = callback_query(101, "lb:more")
    update["callback_query"]["message"]["chat"] = {"id": -1001, "type": "supergroup"}
    response = await client.post("/webhooks/telegram", json=update, headers=TG_HEADERS)
    assert response.status_code == 200 and response.json()["ignored"]
    assert inbox.backlog() == 0


async def test_zalo_group_messages_are_acknowledged_not_stored(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    update = text_event("z-102", "Cho hỏi nghỉ phép", user_id="zu-9")
    update["message"]["chat"] = {"id": "group-1", "chat_type": "GROUP"}
    response = await client.post("/webhooks/zalo", json=update, headers=ZALO_HEADERS)
    assert response.status_code == 200 and response.json()["ignored"]
    assert inbox.backlog() == 0


async def test_polled_updates_get_the_same_bounds(inbox: Inbox) -> None:
    intake = Intake(inbox, Metrics(), {Channel.ZALO: zalo_parse.parse_update})
    sink = intake.sink(Channel.ZALO)
    odd = text_event("zp-1", "Nghỉ phép \ud800năm?", user_id="zu-1")
    infinite = text_event("zp-2", "x", user_id="zu-2")
    infinite["message"]["date"] = float("inf")
    group = text_event("zp-3", "x", user_id="zu-3")
    group["message"]["chat"]["chat_type"] = "GROUP"
    # before: the database refused inf on every try, and the poller retried it forever
    assert [await sink(u["message"]["message_id"], u) for u in (odd, infinite, group)] == [
        True,
        False,
        False,
    ]
    [item] = inbox.claim(10, "w")
    assert item.payload["message"]["text"] == "Nghỉ phép \ufffdnăm?"


# --- property test: a valid update with any one field made hostile is a 200 or a 400 -------------

_HOSTILE_VALUES = st.one_of(
    st.sampled_from(
        [
            None,
            "",
            "\ud800",
            "a\x00b",
            "\U0010ffff",
            True,
            0,
            -1,
            1.5,
            [],
            {},
            float("inf"),
            -(2**63) - 1,
            2**64,
            10**40,
            1e308,
            "x" * 300,
            "GROUP",
            "group",
            "private",
        ]
    ),
    st.integers(),
    st.text(max_size=20),
    st.recursive(st.none(), lambda inner: st.lists(inner, max_size=1), max_leaves=40),
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += _paths(value, (*prefix, key))
    return found


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path_factory.mktemp('odd') / 'db.sqlite3'}")
    else:
        database = Database(request.getfixturevalue("postgres_database")())
    database.migrate()
    yield build(Inbox(database))[0]
    database.dispose()


_ids = iter(range(10**9))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), telegram=st.booleans(), delete=st.booleans(), value=_HOSTILE_VALUES)
async def test_any_field_made_hostile_gets_200_or_400(
    module_app: Any, data: st.DataObject, telegram: bool, delete: bool, value: Any
) -> None:
    n = next(_ids)
    if telegram:
        update = private_message(500_000 + n, "Nghỉ phép năm?", user_id=5)
        path, headers = TG
    else:
        update = text_event(f"zo-{n}", "Nghỉ phép năm?")
        path, headers = ZALO
    field = data.draw(st.sampled_from([p for p in _paths(update) if p != ("update_id",)]))
    target = update
    for key in field[:-1]:
        target = target[key]
    if delete:
        del target[field[-1]]
    else:
        target[field[-1]] = value
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(module_app), base_url="http://t"
    ) as c:
        response = await c.post(path, content=_raw(update), headers=headers)
    assert response.status_code in (200, 400), (field, delete, value, response.text)
