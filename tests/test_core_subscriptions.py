"""/dangky and /huydangky in the chat (pure core, an in-memory subscription store): the topic menu, a
numbered reply, a commune, unsubscribing from one topic or all; and the bulletin's fixed footer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.core import texts
from bot.core.config import AssistantConfig
from bot.core.faq_match import FaqMatcher
from bot.core.models import Channel, Citation, IncomingMessage, Reply, ReplyKind
from bot.core.ports import FaqEntry
from bot.core.service import Assistant
from bot.core.subscriptions import (
    Subscription,
    Subscriptions,
    Topic,
    bulletin_text,
    commune_key,
    parse_choice,
)
from bot.core.writer import ExtractiveWriter
from tests.auxil.core_fakes import FakeRetriever

TOPICS = [Topic("dat-dai", "Đất đai"), Topic("lao-dong", "Lao động"), Topic("thua-ke", "Thừa kế")]
LEAVE = FaqEntry(
    id="t-phep-nam", topic="Lao động",
    questions=["Một năm làm việc được nghỉ phép bao nhiêu ngày?", "phep nam may ngay"],
    answer="Làm đủ 12 tháng thì được nghỉ hằng năm 12 ngày làm việc với công việc bình thường.",
    citations=[Citation("20.2.LQ.113", "45/2019/QH14", "113", clause="1")],
)


class MemorySubscriptions:
    """The SubscriptionStore port in memory."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str, list[str], str | None]] = {}

    def get(self, channel: Channel, user_id: str) -> Subscription:
        row = self.rows.get((str(channel), user_id))
        return Subscription(tuple(sorted(row[1])), row[2]) if row else Subscription()

    def subscribe(self, channel: Channel, user_id: str, chat_id: str, topics: Sequence[str],
                  commune: str | None) -> Subscription:
        _, old, old_commune = self.rows.get((str(channel), user_id), (chat_id, [], None))
        self.rows[(str(channel), user_id)] = (chat_id, sorted({*old, *topics}), commune or old_commune)
        return self.get(channel, user_id)

    def unsubscribe(self, channel: Channel, user_id: str, topics: Sequence[str] | None) -> Subscription:
        key = (str(channel), user_id)
        if key not in self.rows:
            return Subscription()
        chat, old, commune = self.rows[key]
        left = [] if topics is None else [t for t in old if t not in topics]
        if not left:
            del self.rows[key]
            return Subscription()
        self.rows[key] = (chat, left, commune)
        return self.get(channel, user_id)


class World:
    def __init__(self) -> None:
        self.store = MemorySubscriptions()
        retriever = FakeRetriever()
        self.assistant = Assistant(
            retriever, FaqMatcher([LEAVE]), ExtractiveWriter(built_at=lambda: retriever.built_at),
            InMemoryConversationStore(), InMemoryTicketStore(), AssistantConfig(),
            subscriptions=Subscriptions(self.store, lambda: TOPICS),
        )
        self.n = 0

    def say(self, text: str, user: str = "u1") -> Reply:
        self.n += 1
        return self.assistant.handle(IncomingMessage(Channel.ZALO, user, user, text, str(self.n)), 1850)


def test_dangky_lists_the_topics_numbered_and_a_numbered_reply_subscribes() -> None:
    w = World()
    menu = w.say("/dangky")
    assert menu.text.startswith(texts.SUBSCRIBE_MENU_HEAD)
    assert "1. Đất đai" in menu.text and "3. Thừa kế" in menu.text
    done = w.say("1, 3")
    assert done.kind == ReplyKind.INFO and texts.SUBSCRIBED in done.text
    assert "Đất đai" in done.text and "Thừa kế" in done.text and "/huydangky" in done.text
    assert w.store.get(Channel.ZALO, "u1") == Subscription(("dat-dai", "thua-ke"), None)


