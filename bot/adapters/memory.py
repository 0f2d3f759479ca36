"""In-memory ConversationStore and TicketStore (for `lawbot ask`, evaluation and tests)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass, field

from bot.core.models import Channel, IncomingMessage, Reply
from bot.core.ports import ConversationState, ConversationStore, OutgoingMessage, TicketDraft, Turn

Key = tuple[str, str, str]


class InMemoryConversationStore:
    """Keeps every chat's state and turns in a dict; `outbox` collects the replies to send."""

    def __init__(self, max_turns: int = 50) -> None:
        self._states: dict[Key, ConversationState] = {}
        self._feedback: dict[Key, list[bool]] = {}
        self._next_id = 1
        self._lock = threading.Lock()
        self.max_turns = max_turns
        self.outbox: list[OutgoingMessage] = []

    @staticmethod
    def _key(channel: Channel, user_id: str, chat_id: str) -> Key:
        return (str(channel), user_id, chat_id)

    def load(self, channel: Channel, user_id: str, chat_id: str) -> ConversationState:
        with self._lock:
            key = self._key(channel, user_id, chat_id)
            state = self._states.get(key)
            if state is None:
                state = ConversationState(conversation_id=self._next_id)
                self._next_id += 1
                self._states[key] = state
            return copy.deepcopy(state)

    def record(self, message: IncomingMessage, reply: Reply, state: ConversationState) -> None:
        with self._lock:
            now = dt.datetime.now(dt.UTC)
            saved = copy.deepcopy(state)
            saved.turns.append(Turn("user", message.text, message.time))
            saved.turns.append(Turn("bot", reply.text, now, reply.kind.value,
                                    [(p.article_id, p.score) for p in reply.sources]))
            saved.turns = saved.turns[-self.max_turns :]
            self._states[self._key(message.channel, message.user_id, message.chat_id)] = saved
            self.outbox.append(OutgoingMessage(message.channel, message.chat_id, reply))

    def reset(self, channel: Channel, user_id: str, chat_id: str) -> None:
        with self._lock:
            key = self._key(channel, user_id, chat_id)
            self._states[key] = ConversationState(conversation_id=self._next_id)
            self._next_id += 1
            self._feedback.pop(key, None)

    def record_feedback(self, channel: Channel, user_id: str, chat_id: str, positive: bool) -> int:
        with self._lock:
            votes = self._feedback.setdefault(self._key(channel, user_id, chat_id), [])
            votes.append(positive)
            streak = 0
            for v in reversed(votes):
                if v:
                    break
                streak += 1
            return streak

    def delete_user_data(self, channel: Channel, user_id: str) -> None:
        with self._lock:
            for key in [k for k in self._states if k[0] == str(channel) and k[1] == user_id]:
                del self._states[key]
                self._feedback.pop(key, None)

    def state(self, channel: Channel, user_id: str, chat_id: str) -> ConversationState | None:
        """The stored state (tests)."""
        return self._states.get(self._key(channel, user_id, chat_id))


@dataclass
class StoredTicket:
    id: int
    draft: TicketDraft
    consent: bool | None = None
    opened: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    resolved: bool = False
    citizen_messages: int = 0  # messages the citizen added after the ticket opened


class InMemoryTicketStore:
    def __init__(self) -> None:
        self.tickets: dict[int, StoredTicket] = {}
        self._lock = threading.Lock()

    def open_ticket(self, draft: TicketDraft) -> int:
        with self._lock:
            ticket_id = len(self.tickets) + 1
            self.tickets[ticket_id] = StoredTicket(ticket_id, draft)
            return ticket_id

    def set_consent(self, ticket_id: int, consent: bool) -> None:
        with self._lock:
            if ticket_id in self.tickets:
                self.tickets[ticket_id].consent = consent

    def add_citizen_message(self, ticket_id: int) -> bool:
        with self._lock:
            ticket = self.tickets.get(ticket_id)
            if ticket is None or ticket.resolved:
                return False
            ticket.citizen_messages += 1
            return True


class WithoutTicketLinks:
    """A conversation store whose replies name no ticket: for the terminal, whose tickets stay in memory
    (they must not reach the staff queue, and a stored link would point at no ticket)."""

    def __init__(self, store: ConversationStore) -> None:
        self._store = store

    def load(self, channel: Channel, user_id: str, chat_id: str) -> ConversationState:
        return self._store.load(channel, user_id, chat_id)

    def record(self, message: IncomingMessage, reply: Reply, state: ConversationState) -> None:
        self._store.record(message, dataclasses.replace(reply, ticket_id=None), state)

    def reset(self, channel: Channel, user_id: str, chat_id: str) -> None:
        self._store.reset(channel, user_id, chat_id)

    def record_feedback(self, channel: Channel, user_id: str, chat_id: str, positive: bool) -> int:
        return self._store.record_feedback(channel, user_id, chat_id, positive)

    def delete_user_data(self, channel: Channel, user_id: str) -> None:
        self._store.delete_user_data(channel, user_id)
