"""/dangky and /huydangky: citizens choose the FAQ topics (and optionally a commune) staff bulletins reach them on."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core import texts
from bot.core.clean import cue_form
from bot.core.models import Channel, IncomingMessage, Reply, ReplyKind
from bot.core.pii import mask_pii
from bot.core.ports import ConversationState

# Command names as bot.core.service.command_of returns them: the slash forms and the same typed in words.
COMMANDS = {"dangky": "dangky", "subscribe": "dangky", "huydangky": "huydangky", "unsubscribe": "huydangky"}
COMMAND_WORDS = {
    "dang ky nhan tin": "dangky", "dang ky nhan ban tin": "dangky", "dang ky ban tin": "dangky",
    "huy dang ky": "huydangky", "huy dang ky nhan tin": "huydangky", "huy nhan tin": "huydangky",
    "ngung nhan tin": "huydangky", "ngung nhan ban tin": "huydangky",
}
MAX_COMMUNE = 80  # a commune's name or code; anything longer is not one
_ALL = frozenset({"tat ca", "het", "all"})
_SEPARATORS = re.compile(r"^[\s,;:.\-–/]+|[\s,;:.\-–/]+$")


@dataclass(frozen=True)
class Topic:
    """One FAQ topic citizens can subscribe to (`slug` is the FAQ file's name, `name` what people read)."""

    slug: str
    name: str


@dataclass(frozen=True)
class Subscription:
    """What one citizen on one channel receives: topic slugs, and the commune bulletins may be filtered on."""

    topics: tuple[str, ...] = ()
    commune: str | None = None


class SubscriptionStore(Protocol):
    """Subscriptions per citizen and channel (deleted with the citizen's data by /xoadulieu)."""

    def get(self, channel: Channel, user_id: str) -> Subscription: ...

    def subscribe(
        self, channel: Channel, user_id: str, chat_id: str, topics: Sequence[str], commune: str | None
    ) -> Subscription:
        """Add `topics` to the citizen's (earlier ones stay); `commune`, when given, replaces the stored one."""
        ...

    def unsubscribe(self, channel: Channel, user_id: str, topics: Sequence[str] | None) -> Subscription:
        """Remove `topics` (None: everything, commune included). Bulletins queued for this citizen but not
        yet sent that no longer match what is left are not sent."""
        ...


def commune_key(text: str) -> str:
    """The form communes are compared in: no diacritics, lower case, single spaces ('Xã Tân Phú' = 'xa tan phu')."""
    return cue_form(text).replace("?", " ").strip()


_COMMUNE_WORDS = re.compile(r"^(?:xa|phuong|thi tran|dac khu|ma xa|ma)\b|^\d{3,6}$")


def looks_like_commune(text: str) -> bool:
    """After the menu, free text counts as a commune only when it reads like one ('xã ...', 'phường ...', a code)."""
    folded = commune_key(text)
    return len(folded.split()) <= 8 and "?" not in text and bool(_COMMUNE_WORDS.match(folded))


@dataclass(frozen=True)
class Choice:
    """What a citizen typed after /dangky or /huydangky: topic numbers (or all) and a commune."""

    numbers: tuple[int, ...] = ()
    everything: bool = False
    commune: str | None = None

    @property
    def empty(self) -> bool:
        return not self.numbers and not self.everything and not self.commune


def parse_choice(text: str) -> Choice:
    """'3 12 xã Tân Phú' -> topics 3 and 12, commune 'xã Tân Phú'; 'tất cả' -> every topic.

    Numbers come first (separated by spaces, commas or 'và'); whatever follows is the commune.
    """
    rest = text.strip()
    numbers: list[int] = []
    everything = False
    while rest:
        m = re.match(r"(\d{1,3})(?!\d)[\s,;.]*(?:(?:và|va)\s+)?", rest, flags=re.IGNORECASE)
        if m:
            numbers.append(int(m.group(1)))
            rest = rest[m.end():]
            continue
        words = rest.split(maxsplit=2)
        head = cue_form(" ".join(words[:2])).strip()
        if head in _ALL:
            everything, rest = True, " ".join(words[2:])
            continue
        if cue_form(words[0]).strip() in _ALL:
            everything, rest = True, " ".join(words[1:])
            continue
        break
    commune = _SEPARATORS.sub("", " ".join(mask_pii(rest).split()))[:MAX_COMMUNE].strip()
    return Choice(tuple(dict.fromkeys(numbers)), everything, commune or None)


def arguments(text: str) -> str:
    """What follows the command word ('/dangky@LawBot 3 12' -> '3 12'); typed-in-words forms have none."""
    stripped = (text or "").strip()
    if not stripped.startswith("/"):
        return ""
    parts = stripped.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


class Subscriptions:
    """The chat side of bulletins: the topic menu, a numbered reply to it, /dangky N and /huydangky [N]."""

    def __init__(self, store: SubscriptionStore, topics: Callable[[], Sequence[Topic]]) -> None:
        self.store = store
        self.topics = topics  # read on each use: the FAQ folder may gain a topic while serving

    # -- entry points (called from the service) ------------------------------------------------

    def command(self, command: str, msg: IncomingMessage, state: ConversationState) -> Reply:
        """/dangky [numbers] [commune] or /huydangky [numbers]."""
        choice = parse_choice(arguments(msg.text))
        if command == "huydangky":
            return self._unsubscribe(msg, choice)
        if choice.empty:
            state.suggestions = []  # "1" now means topic 1, not the first FAQ question offered before
            return self._menu(msg)
        return self._subscribe(msg, choice)

    def choice(self, msg: IncomingMessage, state: ConversationState) -> Reply | None:
        """A reply to the menu ('3 12', '5 phường Bến Thành'), or None when the message is something else."""
        last_bot = next((t for t in reversed(state.turns) if t.role == "bot"), None)
        if last_bot is None or not last_bot.text.startswith(texts.SUBSCRIBE_MENU_HEAD):
            return None
        choice = parse_choice(msg.text or "")
        if not choice.numbers and not choice.everything:
            return None  # a question, not a choice: answered as usual
        if choice.commune and not looks_like_commune(choice.commune):
            return None  # "3 tháng lương chưa trả thì sao?" is a question that starts with a number
        return self._subscribe(msg, choice)

    # -- replies --------------------------------------------------------------------------------

    def _menu(self, msg: IncomingMessage) -> Reply:
        topics = list(self.topics())
        if not topics:
            return Reply(ReplyKind.INFO, texts.SUBSCRIBE_UNAVAILABLE)
        current = self.store.get(msg.channel, msg.user_id)
        lines = [texts.SUBSCRIBE_MENU_HEAD, texts.SUBSCRIBE_MENU_HOW]
        lines += [f"{i}. {t.name}" for i, t in enumerate(topics, 1)]
        if current.topics:
            lines += ["", self._current(current, topics)]
        return Reply(ReplyKind.INFO, "\n".join(lines))

    def _subscribe(self, msg: IncomingMessage, choice: Choice) -> Reply:
        topics = list(self.topics())
        if not topics:
            return Reply(ReplyKind.INFO, texts.SUBSCRIBE_UNAVAILABLE)
        bad = [n for n in choice.numbers if not 1 <= n <= len(topics)]
        if bad:
            return Reply(ReplyKind.CLARIFY, texts.SUBSCRIBE_BAD_NUMBER.format(
                numbers=", ".join(map(str, bad)), count=len(topics)))
        chosen = [t.slug for t in topics] if choice.everything else [topics[n - 1].slug for n in choice.numbers]
        current = self.store.get(msg.channel, msg.user_id)
        if not chosen and not current.topics:
            # a commune alone: nothing to receive yet
            return Reply(ReplyKind.CLARIFY, texts.SUBSCRIBE_NEEDS_TOPIC.format(count=len(topics)))
        result = self.store.subscribe(msg.channel, msg.user_id, msg.chat_id, chosen, choice.commune)
        text = "\n".join([texts.SUBSCRIBED, self._current(result, topics), texts.SUBSCRIBE_DATA_NOTE])
        return Reply(ReplyKind.INFO, text)

    def _unsubscribe(self, msg: IncomingMessage, choice: Choice) -> Reply:
        topics = list(self.topics())
        current = self.store.get(msg.channel, msg.user_id)
        if not current.topics:
            return Reply(ReplyKind.INFO, texts.UNSUBSCRIBE_NOTHING)
        if not choice.numbers or choice.everything:
            self.store.unsubscribe(msg.channel, msg.user_id, None)
            return Reply(ReplyKind.INFO, texts.UNSUBSCRIBED_ALL)
        bad = [n for n in choice.numbers if not 1 <= n <= len(topics)]
        if bad:
            return Reply(ReplyKind.CLARIFY, texts.SUBSCRIBE_BAD_NUMBER.format(
                numbers=", ".join(map(str, bad)), count=len(topics)))
        removed = [topics[n - 1].slug for n in choice.numbers]
        result = self.store.unsubscribe(msg.channel, msg.user_id, removed)
        if not result.topics:
            return Reply(ReplyKind.INFO, texts.UNSUBSCRIBED_ALL)
        names = "; ".join(t.name for t in topics if t.slug in removed)
        return Reply(ReplyKind.INFO, "\n".join([texts.UNSUBSCRIBED_TOPICS.format(topics=names),
                                                self._current(result, topics)]))

    @staticmethod
    def _current(sub: Subscription, topics: Sequence[Topic]) -> str:
        numbered = [f"{i}. {t.name}" for i, t in enumerate(topics, 1) if t.slug in sub.topics]
        # a topic whose FAQ file went away is still shown (by its slug) until the citizen drops it
        known = {t.slug for t in topics}
        numbered += [slug for slug in sub.topics if slug not in known]
        text = texts.SUBSCRIBED_TOPICS.format(topics="; ".join(numbered))
        if sub.commune:
            text += "\n" + texts.SUBSCRIBED_COMMUNE.format(commune=sub.commune)
        return text + "\n" + texts.UNSUBSCRIBE_HOW


def command_reply(subscriptions: Subscriptions | None, command: str, msg: IncomingMessage,
                  state: ConversationState) -> Reply:
    """The service's one call for /dangky and /huydangky (None: no subscription store, e.g. evaluation)."""
    if subscriptions is None:
        return Reply(ReplyKind.INFO, texts.SUBSCRIBE_UNAVAILABLE)
    return subscriptions.command(command, msg, state)


# --- bulletins: how a staff bulletin reads on every channel ------------------------------------


def bulletin_text(title: str, body: str, basis: str | None = None) -> str:
    """The message subscribers get: title, text, its legal basis if any, and how to stop receiving them."""
    parts = [texts.BULLETIN_HEAD.format(title=" ".join(title.split())), body.strip().replace("\r\n", "\n")]
    if basis:
        parts.append(texts.BULLETIN_BASIS.format(basis=basis))
    parts.append(texts.BULLETIN_FOOTER)
    return "\n\n".join(p for p in parts if p)