def test_topics_and_a_commune_in_one_command_and_typed_in_words() -> None:
    w = World()
    r = w.say("/dangky 2 xã Tân Phú")
    assert "Tân Phú" in r.text
    assert w.store.get(Channel.ZALO, "u1") == Subscription(("lao-dong",), "xã Tân Phú")
    assert w.say("Đăng ký nhận tin").text.startswith(texts.SUBSCRIBE_MENU_HEAD)
    w.say("tất cả")
    assert w.store.get(Channel.ZALO, "u1").topics == ("dat-dai", "lao-dong", "thua-ke")


def test_a_question_after_the_menu_is_answered_not_taken_for_a_choice() -> None:
    w = World()
    w.say("/dangky")
    r = w.say("phep nam may ngay")
    assert r.kind == ReplyKind.ANSWER and "12 ngày" in r.text
    w.say("/dangky")
    r = w.say("3 tháng không được trả lương thì làm sao?")
    assert texts.SUBSCRIBED not in r.text
    assert w.store.get(Channel.ZALO, "u1") == Subscription()


def test_an_unknown_topic_number_changes_nothing_and_says_the_range() -> None:
    w = World()
    r = w.say("/dangky 7")
    assert r.kind == ReplyKind.CLARIFY and "7" in r.text and "1 đến 3" in r.text
    assert w.store.get(Channel.ZALO, "u1") == Subscription()
    assert w.say("/dangky xã Tân Phú").kind == ReplyKind.CLARIFY  # a commune alone receives nothing


def test_huydangky_drops_one_topic_or_everything() -> None:
    w = World()
    assert texts.UNSUBSCRIBE_NOTHING in w.say("/huydangky").text
    w.say("/dangky 1 2 phường Bến Thành")
    r = w.say("/huydangky 1")
    assert texts.UNSUBSCRIBED_TOPICS.format(topics="Đất đai") in r.text and "Lao động" in r.text
    assert w.store.get(Channel.ZALO, "u1") == Subscription(("lao-dong",), "phường Bến Thành")
    assert w.say("hủy đăng ký").text == texts.UNSUBSCRIBED_ALL
    assert w.store.get(Channel.ZALO, "u1") == Subscription()


def test_subscriptions_are_per_citizen_and_help_documents_the_commands() -> None:
    w = World()
    w.say("/dangky 2", user="a")
    assert w.store.get(Channel.ZALO, "b") == Subscription()
    help_text = w.say("/help").text
    assert "/dangky" in help_text and "/huydangky" in help_text


def test_without_a_store_the_commands_say_so_politely() -> None:
    retriever = FakeRetriever()
    assistant = Assistant(retriever, None, ExtractiveWriter(built_at=lambda: retriever.built_at),
                          InMemoryConversationStore(), InMemoryTicketStore(), AssistantConfig())
    r = assistant.handle(IncomingMessage(Channel.TELEGRAM, "u", "u", "/dangky", "1"), 4096)
    assert r.text == texts.SUBSCRIBE_UNAVAILABLE


def test_parse_choice_and_commune_key() -> None:
    assert parse_choice("3, 12 và 5 Phường Bến Nghé") == parse_choice("3 12 5 - Phường Bến Nghé")
    assert parse_choice("3 12 và 5 Phường Bến Nghé").numbers == (3, 12, 5)
    assert parse_choice("tất cả xã A").everything
    assert parse_choice("gọi 0912345678").commune != "gọi 0912345678"  # a phone number is never stored
    assert commune_key("  Xã  Tân Phú ") == commune_key("xa tan phu") == "xa tan phu"


def test_every_bulletin_ends_with_how_to_unsubscribe() -> None:
    text = bulletin_text("Luật mới", "Nội dung.", "Điều 1 Luật X số 1/2024/QH15")
    assert text.splitlines()[0] == "📢 Luật mới"
    assert "Căn cứ: Điều 1 Luật X số 1/2024/QH15." in text
    assert text.endswith(texts.BULLETIN_FOOTER) and "/huydangky" in texts.BULLETIN_FOOTER
